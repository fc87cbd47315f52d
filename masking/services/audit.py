"""Writing the audit trail."""

from masking.models import AuditEntry
from masking.privacy import redact


def audit_record(*, obj, action: str, via: str, actor=None, changes: dict | None = None):
    """Note that `actor` (None: the system) did `action` to `obj` through `via`."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        via=via,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=_describe(obj)[:200],
        changes=changes or {},
    )


def _describe(obj) -> str:
    number = getattr(obj, "number", None) or getattr(obj, "caller", None)
    return f"{obj._meta.verbose_name} of {redact(number)}" if number else str(obj)
