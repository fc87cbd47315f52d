"""Asking the business about a call from a phone in no session on a number (README, "Calls
outside a session"): the signed POST, within a whole-request deadline, and acting on the answer.

Called by the Call Action view only on the out-of-session path, so calls in a session never wait
on it. The request is signed like the callbacks (Standard Webhooks, `signed_headers`) and goes
through the guarded outbound transport (https, public addresses, no redirects, answers capped).
"""

import json
import logging
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from callflows.decision import BusinessKind
from callflows.out_of_session import read_answer
from masking import outbound
from masking.db import time_left
from masking.models import MaskingSession, VirtualNumber
from masking.privacy import FULL_NUMBERS_PERMISSION, mask, redact_text
from masking.routing import BusinessAnswer, CallFacts
from masking.services.audit import SYSTEM
from masking.services.callbacks import Endpoint, callback_endpoint
from masking.signing import signed_headers

logger = logging.getLogger(__name__)

EVENT_TYPE = "call.out_of_session"
# An answer is four small fields: anything past this is not one.
MAX_ANSWER_BYTES = 16 * 1024
RECENT_SESSIONS = 5
RECENT_DAYS = 30
# Of the Call Action's database deadline, what is kept for after the business's answer: opening
# the session it may ask for and recording the call. With the defaults (1,000 ms), a first call
# still gives the business its whole MASKING_OUT_OF_SESSION_DEADLINE_MS; a PIN step that took
# long gives it less, never the time the call's record needs.
AFTER_THE_BUSINESS_SECONDS = 0.5

_client_lock = threading.Lock()
_client = None


def _http():
    """One client per process, its connections kept alive: a TLS handshake per call would eat
    much of the deadline (a Deadline bounds kept-alive connections too). Made on first use (after
    gunicorn forks)."""
    global _client
    with _client_lock:
        if _client is None:
            _client = outbound.client(
                transport=outbound.GuardedTransport(max_answer_bytes=MAX_ANSWER_BYTES)
            )
        return _client


def post_within(*, url: str, body: bytes, headers: dict, seconds: float) -> tuple[int, bytes]:
    """POST and read the whole answer within `seconds`, wall clock, whatever the receiver does
    (`outbound.Deadline`: httpx's timeouts bound each read, and a receiver trickling a byte at a
    time would hold the caller far longer). Raises httpx.TimeoutException at the deadline."""
    deadline = outbound.Deadline(seconds)
    try:
        with deadline:
            response = _http().post(url, content=body, headers=headers, timeout=seconds)
    except httpx.HTTPError as exc:
        if deadline.expired:
            raise httpx.TimeoutException(f"no answer within {int(seconds * 1000)} ms") from exc
        raise
    return response.status_code, response.content


def business_seconds() -> float:
    """How long the business may take: its deadline, within what is left of the Call Action's."""
    wanted = settings.MASKING_OUT_OF_SESSION_DEADLINE_MS / 1000
    left = time_left()
    return wanted if left is None else min(wanted, left - AFTER_THE_BUSINESS_SECONDS)


def _endpoint(url: str, *, pool_id: int | None) -> Endpoint | None:
    """The business's decision endpoint at `url` (the number's pool's, else the setting's): its
    own secret, else the secrets the number's pool's callbacks are signed with (the pool's own,
    else the deployment's; a rotation of those then signs these requests with both, like the
    callbacks). A pool's backend thus verifies both with the one secret it was given."""
    if not url:
        return None
    if settings.MASKING_OUT_OF_SESSION_SECRET:
        return Endpoint(url=url, secret=settings.MASKING_OUT_OF_SESSION_SECRET)
    callbacks = callback_endpoint(pool_id=pool_id)
    if callbacks is None:
        return Endpoint(url=url, secret="")
    return replace(callbacks, url=url)


# Whether MASKING_OUT_OF_SESSION_USER may see full numbers (`may_see_full_numbers`: active, and a
# superuser or holding the permission itself or through a group), read in the same statement as
# the caller's recent sessions: no query of its own per call. The one-row base (`may`) keeps the
# answer when the caller has no recent session.
_CONTEXT_SQL = """
SELECT may.whole, r.id, r.reference, r.status, r.started_at, r.closed_at, r.role
FROM (SELECT EXISTS (
        SELECT 1 FROM {user} u
        WHERE u.username = %s AND u.is_active AND (
          u.is_superuser
          OR EXISTS (SELECT 1 FROM {user_perms} up
                     JOIN auth_permission ap ON ap.id = up.permission_id
                     JOIN django_content_type ct ON ct.id = ap.content_type_id
                     WHERE up.{user_fk} = u.id AND ap.codename = %s AND ct.app_label = %s)
          OR EXISTS (SELECT 1 FROM {user_groups} ug
                     JOIN auth_group_permissions gp ON gp.group_id = ug.group_id
                     JOIN auth_permission ap ON ap.id = gp.permission_id
                     JOIN django_content_type ct ON ct.id = ap.content_type_id
                     WHERE ug.{user_fk} = u.id AND ap.codename = %s AND ct.app_label = %s))
      ) AS whole) may
LEFT JOIN (
    SELECT DISTINCT s.id, s.reference, s.status, s.started_at, s.closed_at, pt.role
    FROM masking_maskingsession s
    JOIN masking_virtualnumber vn ON vn.id = s.virtual_number_id
    JOIN masking_participant pt ON pt.session_id = s.id
    WHERE vn.number = %s AND pt.number = %s AND s.started_at > %s
    ORDER BY s.started_at DESC
    LIMIT {limit}
) r ON 1 = 1
ORDER BY r.started_at DESC
"""


@lru_cache(maxsize=1)
def _context_sql() -> str:
    user = get_user_model()
    user_fk = user.groups.field.m2m_column_name()
    return _CONTEXT_SQL.format(
        user=connection.ops.quote_name(user._meta.db_table),
        user_perms=user.user_permissions.through._meta.db_table,
        user_groups=user.groups.through._meta.db_table,
        user_fk=user_fk,
        limit=RECENT_SESSIONS,
    )


def _as_time(value) -> datetime | None:
    """A time as raw SQL returns it (SQLite: text)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def out_of_session_context(*, facts: CallFacts, now: datetime) -> tuple[bool, list[dict]]:
    """(whether the endpoint's user may see the caller's number whole, the caller's recent
    sessions on this number by id and reference, never by number), in one statement."""
    app_label, codename = FULL_NUMBERS_PERMISSION.split(".")
    since = MaskingSession._meta.get_field("started_at").get_db_prep_value(
        now - timedelta(days=RECENT_DAYS), connection
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _context_sql(),
            [
                settings.MASKING_OUT_OF_SESSION_USER,
                codename,
                app_label,
                codename,
                app_label,
                facts.virtual_number,
                facts.caller,
                since,
            ],
        )
        rows = cursor.fetchall()
    whole = bool(rows and rows[0][0])
    recent = [
        {
            "id": row[1],
            "reference": row[2],
            "status": row[3],
            "started_at": _iso(_as_time(row[4])),
            "closed_at": _iso(_as_time(row[5])),
            "caller_role": row[6],
        }
        for row in rows
        if row[1] is not None and facts.caller
    ]
    return whole, recent


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def request_body(*, facts: CallFacts, provider_session_id: str, now: datetime) -> dict:
    whole, recent = out_of_session_context(facts=facts, now=now)
    caller = facts.caller if whole else mask(facts.caller) if facts.caller else ""
    return {
        "type": EVENT_TYPE,
        "timestamp": _iso(now),
        "data": {
            "call": {
                "provider_session_id": provider_session_id,
                "caller": caller,
                "caller_withheld": not facts.caller,
            },
            "virtual_number": facts.virtual_number,
            "recent_sessions": recent,
        },
    }


def ask_business(*, facts: CallFacts, provider_session_id: str = "") -> BusinessAnswer:
    """Ask the business what to do with this call, and act on an `open_session` answer (the
    session is opened here, so the decision can connect to it). Never raises: a failure is an
    answer of kind TIMEOUT, ERROR or BAD_ANSWER, and the caller gets the no-session flow."""
    now = timezone.now()
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    endpoint = _endpoint(facts.rules.out_of_session_url, pool_id=facts.pool_id)
    if endpoint is None:
        return BusinessAnswer(kind=BusinessKind.ERROR, elapsed_ms=0, detail="no endpoint")
    seconds = business_seconds()
    if seconds <= 0:
        return _failed(BusinessKind.TIMEOUT, 0, "no time left in the Call Action's deadline")
    try:
        body = json.dumps(
            request_body(facts=facts, provider_session_id=provider_session_id, now=now),
            separators=(",", ":"),
        )
        headers = signed_headers(
            secrets=endpoint.signing_secrets(),
            webhook_id=f"msg_{uuid.uuid4().hex}",
            body=body,
            at=datetime.now(UTC),
        )
        status, content = post_within(
            url=endpoint.url,
            body=body.encode(),
            headers=headers,
            seconds=seconds,
        )
    except httpx.TimeoutException as exc:
        # Whichever fires first at the deadline: ours, or httpx's own phase timeout.
        return _failed(BusinessKind.TIMEOUT, took(), f"no answer in time ({exc})")
    except Exception as exc:
        return _failed(BusinessKind.ERROR, took(), f"{type(exc).__name__}: {exc}")
    if not 200 <= status < 300:
        return _failed(BusinessKind.ERROR, took(), f"HTTP {status}")
    answer = read_answer(content, elapsed_ms=took())
    if answer.kind == BusinessKind.OPEN_SESSION:
        return _open_session(answer=answer, facts=facts, now=now)
    return answer


def _failed(kind: str, elapsed_ms: int, detail: str) -> BusinessAnswer:
    detail = redact_text(detail)[:300]
    logger.warning("out-of-session request: %s (%d ms): %s", kind, elapsed_ms, detail)
    return BusinessAnswer(kind=kind, elapsed_ms=elapsed_ms, detail=detail)


def _open_session(*, answer: BusinessAnswer, facts: CallFacts, now: datetime) -> BusinessAnswer:
    """Open the session the business asked for: the caller as participant A (so a one-way
    default lets them call), the named participant as B."""
    from masking.services.sessions import session_create  # the services import the models

    if not facts.caller:
        return BusinessAnswer(
            kind=BusinessKind.ERROR,
            elapsed_ms=answer.elapsed_ms,
            detail="open_session: the caller's number is withheld",
        )
    try:
        number = VirtualNumber.objects.get(number=facts.virtual_number)
        session = session_create(
            participant_a=facts.caller,
            participant_b=answer.destination,
            virtual_number=number,
            reference=answer.reference,
            expires_at=now + timedelta(seconds=answer.session_seconds),
            via=SYSTEM,
        )
    except (ValidationError, VirtualNumber.DoesNotExist) as exc:
        detail = "open_session: " + "; ".join(
            getattr(exc, "messages", None) or [type(exc).__name__]
        )
        return BusinessAnswer(
            kind=BusinessKind.ERROR, elapsed_ms=answer.elapsed_ms, detail=redact_text(detail)[:300]
        )
    return BusinessAnswer(
        kind=answer.kind,
        elapsed_ms=answer.elapsed_ms,
        destination=answer.destination,
        session_id=session.pk,
        reference=answer.reference,
        session_seconds=answer.session_seconds,
    )
