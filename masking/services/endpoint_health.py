"""Whether a receiver still gets callbacks: disabled when it answers 410 Gone, or when it has
failed every attempt for MASKING_CALLBACK_DISABLE_AFTER_HOURS (`CallbackEndpointState`)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from masking.models import CallbackEndpointState

GONE = 410


def endpoint_disabled(*, url: str) -> CallbackEndpointState | None:
    """The endpoint's state if callbacks to it are disabled, else None."""
    return CallbackEndpointState.objects.filter(url=url, disabled_at__isnull=False).first()


def endpoint_record(
    *, url: str, status_code: int | None, delivered: bool, now: datetime | None = None
) -> CallbackEndpointState | None:
    """Note an attempt's outcome; returns the state if this attempt disabled the endpoint."""
    now = now or timezone.now()
    if delivered:
        CallbackEndpointState.objects.filter(url=url, failing_since__isnull=False).update(
            failing_since=None
        )
        return None
    state, _ = CallbackEndpointState.objects.get_or_create(url=url, defaults={"failing_since": now})
    if state.disabled_at is not None:
        return None
    limit = timedelta(hours=settings.MASKING_CALLBACK_DISABLE_AFTER_HOURS)
    if status_code == GONE:
        reason = "answered 410 Gone"
    elif state.failing_since is not None and now - state.failing_since >= limit:
        reason = f"failing since {state.failing_since:%Y-%m-%d %H:%M} UTC"
    else:
        if state.failing_since is None:
            CallbackEndpointState.objects.filter(pk=state.pk).update(failing_since=now)
        return None
    # Conditional: of two workers disabling it at once, one does.
    if CallbackEndpointState.objects.filter(pk=state.pk, disabled_at__isnull=True).update(
        disabled_at=now, disabled_reason=reason
    ):
        state.refresh_from_db()
        return state
    return None


def endpoint_enable(*, url: str) -> int:
    """Staff: send callbacks to it again (the backend redelivers what it missed)."""
    return CallbackEndpointState.objects.filter(url=url).update(
        disabled_at=None, disabled_reason="", failing_since=None
    )
