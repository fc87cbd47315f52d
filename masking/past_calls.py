"""Selectors for a past call: the facts its decision was made from, as the database held them then.

Support's question is "what happened to my call at 10:52?", not "what would happen now". The
call decision is a pure function of `CallFacts` (`callflows.decision.decide`); this module builds
those facts *as of* a moment from what the database keeps of the past:

- a session's state then from its history (the audit trail: opened, ended, reopened), its expiry
  then from the first change of expiry after that moment ("old → new" keeps the old value);
- consent from opt-ins made before and not revoked by then;
- PIN lockouts in force then (locked, not yet over, not cleared by then);
- the number's status: its status now, except that a number retired after that moment was in
  service then (its retirement's time is its last change).

What is not kept is read as it is now, and said so: the prompts' texts, whether a session asked
for recording. Reads only; a fixed number of queries whatever the size of the tables.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from callflows.models import Call
from masking.models import (
    AuditEntry,
    MaskingSession,
    Participant,
    PinLockout,
    RecordingOptIn,
    VirtualNumber,
)
from masking.models.pin_access import pin_caller
from masking.routing import CallFacts, SessionFacts
from masking.selectors import language_for, prompts_heard

# The caller's sessions on the number told in the story, latest first.
STORY_SESSIONS = 5
OPENING = {"opened": True, "reopened": True, "ended": False}


@dataclass(frozen=True)
class SessionEvent:
    """One line of a session's history, as the audit trail has it."""

    at: datetime
    what: str  # opened, changed, extended, ended, reopened
    via: str
    who: str
    changes: dict


@dataclass(frozen=True)
class SessionThen:
    """One of the caller's sessions on the number, as it stood at the moment asked about."""

    session: MaskingSession
    other_party: str  # E.164
    open_then: bool  # not closed at that moment, by its history
    expires_then: datetime | None
    started: bool  # had started by then
    events: list[SessionEvent]
    at: datetime  # the moment asked about
    caller_role: str = "a"  # the caller's role in it ("a"/"b"): one-way sessions route by it

    @property
    def expired_then(self) -> bool:
        return self.expires_then is not None and self.expires_then <= self.at

    @property
    def live_then(self) -> bool:
        return self.open_then and self.started and not self.expired_then

    @property
    def last_closure(self) -> SessionEvent | None:
        """The closure in force then: the latest "ended" at or before the moment."""
        ended = [e for e in self.events if e.what == "ended" and e.at <= self.at]
        return ended[-1] if ended and not self.open_then else None

    @property
    def later(self) -> list[SessionEvent]:
        """What happened to it after the moment (reopened, extended, ended)."""
        return [e for e in self.events if e.at > self.at]


@dataclass(frozen=True)
class PastCall:
    at: datetime
    facts: CallFacts
    number: VirtualNumber | None
    sessions: list[SessionThen]  # the caller's sessions on the number, latest first
    lockouts: list[PinLockout]  # in force then, for this caller or the whole number
    caveats: list[str]  # what is read as it is now, not as it was


def past_call_facts(*, virtual_number: str, caller: str, at: datetime) -> PastCall:
    """The facts a call from `caller` to `virtual_number` (both E.164) was decided from at `at`."""
    number = VirtualNumber.objects.filter(number=virtual_number).select_related("pool").first()
    caveats = ["Prompts are today's texts: their past wording is not kept."]
    if number is None:
        facts = CallFacts(virtual_number=virtual_number, caller=caller, number_status=None)
        return PastCall(at, facts, None, [], [], caveats)

    status = number.status
    if status == VirtualNumber.Status.RETIRED and number.updated_at > at:
        status = VirtualNumber.Status.ACTIVE
        caveats.append(
            "The number is retired now, but was retired after this moment: it was in service."
        )
    sessions = caller_sessions_then(number=number, caller=caller, at=at)
    live = next((s for s in sessions if s.live_then), None)
    session_facts = None
    if live is not None:
        consented = consented_then(numbers=[caller, live.other_party], at=at)
        session_facts = SessionFacts(
            session_id=live.session.pk,
            starts_at=live.session.started_at,
            expires_at=live.expires_then,
            closed=False,
            other_party=live.other_party,
            recording_requested=live.session.recording_requested,
            caller_consented=caller in consented,
            other_party_consented=live.other_party in consented,
            caller_role=live.caller_role,
            # Today's rules: a change of rules is not in the session's history.
            rules=live.session.rules,
            connected_calls=connected_before(session=live.session, at=at),
        )
    lockouts = lockouts_then(number=number, caller=caller, at=at)
    default = number.pool.rules.default_language
    language = language_for(caller)
    prompts = prompts_heard(language=language, default=default, pool_id=number.pool_id)
    facts = CallFacts(
        virtual_number=virtual_number,
        caller=caller,
        number_status=status,
        session=session_facts,
        prompts=prompts,
        pin_sessions=pin_sessions_then(number=number, at=at),
        pin_paused=paused_for(caller=caller, number=number, lockouts=lockouts, at=at),
        pool_id=number.pool_id,
        deployment_pool=number.pool.is_deployment_pool,
        catalogue_dialect=number.pool.catalogue_dialect,
        # The pool's rules as they are now: their past values are in the pool's history only.
        rules=number.pool.rules,
    )
    return PastCall(at, facts, number, sessions, lockouts, caveats)


def connected_before(*, session: MaskingSession, at: datetime) -> int:
    """The calls `session` had bridged before `at` (read only when it has a limit)."""
    if session.max_calls is None:
        return 0
    # By the reverse relation, not an import: the domain does not reach up into callflows.
    return session.calls.filter(outcome="connect", created_at__lt=at).count()


def caller_sessions_then(*, number: VirtualNumber, caller: str, at: datetime) -> list[SessionThen]:
    """The caller's sessions on `number` that had been created by `at`, latest first, each with
    its state then. Three queries."""
    mine = list(
        Participant.objects.filter(virtual_number=number, number=caller)
        .filter(Q(session__created_at__lte=at) | Q(session__started_at__lte=at))
        .select_related("session")
        .order_by("-session__started_at", "-session_id")[:STORY_SESSIONS]
    )
    ids = [p.session_id for p in mine]
    others = {
        p.session_id: str(p.number)
        for p in Participant.objects.filter(session_id__in=ids).exclude(number=caller)
    }
    events: dict[int, list[SessionEvent]] = {i: [] for i in ids}
    history = AuditEntry.objects.filter(
        object_type=MaskingSession._meta.label, object_id__in=[str(i) for i in ids]
    ).select_related("actor")
    for entry in history.order_by("at", "id"):
        events[int(entry.object_id)].append(
            SessionEvent(
                at=entry.at,
                what=entry.action,
                via=entry.via,
                who=entry.actor.get_username() if entry.actor else "",
                changes=entry.changes,
            )
        )
    return [
        _session_then(p.session, others.get(p.session_id, ""), events[p.session_id], at, p.role)
        for p in mine
    ]


def _session_then(session, other_party, events, at, caller_role) -> SessionThen:
    before = [e for e in events if e.at <= at and e.what in OPENING]
    if before:
        open_then = OPENING[before[-1].what]
    else:  # no history (older than the audit trail): its closing time says it
        open_then = session.closed_at is None or session.closed_at > at
    return SessionThen(
        session=session,
        other_party=other_party,
        open_then=open_then,
        expires_then=_expiry_then(session, events, at),
        started=session.started_at <= at,
        events=events,
        at=at,
        caller_role=caller_role,
    )


def _expiry_then(session, events, at) -> datetime | None:
    """The expiry at `at`: the old side of the first change of expiry after it, else today's."""
    for event in events:
        change = event.changes.get("expires at")
        if event.at > at and event.what != "opened" and change and " → " in str(change):
            old = str(change).split(" → ", 1)[0]
            return None if old == "none" else _kept_time(old)
    return session.expires_at


def consented_then(*, numbers: list[str], at: datetime) -> set[str]:
    opt_ins = RecordingOptIn.objects.filter(number__in=numbers, opted_in_at__lte=at).filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)
    )
    return {str(n) for n in opt_ins.values_list("number", flat=True)}


def lockouts_then(*, number: VirtualNumber, caller: str, at: datetime) -> list[PinLockout]:
    """PIN lockouts in force at `at` on `number`: the caller's, and the number's pause."""
    return list(
        PinLockout.objects.filter(
            Q(caller=pin_caller(caller)) | Q(caller=""),
            virtual_number=number,
            locked_at__lte=at,
            locked_until__gt=at,
        )
        .filter(Q(cleared_at__isnull=True) | Q(cleared_at__gt=at))
        .order_by("locked_at")
    )


def paused_for(*, caller: str, number: VirtualNumber, lockouts: list, at: datetime) -> bool:
    """Whether PIN entry was refused to this caller then: their own lockout, or the number's
    pause unless the phone had connected with a PIN there within MASKING_PIN_TRUSTED_DAYS."""
    if any(lockout.caller for lockout in lockouts):
        return True
    if not lockouts:
        return False
    since = at - timedelta(days=settings.MASKING_PIN_TRUSTED_DAYS)
    trusted = (
        Call.objects.filter(
            virtual_number=str(number.number),
            caller=caller,
            outcome=Call.Outcome.CONNECT,
            created_at__gt=since,
            created_at__lt=at,
            masking_session__participants__pin_hash__gt="",
        )
        .exclude(masking_session__participants__number=caller)
        .exists()
    )
    return not trusted


def pin_sessions_then(*, number: VirtualNumber, at: datetime) -> bool:
    """Whether the number held open PIN sessions then (by their start and closing times)."""
    return (
        Participant.objects.filter(virtual_number=number)
        .exclude(pin_hash="")
        .filter(session__started_at__lte=at)
        .filter(Q(session__closed_at__isnull=True) | Q(session__closed_at__gt=at))
        .filter(Q(session__expires_at__isnull=True) | Q(session__expires_at__gt=at))
        .exists()
    )


def _kept_time(text: str) -> datetime | None:
    """A time as the history keeps it (ISO 8601, UTC). Entries written before times were kept
    to the second had their microseconds and zone masked as if a number: their first 19
    characters are still the UTC time."""
    value = parse_datetime(text)
    if value is None:
        value = parse_datetime(text[:19])
        value = value and value.replace(tzinfo=UTC)
    return value
