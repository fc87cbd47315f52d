"""Delivering one callback: sign it (Standard Webhooks), POST it, and decide what comes next.

Run by the task queue's worker (`masking.tasks.deliver_callback`), never in a web request. A
worker first takes the callback with a lease, so two workers never send it at once; a 2xx answer
delivers it; anything else (an error status, a timeout, a refused connection) schedules the next
try after a growing delay, until MASKING_CALLBACK_ATTEMPTS tries have failed.
"""

import json
import logging
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from masking import outbound
from masking.models import Callback, CallbackAttempt
from masking.privacy import redact_text
from masking.services.callbacks import Endpoint, _enqueue, callback_endpoint
from masking.services.endpoint_health import endpoint_disabled, endpoint_record
from masking.signing import signed_headers

logger = logging.getLogger(__name__)

# How much of a failed delivery's answer is read; 200 characters of it are kept.
EXCERPT_BYTES = 1024


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 10 s, 30 s, 90 s, ... (x3 each),
    plus up to 10% so receivers coming back are not hit by every retry at the same second."""
    seconds = settings.MASKING_CALLBACK_FIRST_RETRY_SECONDS * 3 ** (attempts - 1)
    return timedelta(seconds=seconds * (1 + random.random() / 10))  # noqa: S311


def deadline_seconds() -> float:
    """The whole request's deadline: the setting's, never more than half the lease, so a
    request always ends while its worker still holds the callback (requeue_callbacks hands it
    to another worker only once the lease has run out)."""
    return min(
        settings.MASKING_CALLBACK_DEADLINE_SECONDS, settings.MASKING_CALLBACK_LEASE_SECONDS / 2
    )


def _post(callback: Callback, endpoint: Endpoint | None) -> tuple[int | None, str]:
    """POST the callback, all of it (connecting, sending, reading the answer) within the
    deadline. Returns (HTTP status or None, error or "")."""
    if endpoint is None:
        return None, "no callback URL is configured"
    body = json.dumps(callback.payload, separators=(",", ":"))
    try:
        at = datetime.now(UTC)
        headers = signed_headers(
            secrets=endpoint.signing_secrets(now=at),
            webhook_id=callback.webhook_id,
            body=body,
            at=at,
        )
    except Exception as exc:  # an empty or malformed secret: the library says which
        return None, f"cannot sign: {exc}"
    seconds = deadline_seconds()
    timeout = min(settings.MASKING_CALLBACK_TIMEOUT_SECONDS, seconds)
    deadline = outbound.Deadline(seconds)
    try:
        with (
            deadline,
            outbound.client(timeout=timeout) as http,
            http.stream(
                "POST",
                endpoint.url,
                content=body.encode(),
                headers=headers,
            ) as response,
        ):
            if 200 <= response.status_code < 300:
                return response.status_code, ""
            excerpt = _excerpt(response)
    except httpx.HTTPError as exc:
        if deadline.expired:
            return None, f"deadline: no whole answer within {seconds:g} s"
        return None, f"{type(exc).__name__}: {exc}"
    return response.status_code, f"HTTP {response.status_code}" + (
        f": {excerpt}" if excerpt else ""
    )


def _excerpt(response: httpx.Response) -> str:
    """The start of an error answer, for staff reading why a delivery failed: at most
    EXCERPT_BYTES read (a receiver may answer with gigabytes), as printable text; the caller
    redacts numbers. Undecoded, so a compressed answer cannot grow while it is read."""
    taken = b""
    for chunk in response.iter_raw():
        taken += chunk
        if len(taken) >= EXCERPT_BYTES:
            break
    text = taken[:EXCERPT_BYTES].decode("utf-8", "replace")
    return "".join(c if c.isprintable() else " " for c in text)[:200]


def callback_deliver(*, webhook_id: str) -> str:
    """Take the callback if it is due, send it once, and record what happened. Returns the
    outcome: "delivered", "retry", "failed", "not due" (someone else has it or it is done),
    "lease lost" (held too long before sending: another worker may have it; nothing was sent) or
    "endpoint disabled" (not sent: marked failed, for the backend to ask for again)."""
    now = timezone.now()
    # The endpoint of the callback's pool (its own, else the deployment's), as it is now.
    pool_id = Callback.objects.filter(webhook_id=webhook_id).values_list("pool_id", flat=True)
    endpoint = callback_endpoint(pool_id=next(iter(pool_id), None))
    disabled = endpoint_disabled(url=endpoint.url) if endpoint else None
    if disabled is not None:
        # Written, listed by the events API, not sent: the backend asks for it again once staff
        # have enabled the endpoint.
        parked = (
            Callback.objects.due(now)
            .filter(webhook_id=webhook_id)
            .update(
                status=Callback.Status.FAILED,
                lease_until=None,
                last_error=f"not sent: the endpoint is disabled ({disabled.disabled_reason})",
            )
        )
        return "endpoint disabled" if parked else "not due"
    lease = timedelta(seconds=settings.MASKING_CALLBACK_LEASE_SECONDS)
    taken = (
        Callback.objects.due(now)
        .filter(webhook_id=webhook_id)
        .update(
            status=Callback.Status.DELIVERING, lease_until=now + lease, attempts=F("attempts") + 1
        )
    )
    if not taken:
        return "not due"
    callback = Callback.objects.get(webhook_id=webhook_id)
    # Renewed right before sending, only while still ours: the request then ends (its deadline
    # is at most half the lease) before any other worker may take the callback.
    started_at = timezone.now()
    lease_until = started_at + lease
    if not Callback.objects.filter(
        pk=callback.pk,
        status=Callback.Status.DELIVERING,
        lease_until=callback.lease_until,
        lease_until__gt=started_at,
    ).update(lease_until=lease_until):
        return "lease lost"
    started = time.monotonic()
    status_code, error = _post(callback, endpoint)
    error = redact_text(error)[:300]
    disabled_now = None
    if endpoint is not None:
        disabled_now = endpoint_record(
            url=endpoint.url, status_code=status_code, delivered=not error
        )
        if disabled_now is not None:
            logger.warning("callback endpoint disabled: %s", disabled_now.disabled_reason)
    return _finish(
        gone=disabled_now is not None,
        callback=callback,
        lease_until=lease_until,
        attempt=CallbackAttempt(
            callback=callback,
            number=callback.attempts,
            url=endpoint.url if endpoint else "",
            started_at=started_at,
            duration_ms=int((time.monotonic() - started) * 1000),
            status_code=status_code,
            error=error,
        ),
    )


def _finish(
    *, callback: Callback, lease_until: datetime, attempt: CallbackAttempt, gone: bool = False
) -> str:
    now = timezone.now()
    delivered = not attempt.error
    if delivered:
        outcome, changes = "delivered", {"status": Callback.Status.DELIVERED, "delivered_at": now}
    elif gone or callback.attempts >= settings.MASKING_CALLBACK_ATTEMPTS:
        outcome, changes = "failed", {"status": Callback.Status.FAILED}
    else:
        next_at = now + retry_delay(callback.attempts)
        outcome, changes = "retry", {"status": Callback.Status.PENDING, "next_attempt_at": next_at}
    with transaction.atomic():
        # What was sent is on record whatever follows: staff see every request the receiver got.
        attempt.save()
        with transaction.atomic():
            # The callback's state only while the lease is ours: a worker that outlived it has
            # been replaced, and the new one decides.
            mine = Callback.objects.filter(
                pk=callback.pk, status=Callback.Status.DELIVERING, lease_until=lease_until
            )
            if outcome == "retry":
                _enqueue(callback, run_after=changes["next_attempt_at"])
                changes["task_id"] = callback.task_id
            if not mine.update(
                lease_until=None,
                last_status_code=attempt.status_code,
                last_error=attempt.error,
                **changes,
            ):
                transaction.set_rollback(True)
                outcome = "lease lost"
    log = logger.info if delivered else logger.warning
    log(
        "callback %s %s attempt %d: %s (%s)",
        callback.event_type,
        callback.webhook_id,
        callback.attempts,
        attempt.error or f"delivered ({attempt.status_code})",
        outcome,
    )
    return outcome
