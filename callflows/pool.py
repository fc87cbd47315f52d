"""Applying 8x8's number events (VNU) to our pool.

- Active: an unhealthy number becomes active again. A retired number stays retired (*).
- Unhealthy or Expiring: an active number becomes unhealthy.
- Inactive: an active or unhealthy number is retired, which closes its open sessions.
- A number not in our pool is added (active, or unhealthy) by a SNAPSHOT, and ignored otherwise.

* Retirement is final from 8x8's side: staff retired it on purpose, and only staff bring it back.
Unhealthy and expiring numbers keep serving their open sessions and get no new ones.
Only changes are recorded, so a redelivered event changes nothing and records nothing.
"""

from django.db import transaction

from callflows.models import NumberEvent
from callflows.records import storable
from masking.models import VirtualNumber
from masking.services.numbers import number_set_status

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


def number_updates_ingest(*, update_type: str, numbers: list[dict], raw_numbers: list) -> int:
    """Apply a VNU event. Returns how many numbers changed."""
    changed = 0
    known = {
        str(n.number): n
        for n in VirtualNumber.objects.filter(number__in=[u["msisdn"] for u in numbers])
    }
    with transaction.atomic():
        for update, raw in zip(numbers, raw_numbers, strict=False):
            number = known.get(update["msisdn"])
            status, reason = _change(number, update["operationalStatus"], update_type)
            if status is None:
                continue
            before = number.status if number else ""
            if number is None:
                number = VirtualNumber(
                    number=update["msisdn"],
                    status=status,
                    provider_reference=update.get("referenceId") or "",
                    label="added by 8x8 snapshot",
                )
                number.full_clean()
                number.save()
            else:
                number_set_status(number=number, status=status)
            NumberEvent.objects.create(
                msisdn=update["msisdn"],
                virtual_number=number,
                update_type=update_type,
                operational_status=update["operationalStatus"],
                status_before=before,
                status_after=status,
                reason=reason,
                provider_updated_at=update.get("updatedTimestamp"),
                payload=storable(raw) if isinstance(raw, dict) else {},
            )
            changed += 1
    return changed
