"""Writing what happened on calls: the Call Action's answer, and the provider's later events.

Every provider event is stored once. A redelivery (same `eventId`; for summaries the same
`sessionId`; for recordings the same `recordingId`) answers 200 and changes nothing. Events may
arrive in any order: whichever comes first creates the call by its `sessionId`, the rest fill in.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from callflows.callers import caller_role
from callflows.decision import Decision, Outcome
from callflows.models import Call, CallAction, CallEvent, OutOfSessionAnswer
from callflows.provider_state import NO_PUSH_CONFIG
from masking.routing import BusinessAnswer
from masking.services.callbacks import any_callback_endpoint, emit_call_completed

# The Call Action is the hot path (the caller hears silence meanwhile). Its record is the event,
# stored once by eventId with the answer given, and the call's latest state, keyed by sessionId:
# whichever event comes first creates the call, later actions on it (keypad follow-ups) update it.
# Only the delivery that stores the event touches the call, so a redelivery, however late, flips
# nothing. Both PostgreSQL and SQLite (3.35+) speak this dialect of upsert.
_CALL_COLUMNS = """
    provider_session_id, action_event_id, virtual_number, caller, masking_session_id, outcome,
    recorded, answer, answered_at, created_at, keypad_tries, recording_withheld, status,
    last_action, error_message, recording_id, recording_path, pool_id
"""
# The call's pool is its number's (`Call.pool`), looked up inside the write: no round trip more.
_POOL_OF = "(SELECT v.pool_id FROM masking_virtualnumber v WHERE v.number = {number})"
_CALL_VALUES = (
    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', '', '', '', '', "
    + _POOL_OF.format(number="%s")
)
# In INSERT ... SELECT, PostgreSQL cannot infer a parameter's type from its column: say it.
_PG_CALL_VALUES = (
    "%s::varchar, %s::varchar, %s::varchar, %s::varchar, %s::bigint, %s::varchar, %s::boolean, "
    "%s::jsonb, %s::timestamptz, %s::timestamptz, %s::smallint, %s::varchar, '', '', '', '', '', "
    + _POOL_OF.format(number="%s::varchar")
)
# The call now holds this action's answer... Its pool is the one that first answered it: a call
# 8x8's events created (no Call Action yet, no number) takes this action's; a call answered before
# keeps its own, none included (a number added while its caller is on a keypad prompt takes no
# call answered as no pool's).
_CALL_TAKES_ANSWER = """
ON CONFLICT (provider_session_id) DO UPDATE SET
    action_event_id = excluded.action_event_id,
    virtual_number = excluded.virtual_number,
    caller = excluded.caller,
    masking_session_id = excluded.masking_session_id,
    outcome = excluded.outcome,
    recorded = excluded.recorded,
    answer = excluded.answer,
    answered_at = excluded.answered_at,
    keypad_tries = excluded.keypad_tries,
    recording_withheld = excluded.recording_withheld,
    pool_id = CASE WHEN callflows_call.action_event_id = '' THEN excluded.pool_id
        ELSE callflows_call.pool_id END
"""
# ...or, for a follow-up we only hang up on, keeps what it was (a bridge stays a bridge on record).
_CALL_KEEPS_ANSWER = "ON CONFLICT (provider_session_id) DO NOTHING"
_ACTION_INSERT = """
INSERT INTO callflows_callaction (event_id, provider_session_id, outcome, answer, answered_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (event_id) DO NOTHING
RETURNING 1
"""
# PostgreSQL: one statement, one round trip. The call's upsert reads the event's insert, so it runs
# only when the event is new; a concurrent delivery of the same event waits on its key, then
# inserts nothing and answers what the first one stored.
_PG_RECORD = """
WITH action AS ({action}),
call AS (INSERT INTO callflows_call ({columns}) SELECT {values} FROM action {conflict} {returning})
SELECT (SELECT count(*) FROM action),
       (SELECT max(id) FROM call
        WHERE summary_received_at IS NOT NULL AND masking_session_id IS NOT NULL)
"""
# Whether 8x8's summary of this call came before this Call Action linked it to a session: then
# `call.completed` is written now (`call_report_completed`). Read in the same statement, so the
# common order (the summary last) costs no query more.
_RETURNING = "RETURNING id, summary_received_at, masking_session_id"


def pg_record_sql(*, keeps_answer: bool) -> str:
    """The Call Action's write on PostgreSQL, one statement; `keeps_answer` for a hang-up."""
    return _PG_RECORD.format(
        action=_ACTION_INSERT,
        columns=_CALL_COLUMNS,
        values=_PG_CALL_VALUES,
        conflict=_CALL_KEEPS_ANSWER if keeps_answer else _CALL_TAKES_ANSWER,
        returning=_RETURNING,
    )


# Built once: the statement's text is also psycopg's key for its prepared statement.
_PG_RECORD_TAKING_ANSWER = pg_record_sql(keeps_answer=False)
_PG_RECORD_KEEPING_ANSWER = pg_record_sql(keeps_answer=True)


@dataclass(frozen=True)
class Recorded:
    answer_json: str  # what to send: ours, or for a redelivery what we sent the first time
    first: bool  # this delivery stored the event: it alone applies the keypad effects


def call_record_answer(
    *,
    provider_session_id: str | None,
    event_id: str | None,
    virtual_number: str,
    caller: str,
    decision: Decision,
    answer_json: str,
    now: datetime | None = None,
) -> Recorded:
    """Store the Call Action event with its answer and update the call, unless already stored.

    For a redelivered event (same `eventId`), even at the same moment on two servers or long after
    newer events on the call, nothing changes and the answer is the one stored the first time.
    A Call Action without ids (never seen from 8x8) gets made-up ones, so it is still on record.
    A `hangup` answer (a follow-up to anything but our keypad prompts) leaves the call as it was.
    `answer_json` is the callflow as JSON text, stored as it is sent (both columns are JSON).
    """
    now = now or timezone.now()
    session_id = provider_session_id or f"local-{uuid.uuid4()}"
    event_id = event_id or f"local-{uuid.uuid4()}"
    now_db = Call._meta.get_field("answered_at").get_db_prep_save(now, connection)
    action_params = [event_id, session_id, decision.outcome.value, answer_json, now_db]
    call_params = [
        session_id,
        event_id,
        virtual_number,
        caller,
        decision.session_id,
        decision.outcome.value,
        decision.record,
        answer_json,
        now_db,
        now_db,
        decision.tries,
        NO_PUSH_CONFIG if decision.recording_withheld else "",
        virtual_number,
    ]
    keeps_answer = decision.outcome == Outcome.HANGUP
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = _PG_RECORD_KEEPING_ANSWER if keeps_answer else _PG_RECORD_TAKING_ANSWER
            cursor.execute(sql, action_params + call_params)
            count, summarised_call = cursor.fetchone()
            first = count == 1
        else:
            # SQLite has no data-modifying WITH: two statements in one transaction, in process
            # (no round trip), and SQLite runs one writer at a time.
            summarised_call = None
            with transaction.atomic():
                cursor.execute(_ACTION_INSERT, action_params)
                first = cursor.fetchone() is not None
                if first:
                    conflict = _CALL_KEEPS_ANSWER if keeps_answer else _CALL_TAKES_ANSWER
                    cursor.execute(
                        f"INSERT INTO callflows_call ({_CALL_COLUMNS}) VALUES ({_CALL_VALUES}) "
                        f"{conflict} {_RETURNING}",
                        call_params,
                    )
                    row = cursor.fetchone()
                    summarised_call = row[0] if row and row[1] and row[2] else None
    if summarised_call is not None:
        call_report_completed(call_id=summarised_call)
    if first:
        return Recorded(answer_json=answer_json, first=True)
    stored = CallAction.objects.filter(event_id=event_id).values_list("answer", flat=True).first()
    if stored is None:
        return Recorded(answer_json=answer_json, first=False)
    return Recorded(
        answer_json=json.dumps(stored, ensure_ascii=False, separators=(",", ":")), first=False
    )


def _call_for(session_id: str, *, foreign: bool = False) -> Call:
    defaults = {"outcome": Call.Outcome.OTHER_ACCOUNT} if foreign else {}
    call, _ = Call.objects.get_or_create(provider_session_id=session_id, defaults=defaults)
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
            call = _call_for(session_id, foreign=bool(fields.get("foreign_subaccount")))
            return CallEvent.objects.create(dedupe_key=dedupe_key, kind=kind, call=call, **fields)
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
        unreadable=",".join(payload.get("unreadable") or []),
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
            error_message=error.get("errorMsg") or "",
            summary_received_at=timezone.now(),
        )
        call_report_completed(call_id=event.call_id)
    return True


def call_report_completed(*, call_id: int) -> None:
    """Write `call.completed` if the call has both its session (the Call Action) and 8x8's
    summary, and it was not written before.

    Called by both: 8x8 does not promise which comes last. The conditional UPDATE claims the
    report; of two concurrent callers (or redeliveries), the one that sets `completed_reported_at`
    writes the callback, the other finds it set and writes nothing.
    """
    with transaction.atomic():  # the claim and the callback commit together
        claimed = Call.objects.filter(
            pk=call_id,
            masking_session__isnull=False,
            summary_received_at__isnull=False,
            completed_reported_at__isnull=True,
        ).update(completed_reported_at=timezone.now())
        if claimed:
            call_completed_emit(call_id=call_id)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None  # as callbacks write times


def call_completed_emit(*, call_id: int) -> None:
    """`call.completed` for a call of one of our sessions (a caller in no session: nothing the
    business could match it to)."""
    if not any_callback_endpoint():
        return
    call = (
        Call.objects.select_related("masking_session__virtual_number")
        .filter(pk=call_id, masking_session__isnull=False)
        .first()
    )
    if call is None:
        return
    session = call.masking_session
    emit_call_completed(
        session=session,
        pool_id=call.pool_id,
        call={
            "id": call.pk,
            "caller_role": caller_role(
                caller=call.caller, answer=call.answer, participants=session.participants.all()
            ),
            "outcome": call.status,
            "started_at": _iso(call.started_at),
            "ended_at": _iso(call.ended_at),
            "talk_seconds": call.talk_seconds,
            "recorded": call.recorded,
        },
    )


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


FOREIGN_KEYS = {
    CallEvent.Kind.STATUS: lambda p: p["eventId"],
    CallEvent.Kind.SUMMARY: lambda p: f"summary:{p['sessionId']}",
    CallEvent.Kind.RECORDING: lambda p: f"recording:{p['recordingId']}",
}


def foreign_ingest(*, kind: str, payload: dict, raw: dict, subaccount: str) -> bool:
    """An event of another sub-account (`callflows.subaccounts`): stored once, flagged, and
    nothing else: the call's record, recordings and callbacks stay untouched."""
    event = _store_event(
        dedupe_key=FOREIGN_KEYS[kind](payload),
        kind=kind,
        session_id=payload["sessionId"],
        status=payload.get("callStatus")
        or payload.get("sessionStatus")
        or payload.get("status")
        or "",
        foreign_subaccount=subaccount,
        payload=raw,
    )
    return event is not None


def out_of_session_answer_record(
    *, provider_session_id: str | None, business: BusinessAnswer
) -> OutOfSessionAnswer | None:
    """Put what the business answered about a call in no session on the call's record."""
    call_id = (
        Call.objects.filter(provider_session_id=provider_session_id)
        .values_list("pk", flat=True)
        .first()
        if provider_session_id
        else None
    )
    if call_id is None:
        return None
    answer = OutOfSessionAnswer(
        call_id=call_id,
        answer=business.kind,
        elapsed_ms=business.elapsed_ms,
        detail=business.detail[:300],
        opened_session_id=business.session_id,
    )
    # The call and the session were just written by this request: not looked up again.
    answer.full_clean(exclude=["call", "opened_session"], validate_unique=False)
    answer.save()
    return answer


def call_record_business_answer(
    *,
    provider_session_id: str | None,
    event_id: str | None,
    decision: Decision,
    answer_json: str,
    changed: bool,
) -> None:
    """After a failed PIN step was recorded (and its wrong PIN counted): what the business then
    answered. `changed`: its answer replaced the PIN step's callflow, so the event (what a
    redelivery gets) and the call take the new answer and outcome; the call's session is the one
    the business opened, if any."""
    with transaction.atomic():
        if changed and event_id:
            answer = json.loads(answer_json)
            CallAction.objects.filter(event_id=event_id).update(
                outcome=decision.outcome.value, answer=answer
            )
            Call.objects.filter(
                provider_session_id=provider_session_id, action_event_id=event_id
            ).update(
                outcome=decision.outcome.value,
                answer=answer,
                masking_session_id=decision.session_id,
                keypad_tries=decision.tries,
            )
        if decision.business is not None:
            out_of_session_answer_record(
                provider_session_id=provider_session_id, business=decision.business
            )
