"""Writing the audit trail: the one history of changes to sessions, consent and calls.

Every path that changes such a record (admin, API, the expiry sweep, retiring a number, 8x8's
events, the keypad, retention) writes here, through the services, so a record's history is
complete whichever way the change came.
"""

from datetime import datetime

from masking.models import AuditEntry
from masking.privacy import is_personal_number, mask, numbers_in_text_kept, redact

# How a change came, as `via` (AuditEntry.via). SYSTEM: a command or code with no other path.
ADMIN = "admin"
API = "api"
SWEEP = "sweep"
PROVIDER = "8x8"
SYSTEM = "system"


def audit_record(*, obj, action: str, via: str, actor=None, changes: dict | None = None):
    """Note that `actor` (None: the system) did `action` to `obj` through `via`."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        via=via,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=_describe(obj)[:200],
        changes=_without_numbers(obj, changes or {}),
    )


def _without_numbers(obj, changes: dict) -> dict:
    """The history never keeps a person's number whole, whoever opens it later: a number field's
    value is masked, and numbers inside any other text too (the pool's numbers stay whole)."""
    personal = {f.name for f in obj._meta.concrete_fields if is_personal_number(f)}
    kept = {}
    for field, value in changes.items():
        if field in personal and value not in (None, "", "none"):
            kept[field] = mask(value)
        elif isinstance(value, str):
            kept[field] = numbers_in_text_kept(value)
        else:
            kept[field] = value
    return kept


def audit_value(value) -> str:
    """A value as the history keeps it: times in ISO 8601 (UTC), booleans as yes/no."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        # To the second: microseconds before the zone ("17.366610+00:00") read as a phone
        # number to the masking of numbers in text, which garbled the kept time.
        return value.isoformat(timespec="seconds")
    return str(value)


def _describe(obj) -> str:
    number = getattr(obj, "number", None) or getattr(obj, "caller", None)
    return f"{obj._meta.verbose_name} of {redact(number)}" if number else str(obj)
