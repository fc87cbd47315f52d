"""The guessing bound: how many PINs a virtual number may hold.

A stranger keying a PIN on a number connects when it is one of the number's active PINs, so one
guess succeeds with chance (active PINs on the number) / (possible PINs) = n / 10**length.
MASKING_PIN_GUESS_ONE_IN bounds that chance: a number holds at most 10**length / one_in PINs, and
allocation puts PIN sessions elsewhere once a number is full of them (an opening on a number named
explicitly is refused). Every PIN is MASKING_PIN_LENGTH digits, the length the keypad prompt asks.
README, "Keypad flows", gives the figures.
"""

from django.conf import settings


def pin_room(*, length: int | None = None, one_in: int | None = None) -> int:
    """How many PINs one number may hold within the bound."""
    length = settings.MASKING_PIN_LENGTH if length is None else length
    one_in = settings.MASKING_PIN_GUESS_ONE_IN if one_in is None else one_in
    return 10**length // one_in


def pin_sessions_per_number() -> int:
    """Each PIN session gives its two participants a PIN each."""
    return pin_room() // 2
