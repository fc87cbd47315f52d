"""Applying 8x8's view of our numbers to our pool: its number events (VNU) and its number list.

- Active: an unhealthy number becomes active again. A retired number stays retired (*).
- Unhealthy or Expiring: an active number becomes unhealthy.
- Inactive: an active or unhealthy number is retired, which closes its open sessions.
- A number not in our pool is added (active, or unhealthy) by a SNAPSHOT or a resync from 8x8's
  number list, and ignored otherwise.
- A resync also flags the numbers we have that 8x8 no longer lists (they take no new sessions)
  and clears the flag when 8x8 lists them again. Nothing is ever deleted.

* Retirement is final from 8x8's side: staff retired it on purpose, and only staff bring it back.
Unhealthy and expiring numbers keep serving their open sessions and get no new ones.
Only changes are recorded, so a redelivered event, or a second resync, changes nothing and
records nothing.

A SNAPSHOT lists the whole pool (tens of thousands of numbers), so an event is applied in bulk: a
fixed number of statements whatever its size. A number listed twice counts once, as its latest
entry (by `updatedTimestamp`, then by position) says. A number that is a person's real number in
an open session is never added (masking.models.VirtualNumber.clean); the rest of the event still
applies, and the refusal is recorded as a number event.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from callflows.events import NumberUpdate
from callflows.models import NumberEvent
from callflows.records import storable
from masking.db import relax_statement_timeout
from masking.models import Participant, Pool, VirtualNumber
from masking.services.audit import PROVIDER
from masking.services.numbers import number_set_listed, numbers_set_status

TARGET = {
    "ACTIVE": VirtualNumber.Status.ACTIVE,
    "UNHEALTHY": VirtualNumber.Status.UNHEALTHY,
    "EXPIRING": VirtualNumber.Status.UNHEALTHY,
    "INACTIVE": VirtualNumber.Status.RETIRED,
}
RESYNC = "RESYNC"  # our update type for a read of 8x8's number list
NOT_LISTED = "NOT_LISTED"  # the operational status we record for a number 8x8 no longer lists
ADDED_BY = {"SNAPSHOT": "8x8's snapshot", RESYNC: "8x8's number list"}


def _change(number: VirtualNumber | None, provider_status: str, update_type: str):
    """(new status or None, reason). None: leave the number as it is."""
    target = TARGET[provider_status]
    if number is None:
        if update_type in ADDED_BY and target != VirtualNumber.Status.RETIRED:
            return target, (
                f"added to the pool from {ADDED_BY[update_type]} ({provider_status.title()})"
            )
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


def _record(*, number, msisdn, update_type, provider_status, before, after, reason, raw, at=None):
    NumberEvent.objects.create(
        msisdn=msisdn,
        virtual_number=number,
        update_type=update_type,
        operational_status=provider_status,
        status_before=before,
        status_after=after,
        reason=reason,
        provider_updated_at=at,
        payload=storable(raw) if isinstance(raw, dict) else {},
    )


def _add(
    *, msisdn: str, status: str, reference: str, update_type: str, pool: Pool
) -> VirtualNumber:
    number = VirtualNumber(
        pool=pool,
        number=msisdn,
        status=status,
        provider_reference=reference or "",
        label=f"added from {ADDED_BY[update_type]}"[:100],
    )
    number.full_clean()
    number.save()
    return number


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


def _left_alone(msisdn: str, update: dict, raw, update_type: str, reason: str) -> NumberEvent:
    """The record of an 8x8 number update we did not act on, and why."""
    return NumberEvent(
        msisdn=msisdn,
        update_type=update_type,
        operational_status=update["operationalStatus"],
        status_before="",
        status_after="",
        reason=reason,
        provider_updated_at=update.get("updatedTimestamp"),
        payload=storable(raw) if isinstance(raw, dict) else {},
    )


def number_updates_ingest(
    *,
    update_type: str,
    numbers: list[dict],
    raw_numbers: list,
    skipped: list[dict] = (),
    pool: Pool | None = None,
) -> int:
    """Apply a VNU event. Returns how many numbers changed. Each entry we could not read
    (`callflows.events.read_number_entries`) is recorded as a number event saying why it was
    skipped; the readable ones apply all the same. Numbers new to us join `pool` (the event's
    sub-account's; the deployment's when not given)."""
    pool = pool or Pool.objects.deployment()
    entries = latest_per_number(numbers, raw_numbers)
    known = {str(n.number): n for n in VirtualNumber.objects.filter(number__in=list(entries))}
    # One query for the rule VirtualNumber.clean() keeps row by row: a person's number in an open
    # session never joins the pool.
    people = set(
        Participant.objects.filter(
            number__in=[m for m in entries if m not in known], session__status="open"
        ).values_list("number", flat=True)
    )
    added, moved, events, elsewhere = [], defaultdict(list), [], []
    for msisdn, (update, raw) in entries.items():
        number = known.get(msisdn)
        if number is not None and number.pool_id != pool.pk:
            # Another sub-account's number: its own events change it, never this one's.
            elsewhere.append(
                _left_alone(
                    msisdn,
                    update,
                    raw,
                    update_type,
                    "not applied: the number belongs to another pool",
                )
            )
            continue
        status, reason = _change(number, update["operationalStatus"], update_type)
        if status is None:
            continue
        if number is None and msisdn in people:
            events.append(
                _left_alone(
                    msisdn,
                    update,
                    raw,
                    update_type,
                    "not added: a person's real number, paired in an open session",
                )
            )
            continue
        if number is None:
            number = VirtualNumber(
                number=msisdn,
                status=status,
                provider_reference=update.get("referenceId") or "",
                label="added by 8x8 snapshot",
                pool=pool,
            )
            number.derive_country()
            # Unique by construction (looked up above; the database still has the last word), and
            # checked against people's numbers above, for all at once; the pool is the one read
            # above (checking it again would be a query a number).
            number.clean_fields(exclude=["pool"])
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
    changed = len(events)
    events += elsewhere
    events += [
        NumberEvent(
            msisdn=entry["msisdn"],
            update_type=update_type,
            operational_status=entry["status"],
            status_before="",
            status_after="",
            reason=entry["reason"],
            payload=storable(entry["raw"]) if isinstance(entry["raw"], dict) else {},
        )
        for entry in skipped
    ]
    with transaction.atomic():
        relax_statement_timeout()
        VirtualNumber.objects.bulk_create(added, batch_size=1000)
        for status, ids in moved.items():
            numbers_set_status(number_ids=ids, status=status)
        NumberEvent.objects.bulk_create(events, batch_size=1000)
    return changed


# --- resync from 8x8's number list ----------------------------------------------------------


@dataclass(frozen=True)
class PoolChange:
    msisdn: str
    before: str  # our status before; "" for a number new to the pool
    after: str
    reason: str
    provider_status: str  # ACTIVE, UNHEALTHY, EXPIRING, INACTIVE, or NOT_LISTED
    raw: dict
    reference: str = ""


@dataclass(frozen=True)
class Resync:
    changes: list[PoolChange]
    listed: int  # numbers 8x8 lists
    skipped: list[str]  # items of 8x8's list we could not read, and why


def listed_status(item: dict) -> str:
    """The operational status a list item means for us. 8x8 lists Active, Expiring, Inactive; an
    Active number whose health check fails is treated as Unhealthy (as its VNU would say)."""
    status = str(item.get("operationalStatus") or "")
    health = item.get("numberHealth")
    unhealthy = isinstance(health, dict) and health.get("isHealthy") is False
    return "Unhealthy" if unhealthy and status.strip().upper() == "ACTIVE" else status


def _read_listed(listed: list[dict]) -> tuple[dict[str, tuple[dict, dict]], list[str]]:
    numbers, skipped = {}, []
    for index, item in enumerate(listed):
        if not isinstance(item, dict):
            skipped.append(f"item {index}: not an object")
            continue
        reader = NumberUpdate(data={**item, "operationalStatus": listed_status(item)})
        if not reader.is_valid():
            fields = ", ".join(sorted(reader.errors))
            skipped.append(f"item {index}: unreadable {fields}")
            continue
        numbers[reader.validated_data["msisdn"]] = (reader.validated_data, item)
    return numbers, skipped


def pool_resync(*, listed: list[dict], dry_run: bool = False, pool: Pool | None = None) -> Resync:
    """Bring `pool` (the deployment's when not given) in step with its sub-account's number list
    (GET .../numbers). With `dry_run`, only say what would change. Run again, it changes nothing.
    Numbers of other pools are theirs: never flagged, never moved."""
    pool = pool or Pool.objects.deployment()
    numbers, skipped = _read_listed(listed)
    everyone = {str(n.number): n for n in VirtualNumber.objects.all()}
    ours = {msisdn: n for msisdn, n in everyone.items() if n.pool_id == pool.pk}
    numbers = {m: entry for m, entry in numbers.items() if m in ours or m not in everyone}
    changes = []
    for msisdn, (update, raw) in numbers.items():
        number = ours.get(msisdn)
        provider_status = update["operationalStatus"]
        status, reason = _change(number, provider_status, RESYNC)
        if number is not None and number.unlisted_since is not None:
            status = status or number.status
            reason = "8x8 lists it again" + (f"; {reason}" if reason else "")
        if status is None:
            continue
        changes.append(
            PoolChange(
                msisdn=msisdn,
                before=number.status if number else "",
                after=status,
                reason=reason,
                provider_status=provider_status,
                raw=raw,
                reference=update.get("referenceId") or "",
            )
        )
    for msisdn, number in ours.items():
        if msisdn in numbers or number.unlisted_since or number.status == "retired":
            continue
        after = VirtualNumber.Status.UNHEALTHY if number.status == "active" else number.status
        changes.append(
            PoolChange(
                msisdn=msisdn,
                before=number.status,
                after=after,
                reason="8x8 no longer lists it: flagged, no new sessions, nothing deleted",
                provider_status=NOT_LISTED,
                raw={},
            )
        )
    if not dry_run:
        _apply(changes, ours, pool=pool)
    return Resync(changes=changes, listed=len(numbers), skipped=skipped)


def _apply(changes: list[PoolChange], ours: dict[str, VirtualNumber], *, pool: Pool) -> None:
    now = timezone.now()
    with transaction.atomic():
        for change in changes:
            number = ours.get(change.msisdn)
            if number is None:
                try:
                    number = _add(
                        msisdn=change.msisdn,
                        status=change.after,
                        reference=change.reference,
                        update_type=RESYNC,
                        pool=pool,
                    )
                except ValidationError as exc:  # a person's number: never ours
                    _record(
                        number=None,
                        msisdn=change.msisdn,
                        update_type=RESYNC,
                        provider_status=change.provider_status,
                        before="",
                        after="",
                        reason=f"not added: {' '.join(exc.messages)}"[:200],
                        raw=change.raw,
                    )
                    continue
            else:
                listed = change.provider_status != NOT_LISTED
                number_set_listed(
                    number=number, listed=listed, status=change.after, now=now, via=PROVIDER
                )
            _record(
                number=number,
                msisdn=change.msisdn,
                update_type=RESYNC,
                provider_status=change.provider_status,
                before=change.before,
                after=change.after,
                reason=change.reason,
                raw=change.raw,
            )
