"""Recording consent: recording and revoking opt-ins."""

from datetime import datetime

from django.utils import timezone

from masking.models import RecordingOptIn


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
    opt_in.full_clean()
    opt_in.save()
    return opt_in


def consent_revoke(*, opt_in: RecordingOptIn, at: datetime | None = None) -> RecordingOptIn:
    """Withdraw consent from now on. The row stays as the record of what was agreed and when."""
    if opt_in.revoked_at is None:
        opt_in.revoked_at = at or timezone.now()
        opt_in.full_clean()
        opt_in.save(update_fields=["revoked_at"])
    return opt_in
