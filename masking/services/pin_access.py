"""Counting wrong PINs and locking PIN entry; staff clearing a lockout.

The rules (README, "Keypad flows"): within MASKING_PIN_WINDOW_MINUTES, the phone that keyed
MASKING_PIN_LOCK_AFTER wrong PINs on a number is refused PIN entry there, and a number on which
MASKING_PIN_NUMBER_CEILING wrong PINs were keyed (by any phones) pauses PIN entry for every phone
not in a session on it; each for MASKING_PIN_LOCK_MINUTES. The counts look back over the whole
window, so once it is reached, every further wrong PIN after a lockout ends locks again at once:
a guesser gets the ceiling's guesses, then one per lock period. Clearing a lockout forgives the
wrong PINs counted so far for its scope.

Every guess is counted before it is judged, and judged one at a time per number:
`pin_guess_begin` takes the number's row and writes the guess down, in the Call Action's
transaction, before the facts are read; `pin_guess_settle` keeps it (a wrong PIN, and the
lockouts it starts) or strikes it off (a right PIN, or no judgement). If the guess cannot be
written, the transaction fails, and the caller hears the apology: no judgement without the count.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from masking.models import PinFailure, PinLockout, VirtualNumber
from masking.models.pin_access import pin_caller
from masking.privacy import redact
from masking.services.audit import audit_record


def _lock_if_reached(
    *, virtual_number: VirtualNumber, caller: str, threshold: int, now: datetime
) -> PinLockout | None:
    """Lock the scope (one caller, or with `caller` "" the number) if its count of wrong PINs
    reached the threshold and it is not locked already. The count starts at the window's start,
    or when staff last cleared this scope's lockout if later."""
    lockouts = PinLockout.objects.filter(virtual_number=virtual_number, caller=caller).aggregate(
        last_cleared=Max("cleared_at"),
        active=Count("pk", filter=Q(cleared_at__isnull=True, locked_until__gt=now)),
    )
    if lockouts["active"]:
        return None
    since = now - timedelta(minutes=settings.MASKING_PIN_WINDOW_MINUTES)
    if lockouts["last_cleared"] and lockouts["last_cleared"] > since:
        since = lockouts["last_cleared"]
    failures = PinFailure.objects.filter(virtual_number=virtual_number, at__gt=since)
    if caller:
        failures = failures.filter(caller=caller)
    count = failures.count()
    if count < threshold:
        return None
    lockout = PinLockout(
        virtual_number=virtual_number,
        caller=caller,
        wrong_pins=count,
        locked_at=now,
        locked_until=now + timedelta(minutes=virtual_number.pool.rules.pin_lock_minutes),
    )
    # Unique constraints are the database's word (below), not full_clean's.
    lockout.full_clean(exclude=["virtual_number"], validate_constraints=False)
    try:
        with transaction.atomic():
            # The scope's previous lockout is over or cleared (an active one returned above).
            PinLockout.objects.filter(
                virtual_number=virtual_number, caller=caller, current=True
            ).exclude(cleared_at__isnull=True, locked_until__gt=now).update(current=False)
            lockout.save()
    except IntegrityError:
        return None  # locked a moment ago by a concurrent request: one lockout, one callback
    return lockout


def pin_lockouts_reached(
    *, virtual_number: VirtualNumber, caller: str, now: datetime
) -> list[PinLockout]:
    """The lockouts a wrong PIN just counted starts: the caller's, the number's, or none."""
    number = virtual_number
    rules = (
        number.pool.rules
    )  # the pool's limits (the deployment's settings unless it sets its own)
    started = [
        _lock_if_reached(
            virtual_number=number,
            caller=caller,
            threshold=rules.pin_lock_after,
            now=now,
        ),
        _lock_if_reached(
            virtual_number=number,
            caller="",
            threshold=rules.pin_number_ceiling,
            now=now,
        ),
    ]
    return [lockout for lockout in started if lockout is not None]


def pin_guess_begin(
    *, virtual_number: str | None, caller: str | None, provider_session_id: str = ""
) -> PinFailure | None:
    """Write a PIN guess down before it is judged, holding the number's row until the caller's
    transaction ends: guesses on one number are judged one at a time, each after the previous
    one's count (and lockout) committed. None for a number not in the pool (nothing to guess).

    Must run inside a transaction, before the facts the judgement reads.
    """
    number = (
        # Its pool's lockout limits come in the same read; only the number's row is locked.
        VirtualNumber.objects.select_related("pool")
        .select_for_update(of=("self",))
        .filter(number=virtual_number)
        .first()
        if virtual_number
        else None
    )
    if number is None:
        return None
    guess = PinFailure(
        virtual_number=number,
        caller=pin_caller(caller),
        provider_session_id=provider_session_id or "",
        at=timezone.now(),
    )
    guess.full_clean(exclude=["virtual_number"])
    guess.save()
    return guess


def pin_guess_settle(*, guess: PinFailure | None, wrong: bool) -> list[PinLockout]:
    """Keep a wrong guess, counted, and return the lockouts it starts; strike off any other (a
    right PIN, a redelivered event, a guess refused unjudged)."""
    if guess is None:
        return []
    if not wrong:
        guess.delete()
        return []
    return pin_lockouts_reached(
        virtual_number=guess.virtual_number, caller=guess.caller, now=guess.at
    )


def pin_lockout_clear(*, lockout: PinLockout, actor, via: str = "admin") -> PinLockout:
    """End a lockout now and forgive the wrong PINs it counted; audited with who did it.
    Clearing a cleared lockout changes nothing."""
    if lockout.cleared_at is not None:
        return lockout
    lockout.cleared_at = timezone.now()
    lockout.cleared_by = actor if getattr(actor, "is_authenticated", False) else None
    lockout.full_clean()
    lockout.save(update_fields=["cleared_at", "cleared_by"])
    audit_record(
        obj=lockout,
        action="cleared",
        via=via,
        actor=actor,
        changes={
            "scope": "caller" if lockout.caller else "number",
            "caller": redact(lockout.caller) if lockout.caller else "",
            "virtual_number": str(lockout.virtual_number.number),
            "locked_until": lockout.locked_until.isoformat(),
        },
    )
    return lockout
