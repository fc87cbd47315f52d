"""`mask()` reads a stored E.164 number's country code without parsing it (an export masks
thousands): for every country code phonenumbers knows, and every length, it masks exactly as
reading the number with phonenumbers does."""

import random

import phonenumbers

from masking.privacy import MASK_SHOWN_DIGITS, mask, redact


def mask_by_parsing(text: str) -> str:
    """What `mask` shows, with the country code read by `phonenumbers.parse`."""
    try:
        country = str(phonenumbers.parse(text).country_code)
    except phonenumbers.NumberParseException:
        return redact(text)
    national = text[1 + len(country) :]
    if len(national) < 7:
        return redact(text)
    shown = "•" * (len(national) - MASK_SHOWN_DIGITS) + national[-MASK_SHOWN_DIGITS:]
    return f"+{country} {shown[:4]} {shown[4:]}"


def test_every_country_code_and_length_masks_as_parsing_does():
    rng = random.Random(28)
    numbers = [
        f"+{code}{''.join(rng.choice('0123456789') for _ in range(length))}"
        for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
        for length in range(0, 21)
    ]
    # Unassigned codes too ("+28…", "+0…"): parse refuses them, so they are redacted.
    numbers += [f"+{lead}{rng.randrange(10**9, 10**10)}" for lead in range(0, 1000)]
    differing = [n for n in numbers if mask(n) != mask_by_parsing(n)]
    assert differing == []
    assert len(numbers) > 5000


def test_numbers_written_otherwise_still_read_by_phonenumbers():
    assert mask("6591230001") == mask("+65 9123 0001") == mask("+6591230001") == "+65 •••• •001"
