"""Telling the business backend what happened: one `emit_*` function per event.

Each is called inside the transaction of the change it reports and writes the callback and its
delivery task there (the outbox): a change that rolls back reports nothing, one that commits is
delivered at least once. Payloads name sessions by id and reference and participants by role,
never by number. With no callback endpoint configured, nothing is written.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from masking import pool_secrets
from masking.models import (
    Callback,
    CallbackEndpoint,
    MaskingSession,
    PinLockout,
    Pool,
    VirtualNumber,
)


@dataclass(frozen=True)
class Endpoint:
    """Where a signed POST goes, and the secrets that sign it."""

    url: str
    secret: str
    previous_secret: str = ""
    previous_until: datetime | None = None  # None: the previous secret signs until removed

    def signing_secrets(self, *, now: datetime | None = None) -> tuple[str, ...]:
        """The current secret, and the previous one while its overlap lasts (a rotation)."""
        now = now or timezone.now()
        overlapping = self.previous_secret and (
            self.previous_until is None or now < self.previous_until
        )
        return (self.secret, self.previous_secret) if overlapping else (self.secret,)


def callback_endpoint(*, pool_id: int | None = None) -> Endpoint | None:
    """Where callbacks go: the pool's own endpoint when `pool_id`'s pool has one (signed with its
    own secret, stored encrypted); else the environment's URL if set, else the admin's, if
    enabled.

    The one place an endpoint and its secrets are looked up: every signed POST asks here."""
    if pool_id is not None:
        own = (
            Pool.objects.filter(pk=pool_id)
            .exclude(callback_url="")
            .values_list("callback_url", "callback_secret_encrypted")
            .first()
        )
        if own is not None:
            return Endpoint(url=own[0], secret=pool_secrets.decrypt(own[1]))
    if settings.MASKING_CALLBACK_URL:
        return Endpoint(
            url=settings.MASKING_CALLBACK_URL,
            secret=settings.MASKING_CALLBACK_SECRET,
            previous_secret=settings.MASKING_CALLBACK_SECRET_PREVIOUS,
            previous_until=settings.MASKING_CALLBACK_SECRET_PREVIOUS_UNTIL,
        )
    row = (
        CallbackEndpoint.objects.filter(enabled=True)
        .values("url", "secret", "previous_secret", "previous_secret_until")
        .first()
    )
    if row is None:
        return None
    return Endpoint(
        url=row["url"],
        secret=row["secret"],
        previous_secret=row["previous_secret"],
        previous_until=row["previous_secret_until"],
    )


def any_callback_endpoint() -> bool:
    """Whether any callback would be written: the deployment has an endpoint, or a pool has."""
    return callback_endpoint() is not None or Pool.objects.exclude(callback_url="").exists()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _session_data(session: MaskingSession) -> dict:
    return {
        "id": session.pk,
        "reference": session.reference,
        "virtual_number": str(session.virtual_number.number),
    }


def _enqueue(callback: Callback, *, run_after: datetime | None = None) -> None:
    from masking.tasks import deliver_callback  # the task imports the delivery, which imports us

    task = deliver_callback.using(run_after=run_after) if run_after else deliver_callback
    callback.task_id = task.enqueue(callback.webhook_id).id


def _write(
    *,
    event_type: str,
    data: dict,
    pool_id: int | None,
    session_id: int | None = None,
    now: datetime | None = None,
) -> Callback:
    now = now or timezone.now()
    callback = Callback(
        event_type=event_type,
        session_id=session_id,
        pool_id=pool_id,
        payload={"type": event_type, "timestamp": _iso(now), "data": data},
        created_at=now,
        next_attempt_at=now,
    )
    # The callback and its task commit together, even when the caller has no transaction open.
    with transaction.atomic():
        _enqueue(callback)
        callback.save()
    return callback


def emit_session_opened(*, session: MaskingSession) -> Callback | None:
    """`session.opened`: a session was opened (API, admin, CSV import) or reopened."""
    pool_id = session.virtual_number.pool_id
    if callback_endpoint(pool_id=pool_id) is None:
        return None
    data = {
        "session": {
            **_session_data(session),
            "expires_at": _iso(session.expires_at),
            "recording_requested": session.recording_requested,
        }
    }
    return _write(
        event_type=Callback.EventType.SESSION_OPENED,
        data=data,
        session_id=session.pk,
        pool_id=pool_id,
    )


def emit_session_closed(*, session: MaskingSession) -> Callback | None:
    """`session.closed`, with the reason: api, staff, expired (the sweep) or number_retired."""
    pool_id = session.virtual_number.pool_id
    if callback_endpoint(pool_id=pool_id) is None:
        return None
    data = {"session": _session_data(session), "reason": session.close_reason}
    return _write(
        event_type=Callback.EventType.SESSION_CLOSED,
        data=data,
        session_id=session.pk,
        now=session.closed_at,
        pool_id=pool_id,
    )


def emit_sessions_closed(*, session_ids: Iterable[int], reason: str, now: datetime) -> int:
    """`session.closed` for each of many sessions closed at once (the expiry sweep)."""
    if not any_callback_endpoint():
        return 0
    rows = MaskingSession.objects.filter(pk__in=list(session_ids)).values_list(
        "pk", "reference", "virtual_number__number", "virtual_number__pool_id"
    )
    endpoints: dict[int, bool] = {}
    written = 0
    for pk, reference, number, pool_id in rows:
        if pool_id not in endpoints:
            endpoints[pool_id] = callback_endpoint(pool_id=pool_id) is not None
        if not endpoints[pool_id]:
            continue
        data = {
            "session": {"id": pk, "reference": reference, "virtual_number": str(number)},
            "reason": reason,
        }
        _write(
            event_type=Callback.EventType.SESSION_CLOSED,
            data=data,
            session_id=pk,
            now=now,
            pool_id=pool_id,
        )
        written += 1
    return written


def emit_call_completed(
    *, session: MaskingSession, call: dict, pool_id: int | None
) -> Callback | None:
    """`call.completed`, once 8x8's session summary for a call of one of our sessions is in.
    `call`: what the call record says (the 8x8 side reads it: the domain never imports it).
    `pool_id`: the pool that answered the call (`Call.pool`): its endpoint and its backend's,
    even if the number has moved since; None (a deleted pool's call): the deployment's."""
    if callback_endpoint(pool_id=pool_id) is None:
        return None
    data = {"session": _session_data(session), "call": call}
    return _write(
        event_type=Callback.EventType.CALL_COMPLETED,
        data=data,
        session_id=session.pk,
        pool_id=pool_id,
    )


def emit_pin_locked(*, lockout: PinLockout) -> Callback | None:
    """`pin.locked`: wrong PINs locked PIN entry on a virtual number until `locked_until`, for
    one phone (`scope` "caller") or for every phone not in a session there ("number").

    Names the number's live PIN sessions by id and reference, the ones a guesser was aiming at;
    never the phone that keyed the PINs, nor any participant's number."""
    number = lockout.virtual_number
    if callback_endpoint(pool_id=number.pool_id) is None:
        return None
    sessions = (
        MaskingSession.objects.live()
        .filter(virtual_number=number, participants__pin_hash__gt="")
        .distinct()
        .order_by("pk")
    )
    data = {
        "scope": "caller" if lockout.caller else "number",
        "virtual_number": {"id": number.pk, "number": str(number.number)},
        "locked_until": _iso(lockout.locked_until),
        "sessions": [_session_data(session) for session in sessions],
    }
    return _write(event_type=Callback.EventType.PIN_LOCKED, data=data, pool_id=number.pool_id)


def emit_numbers_unhealthy(*, number_ids: Iterable[int]) -> int:
    """`number.unhealthy` for each of many numbers made unhealthy at once (8x8's snapshots): the
    endpoint is looked up once, so without one this costs a single query however many."""
    if not any_callback_endpoint():
        return 0
    numbers = list(VirtualNumber.objects.filter(pk__in=list(number_ids)))
    for number in numbers:
        emit_number_unhealthy(number=number)
    return len(numbers)


def emit_number_unhealthy(*, number: VirtualNumber) -> Callback | None:
    """`number.unhealthy`: a virtual number takes no new sessions; its open ones keep working."""
    if callback_endpoint(pool_id=number.pool_id) is None:
        return None
    data = {
        "virtual_number": {"id": number.pk, "number": str(number.number), "status": number.status},
        "open_sessions": number.sessions.open().count(),
    }
    return _write(event_type=Callback.EventType.NUMBER_UNHEALTHY, data=data, pool_id=number.pool_id)


def callback_redeliver(*, callback: Callback) -> bool:
    """Send a callback again from its first try (staff's action), with the same webhook-id.

    One being delivered right now is left alone. Returns whether it was queued.
    """
    with transaction.atomic():
        fresh = Callback.objects.select_for_update().get(pk=callback.pk)
        now = timezone.now()
        if fresh.status == Callback.Status.DELIVERING and fresh.lease_until > now:
            return False
        _enqueue(fresh)
        Callback.objects.filter(pk=fresh.pk).update(
            status=Callback.Status.PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            task_id=fresh.task_id,
        )
    return True


def callbacks_requeue(*, now: datetime | None = None) -> int:
    """Queue again the callbacks no live task will deliver. Returns how many.

    Two ways to strand one: a worker died mid-delivery (the callback is still held, its lease has
    run out, and the queue shows its task running forever), or its task failed or vanished before
    taking it (pending, overdue). Both get a fresh task; the receiver may then see the same
    webhook-id twice, which is what it dedupes by. Run every minute (cron).
    """
    from django_tasks_db.compat import TaskResultStatus  # django.tasks' from Django 6 on
    from django_tasks_db.models import DBTaskResult

    from masking.tasks import deliver_callback

    now = now or timezone.now()
    lease = timedelta(seconds=settings.MASKING_CALLBACK_LEASE_SECONDS)
    live_tasks = DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.READY)
        | Q(status=TaskResultStatus.RUNNING, started_at__gt=now - lease)
    ).values("id")
    requeued = 0
    with transaction.atomic():
        stranded = (
            Callback.objects.filter(
                Q(status=Callback.Status.DELIVERING, lease_until__lt=now)
                | Q(status=Callback.Status.PENDING, next_attempt_at__lt=now - lease)
            )
            .exclude(task_id__in=live_tasks)
            .select_for_update(skip_locked=True)
        )
        for callback in stranded:
            _enqueue(callback)
            Callback.objects.filter(pk=callback.pk).update(
                status=Callback.Status.PENDING,
                lease_until=None,
                next_attempt_at=now,
                task_id=callback.task_id,
            )
            requeued += 1
        # The dead workers' task rows would show "running" forever: close them.
        DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING,
            task_path=deliver_callback.module_path,
            started_at__lt=now - lease,
        ).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path="masking.services.callbacks.WorkerLost",
            traceback="The worker stopped while running this task; its callback was queued again.",
        )
    return requeued


REDELIVER_MAX = 10_000


def callbacks_redeliver(
    *,
    ids: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    within: QuerySet | None = None,
) -> dict:
    """Send events again from their first try, with their webhook-ids: those named by `ids`, or
    those that happened in [since, until). A backend back from an outage or restored from a
    backup asks for what it missed (`POST /api/events/redeliver/`).

    All or nothing: an unknown id, or a range of more than REDELIVER_MAX events, changes nothing
    (ValidationError naming the field). Events being delivered right now are left alone and
    listed as such. Returns {"queued": n, "being_delivered": [ids]}. `within`: the events the
    asker may reach (a user given pools: their pools' events; others are "no such event").
    """
    from django.core.exceptions import ValidationError

    events = Callback.objects.all() if within is None else within

    if ids is not None:
        callbacks = list(events.filter(webhook_id__in=ids))
        unknown = sorted(set(ids) - {c.webhook_id for c in callbacks})
        if unknown:
            raise ValidationError({"ids": [f"No such event: {', '.join(unknown[:10])}."]})
    else:
        found = events.filter(created_at__gte=since, created_at__lt=until or timezone.now())
        callbacks = list(found.order_by("created_at", "id")[: REDELIVER_MAX + 1])
        if len(callbacks) > REDELIVER_MAX:
            raise ValidationError(
                {"since": [f"More than {REDELIVER_MAX} events: ask for a narrower range."]}
            )
    queued, busy = 0, []
    with transaction.atomic():
        for callback in callbacks:
            if callback_redeliver(callback=callback):
                queued += 1
            else:
                busy.append(callback.webhook_id)
    return {"queued": queued, "being_delivered": busy}
