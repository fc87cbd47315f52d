"""Writing what happened on calls: the Call Action's answer, and the provider's later events.

Every provider event is stored once. A redelivery (same `eventId`; for summaries the same
`sessionId`; for recordings the same `recordingId`) answers 200 and changes nothing. Events may
arrive in any order: whichever comes first creates the call by its `sessionId`, the rest fill in.
"""

import uuid
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from callflows.decision import Decision
from callflows.models import Call, CallEvent
from masking.services.callbacks import emit_call_completed

# The Call Action is the hot path (the caller hears silence meanwhile): its record is one
# statement. Insert the call, or, if an event already created it by sessionId (or this is a
# keypad follow-up on the same call), update it with this action's answer, unless it already
# holds this very event: then nothing is returned and we answer what we answered the first time.
# Both PostgreSQL and SQLite (3.35+) speak this dialect of upsert.
_ANSWER_UPSERT = """
INSERT INTO callflows_call (
    provider_session_id, action_event_id, virtual_number, caller, masking_session_id, outcome,
    recorded, answer, answered_at, created_at, keypad_tries, status, last_action, error_message,
    recording_id, recording_path
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', '', '', '', '')
ON CONFLICT (provider_session_id) DO UPDATE SET
    action_event_id = excluded.action_event_id,
    virtual_number = excluded.virtual_number,
    caller = excluded.caller,
    masking_session_id = excluded.masking_session_id,
    outcome = excluded.outcome,
    recorded = excluded.recorded,
    answer = excluded.answer,
    answered_at = excluded.answered_at,
    keypad_tries = excluded.keypad_tries
WHERE callflows_call.action_event_id = ''
   OR callflows_call.action_event_id <> excluded.action_event_id
RETURNING id
"""


def call_record_answer(
    *,
    provider_session_id: str | None,
    event_id: str | None,
    virtual_number: str,
    caller: str,
    decision: Decision,
    answer: dict,
    now: datetime | None = None,
) -> dict:
    """Record what we answered a Call Action, and return the answer to send.

    That is `answer`, except for a redelivered event: then it is the answer stored the first time,
    so two deliveries of one event, even at the same moment on two servers, get the same callflow
    and leave one record. A Call Action without ids (never seen from 8x8) gets made-up ones, so it
    is still on record.
    """
    now = now or timezone.now()
    session_id = provider_session_id or f"local-{uuid.uuid4()}"
    fields = Call._meta
    params = [
        session_id,
        event_id or f"local-{uuid.uuid4()}",
        virtual_number,
        caller,
        decision.session_id,
        decision.outcome.value,
        decision.record,
        fields.get_field("answer").get_db_prep_save(answer, connection),
        fields.get_field("answered_at").get_db_prep_save(now, connection),
        fields.get_field("created_at").get_db_prep_save(now, connection),
        decision.tries,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_ANSWER_UPSERT, params)
        if cursor.fetchone() is not None:
            return answer
    stored = Call.objects.filter(provider_session_id=session_id).values_list("answer", flat=True)
    return stored.first() or answer


def _call_for(session_id: str) -> Call:
    call, _ = Call.objects.get_or_create(provider_session_id=session_id)
    return call


def storable(value):
    """`value` with NUL characters removed from every string: PostgreSQL's jsonb refuses them,
    and they carry nothing 8x8 could mean."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def _store_event(*, dedupe_key: str, kind: str, session_id: str, **fields) -> CallEvent | None:
    """Store the event unless already stored. Returns None for a redelivery."""
    fields["payload"] = storable(fields.get("payload", {}))
    try:
        with transaction.atomic():
            return CallEvent.objects.create(
                dedupe_key=dedupe_key, kind=kind, call=_call_for(session_id), **fields
            )
    except IntegrityError:
        if CallEvent.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def status_ingest(*, payload: dict, raw: dict) -> bool:
    """A leg's progress (VCS). Returns False for a redelivery."""
    event = _store_event(
        dedupe_key=payload["eventId"],
        kind=CallEvent.Kind.STATUS,
        session_id=payload["sessionId"],
        leg=payload.get("callDirection") or "",
        status=payload.get("callStatus") or "",
        sip_code=payload.get("sipCode"),
        occurred_at=payload.get("timestamp"),
        payload=raw,
    )
    return event is not None


def summary_ingest(*, payload: dict, raw: dict) -> bool:
    """The authoritative outcome (VSS), once per sessionId. Returns False for a redelivery."""
    with transaction.atomic():
        event = _store_event(
            dedupe_key=f"summary:{payload['sessionId']}",
            kind=CallEvent.Kind.SUMMARY,
            session_id=payload["sessionId"],
            status=payload["sessionStatus"],
            occurred_at=payload.get("endTime"),
            payload=raw,
        )
        if event is None:
            return False
        legs = payload.get("legs", {})
        caller_leg, callee_leg = legs.get("calla") or {}, legs.get("callb") or {}
        error = payload.get("errorDetails") or {}
        Call.objects.filter(pk=event.call_id).update(
            status=payload["sessionStatus"],
            started_at=payload.get("startTime"),
            ended_at=payload.get("endTime"),
            caller_seconds=caller_leg.get("callDuration"),
            callee_seconds=callee_leg.get("callDuration"),
            caller_mos=(caller_leg.get("callQuality") or {}).get("mos"),
            callee_mos=(callee_leg.get("callQuality") or {}).get("mos"),
            last_action=payload.get("lastAction") or "",
            error_code=error.get("errorCode"),
            error_message=(error.get("errorMsg") or "")[:300],
            summary_received_at=timezone.now(),
        )
        emit_call_completed(call_id=event.call_id)
    return True


def recording_ingest(*, payload: dict, raw: dict) -> bool:
    """A recording pushed to our storage (VRU). Returns False for a redelivery."""
    with transaction.atomic():
        event = _store_event(
            dedupe_key=f"recording:{payload['recordingId']}",
            kind=CallEvent.Kind.RECORDING,
            session_id=payload["sessionId"],
            status=payload.get("status") or "",
            payload=raw,
        )
        if event is None:
            return False
        Call.objects.filter(pk=event.call_id).update(
            recording_id=payload["recordingId"],
            recording_path=payload.get("filePath") or "",
            recording_seconds=payload.get("durationSeconds"),
        )
    return True
