"""Recording consent: recording and revoking opt-ins."""

from datetime import datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone

from masking.models import RecordingOptIn
from masking.services.audit import audit_record


def consent_validate(*, number, method: str, at: datetime | None = None) -> RecordingOptIn:
    """An unsaved opt-in, fully checked. Raises ValidationError keyed by field (`number` when the
    number has opted in already)."""
    opt_in = RecordingOptIn(number=number, method=method, opted_in_at=at or timezone.now())
    try:
        opt_in.full_clean()
    except ValidationError as exc:
        # The one-active-opt-in rule is a conditional constraint, reported by Django as a
        # form-wide error; it is about the number, so say it beside the number.
        raise ValidationError(
            {("number" if k == NON_FIELD_ERRORS else k): v for k, v in exc.error_dict.items()}
        ) from exc
    return opt_in


def consent_record(
    *,
    number,
    method: str,
    evidence: str = "",
    recorded_by=None,
    at: datetime | None = None,
) -> RecordingOptIn:
    """Record that `number` agrees to be recorded. Raises ValidationError if it already has."""
    opt_in = RecordingOptIn(
        number=number,
        method=method,
        evidence=evidence,
        recorded_by=recorded_by,
        opted_in_at=at or timezone.now(),
    )
    try:
        opt_in.full_clean()
    except ValidationError as exc:
        # The one-active-opt-in rule is a conditional constraint, reported by Django as a
        # form-wide error; it is about the number, so say it beside the number.
        raise ValidationError(
            {("number" if k == NON_FIELD_ERRORS else k): v for k, v in exc.error_dict.items()}
        ) from exc
    opt_in.save()
    audit_record(
        obj=opt_in,
        action="opted in",
        via=method,
        actor=recorded_by,
        changes={"method": method, "evidence": evidence},
    )
    return opt_in


def consent_revoke(
    *, opt_in: RecordingOptIn, at: datetime | None = None, actor=None, via: str = "admin"
) -> RecordingOptIn:
    """Withdraw consent from now on. The row stays as the record of what was agreed and when."""
    if opt_in.revoked_at is None:
        opt_in.revoked_at = at or timezone.now()
        opt_in.full_clean()
        opt_in.save(update_fields=["revoked_at"])
        audit_record(
            obj=opt_in,
            action="revoked",
            via=via,
            actor=actor,
            changes={"revoked_at": opt_in.revoked_at.isoformat()},
        )
    return opt_in
