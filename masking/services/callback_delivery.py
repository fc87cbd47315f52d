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
from standardwebhooks import Webhook

from masking import outbound
from masking.models import Callback, CallbackAttempt
from masking.privacy import redact_text
from masking.services.callbacks import Endpoint, _enqueue, callback_endpoint

logger = logging.getLogger(__name__)

USER_AGENT = "masking-callbacks/1"
# How much of a failed delivery's answer is read; 200 characters of it are kept.
EXCERPT_BYTES = 1024


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 10 s, 30 s, 90 s, ... (x3 each),
    plus up to 10% so receivers coming back are not hit by every retry at the same second."""
    seconds = settings.MASKING_CALLBACK_FIRST_RETRY_SECONDS * 3 ** (attempts - 1)
    return timedelta(seconds=seconds * (1 + random.random() / 10))  # noqa: S311


def signed_headers(*, endpoint: Endpoint, webhook_id: str, body: str, at: datetime) -> dict:
    """The three Standard Webhooks headers. The timestamp is this attempt's, so a retry a day
    later still passes the receiver's five-minute freshness check; the id stays the same."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(endpoint.secret).sign(webhook_id, at, body),
    }


def _post(callback: Callback, endpoint: Endpoint | None) -> tuple[int | None, str]:
    """POST the callback. Returns (HTTP status or None, error or "")."""
    if endpoint is None:
        return None, "no callback URL is configured"
    body = json.dumps(callback.payload, separators=(",", ":"))
    try:
        headers = signed_headers(
            endpoint=endpoint, webhook_id=callback.webhook_id, body=body, at=datetime.now(UTC)
        )
    except Exception as exc:  # an empty or malformed secret: the library says which
        return None, f"cannot sign: {exc}"
    try:
        with (
            outbound.client(timeout=settings.MASKING_CALLBACK_TIMEOUT_SECONDS) as http,
            http.stream("POST", endpoint.url, content=body.encode(), headers=headers) as response,
        ):
            if 200 <= response.status_code < 300:
                return response.status_code, ""
            excerpt = _excerpt(response)
    except httpx.HTTPError as exc:
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
    outcome: "delivered", "retry", "failed", or "not due" (someone else has it or it is done)."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.MASKING_CALLBACK_LEASE_SECONDS)
    taken = (
        Callback.objects.due(now)
        .filter(webhook_id=webhook_id)
        .update(
            status=Callback.Status.DELIVERING, lease_until=lease_until, attempts=F("attempts") + 1
        )
    )
    if not taken:
        return "not due"
    callback = Callback.objects.get(webhook_id=webhook_id)
    endpoint = callback_endpoint()
    started = time.monotonic()
    status_code, error = _post(callback, endpoint)
    error = redact_text(error)[:300]
    return _finish(
        callback=callback,
        lease_until=lease_until,
        attempt=CallbackAttempt(
            callback=callback,
            number=callback.attempts,
            url=endpoint.url if endpoint else "",
            started_at=now,
            duration_ms=int((time.monotonic() - started) * 1000),
            status_code=status_code,
            error=error,
        ),
    )


def _finish(*, callback: Callback, lease_until: datetime, attempt: CallbackAttempt) -> str:
    now = timezone.now()
    delivered = not attempt.error
    if delivered:
        outcome, changes = "delivered", {"status": Callback.Status.DELIVERED, "delivered_at": now}
    elif callback.attempts >= settings.MASKING_CALLBACK_ATTEMPTS:
        outcome, changes = "failed", {"status": Callback.Status.FAILED}
    else:
        next_at = now + retry_delay(callback.attempts)
        outcome, changes = "retry", {"status": Callback.Status.PENDING, "next_attempt_at": next_at}
    with transaction.atomic():
        attempt.save()
        # Only while the lease is ours: a worker that outlived it has been replaced.
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
            return "lease lost"
    log = logger.info if delivered else logger.warning
    log(
        "callback %s %s attempt %d: %s",
        callback.event_type,
        callback.webhook_id,
        callback.attempts,
        attempt.error or f"delivered ({attempt.status_code})",
    )
    return outcome
