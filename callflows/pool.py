"""Applying 8x8's number events (VNU) to our pool.

- Active: an unhealthy number becomes active again. A retired number stays retired (*).
- Unhealthy or Expiring: an active number becomes unhealthy.
- Inactive: an active or unhealthy number is retired, which closes its open sessions.
- A number not in our pool is added (active, or unhealthy) by a SNAPSHOT, and ignored otherwise.

* Retirement is final from 8x8's side: staff retired it on purpose, and only staff bring it back.
Unhealthy and expiring numbers keep serving their open sessions and get no new ones.
Only changes are recorded, so a redelivered event changes nothing and records nothing.

A SNAPSHOT lists the whole pool (tens of thousands of numbers), so an event is applied in bulk: a
fixed number of statements whatever its size. A number listed twice counts once, as its latest
entry (by `updatedTimestamp`, then by position) says.
"""

from collections import defaultdict

from django.db import transaction

from callflows.models import NumberEvent
from callflows.records import storable
from masking.db import relax_statement_timeout
from masking.models import VirtualNumber
from masking.services.numbers import numbers_set_status

TARGET = {
    "ACTIVE": VirtualNumber.Status.ACTIVE,
    "UNHEALTHY": VirtualNumber.Status.UNHEALTHY,
    "EXPIRING": VirtualNumber.Status.UNHEALTHY,
    "INACTIVE": VirtualNumber.Status.RETIRED,
}


def _change(number: VirtualNumber | None, provider_status: str, update_type: str):
    """(new status or None, reason). None: leave the number as it is."""
    target = TARGET[provider_status]
    if number is None:
        if update_type == "SNAPSHOT" and target != VirtualNumber.Status.RETIRED:
            return target, f"added to the pool from 8x8's snapshot ({provider_status.title()})"
        return None, ""
    if number.status == target or number.status == VirtualNumber.Status.RETIRED:
        return None, ""
    reasons = {
        VirtualNumber.Status.ACTIVE: "8x8 reports it active again: takes new sessions",
        VirtualNumber.Status.UNHEALTHY: f"8x8 reports it {provider_status.lower()}: no new "
        "sessions, open ones keep working",
        VirtualNumber.Status.RETIRED: "8x8 reports it inactive: retired, open sessions closed",
    }
    return target, reasons[target]


def _older(entry: dict, than: dict) -> bool:
    """`entry` was updated before `than` (an entry without a time counts as older)."""
    mine, theirs = entry.get("updatedTimestamp"), than.get("updatedTimestamp")
    if theirs is None:
        return False
    return mine is None or mine < theirs


def latest_per_number(numbers: list[dict], raw_numbers: list) -> dict[str, tuple[dict, object]]:
    """{msisdn: (entry, raw entry)}, keeping for a number listed twice its latest entry."""
    latest: dict[str, tuple[dict, object]] = {}
    for update, raw in zip(numbers, raw_numbers, strict=False):
        kept = latest.get(update["msisdn"])
        if kept is None or not _older(update, kept[0]):
            latest[update["msisdn"]] = (update, raw)
    return latest


def number_updates_ingest(*, update_type: str, numbers: list[dict], raw_numbers: list) -> int:
    """Apply a VNU event. Returns how many numbers changed."""
    entries = latest_per_number(numbers, raw_numbers)
    known = {str(n.number): n for n in VirtualNumber.objects.filter(number__in=list(entries))}
    added, moved, events = [], defaultdict(list), []
    for msisdn, (update, raw) in entries.items():
        number = known.get(msisdn)
        status, reason = _change(number, update["operationalStatus"], update_type)
        if status is None:
            continue
        if number is None:
            number = VirtualNumber(
                number=msisdn,
                status=status,
                provider_reference=update.get("referenceId") or "",
                label="added by 8x8 snapshot",
            )
            number.derive_country()
            # Unique by construction (looked up above; the database still has the last word).
            number.full_clean(validate_unique=False, validate_constraints=False)
            added.append(number)
        else:
            moved[status].append(number.pk)
        events.append(
            NumberEvent(
                msisdn=msisdn,
                virtual_number=number,
                update_type=update_type,
                operational_status=update["operationalStatus"],
                status_before=number.status if number.pk else "",
                status_after=status,
                reason=reason,
                provider_updated_at=update.get("updatedTimestamp"),
                payload=storable(raw) if isinstance(raw, dict) else {},
            )
        )
    with transaction.atomic():
        relax_statement_timeout()
        VirtualNumber.objects.bulk_create(added, batch_size=1000)
        for status, ids in moved.items():
            numbers_set_status(number_ids=ids, status=status)
        NumberEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)
