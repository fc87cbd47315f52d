"""The guessing bound: how many PINs a virtual number may hold.

A stranger keying a PIN on a number connects when it is one of the number's active PINs, so one
guess succeeds with chance (active PINs on the number) / (possible PINs) = n / 10**length.
MASKING_PIN_GUESS_ONE_IN bounds that chance: a number holds at most 10**length / one_in PINs, and
allocation puts PIN sessions elsewhere once a number is full of them (an opening on a number named
explicitly is refused). Every PIN is MASKING_PIN_LENGTH digits, the length the keypad prompt asks.
README, "Keypad flows", gives the figures.
"""

import hashlib
import hmac

from django.conf import settings


def pin_room(*, length: int | None = None, one_in: int | None = None) -> int:
    """How many PINs one number may hold within the bound."""
    length = settings.MASKING_PIN_LENGTH if length is None else length
    one_in = settings.MASKING_PIN_GUESS_ONE_IN if one_in is None else one_in
    return 10**length // one_in


def pin_hash(*, virtual_number, pin: str) -> str:
    """What is stored for a PIN: HMAC-SHA256, keyed with MASKING_PIN_KEY, over the virtual number
    (E.164) and the PIN. The digits are never stored; the Call Action matches the hash of what
    the caller keyed. The number in the message keeps a PIN's hash different on each number, so
    one number's hashes say nothing about another's, and uniqueness among a number's open PINs
    is uniqueness of their hashes."""
    message = f"{virtual_number}:{pin}".encode()
    return hmac.new(settings.MASKING_PIN_KEY.encode(), message, hashlib.sha256).hexdigest()


# Matches no stored hash: what the Call Action looks up for digits that cannot be a PIN.
NO_PIN = "-"


def pin_sessions_per_number() -> int:
    """Each PIN session gives its two participants a PIN each."""
    return pin_room() // 2
