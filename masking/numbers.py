"""Reading a number a person typed, to find someone by it (admin search, API filters)."""

import phonenumbers
from django.conf import settings

from masking.models import VirtualNumber


def whole_numbers(term: str) -> set[str]:
    """The E.164 numbers `term` can be read as, whole: with its "+", as international digits, or
    as a national number of one of the pool's countries (or `PHONENUMBER_DEFAULT_REGION`)."""
    text = term.strip()
    if not text or any(ch.isalpha() for ch in text):
        return set()
    digits = "".join(ch for ch in text if ch.isdigit())
    if not 6 <= len(digits) <= 15:
        return set()
    readings = [(f"+{digits}", None)]
    if not text.startswith("+"):
        # No order: the numbers' own (by number) would make DISTINCT read every number.
        regions = set(VirtualNumber.objects.order_by().values_list("country", flat=True).distinct())
        regions.add(settings.PHONENUMBER_DEFAULT_REGION)
        readings += [(digits, region) for region in sorted(r for r in regions if r)]
    found = set()
    for value, region in readings:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            found.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return found
