"""Whole-number lookups: limited per user, and each one in the audit trail.

A lookup by whole number ("is +6591230001 in a session?") is the one question a masked screen
cannot answer by itself; asked often enough it enumerates the digits `mask()` hides. So every such
lookup (admin search, the API's `?participant=` and `?number=`, the simulator's caller) passes
here: it leaves an audit entry naming who looked up what (masked), and a user without
`masking.view_full_numbers` gets at most `MASKING_NUMBER_LOOKUPS_PER_HOUR` of them in any hour.

The count is read from the audit rows themselves, in the database: shared by every process and
host by construction, with no cache to lose. Two lookups racing at the limit may both pass (one
over); the bound is about enumeration (100,000 completions), which one extra lookup does not move.
Staff holding the permission see numbers whole anyway, so their lookups are audited, not limited.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from masking.models import AuditEntry, VirtualNumber
from masking.privacy import mask, may_see_full_numbers

LOOKED_UP = "looked up"
LOOKUP_TYPE = "number lookup"


class LookupLimitReached(Exception):
    """The user has had their whole-number lookups for this hour. `field`: the input it came by."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


def lookups_left(*, user, now=None) -> int:
    now = now or timezone.now()
    used = AuditEntry.objects.filter(
        actor=user, action=LOOKED_UP, at__gt=now - timedelta(hours=1)
    ).count()
    return max(settings.MASKING_NUMBER_LOOKUPS_PER_HOUR - used, 0)


def number_lookup(*, user, numbers, via: str, where: str, field: str = "") -> None:
    """Note that `user` looked up `numbers` (the readings of one typed term) through `via`, on
    `where`; raise `LookupLimitReached`, writing nothing, when the hour's lookups are used up."""
    numbers = {str(n) for n in numbers}
    # The pool's numbers are ours, not a person's: free to look up. Only those readings are free:
    # the search still matches people on the others, so any left make it a counted lookup.
    pool = VirtualNumber.objects.filter(number__in=numbers).values_list("number", flat=True)
    numbers -= {str(n) for n in pool}
    numbers = sorted(numbers)
    if not numbers:
        return
    if not may_see_full_numbers(user) and lookups_left(user=user) <= 0:
        limit = settings.MASKING_NUMBER_LOOKUPS_PER_HOUR
        raise LookupLimitReached(
            f"You have looked up {limit} numbers in the last hour, the most allowed: try again "
            "later, or ask staff who may see numbers in full.",
            field=field,
        )
    AuditEntry.objects.create(
        actor=user if getattr(user, "is_authenticated", False) else None,
        via=via[:20],
        action=LOOKED_UP,
        object_type=LOOKUP_TYPE,
        object_id="",
        object_repr=mask(numbers[0])[:200],
        changes={"where": where},
    )


def refusal_lookup(
    *, user, error: ValidationError, codes: set, fields: dict, via: str, where: str
) -> None:
    """Count a refusal that tells whether a whole number is known ("+65... is already paired on
    ...", "already opted in") as a lookup of that number, for a user without the full-numbers
    permission: otherwise opening a session or an opt-in answers, uncounted, what search limits.
    `codes`: the error codes that tell (None for a constraint's uncoded message); `fields`: each
    input's name and its number. Raises `LookupLimitReached` (naming the field) past the limit,
    so the caller refuses without the telling message."""
    if may_see_full_numbers(user) or not hasattr(error, "error_dict"):
        return
    told = [
        field
        for field, errors in error.error_dict.items()
        if field in fields and any(e.code in codes for e in errors)
    ]
    if told:
        number_lookup(
            user=user,
            numbers={fields[field] for field in told},
            via=via,
            where=where,
            field=told[0],
        )
