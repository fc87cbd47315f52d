"""Reading phone numbers the provider sends: "+6591230001" and "6591230001" alike."""

from functools import lru_cache

import phonenumbers


class NotAPhoneNumber(ValueError):
    pass


def parse_provider_number(value) -> str:
    """Return the E.164 form of a number as 8x8 sends it, with or without "+" (see `_parse`).

    Remembered per process: the same callers and the same pool numbers come back all day, and
    phonenumbers' parse is the Call Action's largest cost in Python after the framework.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # some 8x8 documents type numbers as JSON numbers
    if not isinstance(value, str):
        raise NotAPhoneNumber("Must be a string.")
    return _parse(value)


# 16,384 numbers: a few megabytes at most per worker.
@lru_cache(maxsize=16384)
def _parse(value: str) -> str:
    """Return the E.164 form of a number as 8x8 sends it, with or without "+".

    The test is that the number is *possible* (a known country code and a plausible length), not
    that it is in the current numbering plan: the provider's view of a live caller wins over our
    copy of the plan, and an unplannable caller simply matches no session.
    """
    text = value.strip()
    digits = text[1:] if text.startswith("+") else text
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        raise NotAPhoneNumber("Not a phone number: expected 6 to 15 digits with an optional '+'.")
    try:
        number = phonenumbers.parse(f"+{digits}")
    except phonenumbers.NumberParseException as exc:
        raise NotAPhoneNumber("Not a phone number: unknown country code.") from exc
    if not phonenumbers.is_possible_number(number):
        raise NotAPhoneNumber("Not a phone number: wrong length for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
