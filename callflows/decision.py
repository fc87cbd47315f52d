"""The call decision: design.md's table as a pure function. No ORM, no request.

| situation                                                   | outcome         |
|-------------------------------------------------------------|-----------------|
| number unknown or retired                                   | NOT_IN_SERVICE  |
| number known, caller holds no live session on it            | NO_SESSION      |
| caller is a participant of a live session on the number     | CONNECT         |
| anything goes wrong (decided by the view, not here)          | APOLOGY         |

With keypad flows (answered by 8x8 with a follow-up Call Action carrying the digits):

| situation                                                   | outcome         |
|-------------------------------------------------------------|-----------------|
| no live session for the caller, but PIN sessions on the number | ASK_PIN      |
| PIN entered matches a live session's participant            | CONNECT (to the other party) |
| wrong or no PIN, tries left                                  | RETRY_PIN       |
| wrong or no PIN, no tries left                               | PIN_FAILED      |
| connect, recording requested, caller's consent missing and it would decide | ASK_CONSENT |
| consent answer: "1" records consent and records the call; anything else connects unrecorded |
| PIN entry paused for the caller, or for unknown phones on the number | PIN_LOCKED   |
| a follow-up to anything but a keypad prompt we stored (decided by the view) | HANGUP |

Session rules and calls outside a session (the business's answer is an input, fetched by the
view only when this decision asks for it: ASK_BUSINESS never reaches a callflow):

| situation                                              | outcome                      |
|--------------------------------------------------------|------------------------------|
| live session, a rule turns the call away (one-way,     | SESSION_RULE, or FALLBACK    |
|   calling hours, most calls)                           |   with a fallback line       |
| PIN matches a session whose rule turns the call away   | SESSION_RULE / FALLBACK      |
| no session, no PIN step, business endpoint set         | ASK_BUSINESS (the view asks) |
| the business answered open_session (view opened it)    | CONNECT to whom it named     |
| the business answered connect                          | CONNECT_ONCE (no session)    |
| the business answered prompt / refuse                  | BUSINESS_PROMPT / REFUSED    |
| no session, no usable answer (none, timeout, error,    | FALLBACK with a fallback     |
|   bad answer)                                          |   line, else NO_SESSION      |
| wrong PIN, no tries left, fallback line set            | PIN_FAILED, to the fallback  |
| PIN_FAILED or PIN_LOCKED, business endpoint set        | its usable answer decides    |
|   (the view asks once the wrong PIN is counted)        |   (as above), else unchanged |

A session is live when it is not closed, has started and has not expired: an expired session
routes nobody whether or not the sweep has closed it yet.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from masking.routing import BusinessAnswer, CallFacts, OutOfSession, SessionFacts
from masking.session_rules import rule_refusing

RETIRED = "retired"
EVERY_PARTY = "every_party"
CALLER_ONLY = "caller_only"


class Outcome(StrEnum):
    CONNECT = "connect"
    NO_SESSION = "no_session"
    NOT_IN_SERVICE = "not_in_service"
    APOLOGY = "apology"
    ASK_PIN = "ask_pin"
    RETRY_PIN = "retry_pin"
    PIN_FAILED = "pin_failed"
    ASK_CONSENT = "ask_consent"
    PIN_LOCKED = "pin_locked"  # PIN entry paused for this caller, or for strangers on the number
    HANGUP = "hangup"  # a follow-up to anything but our keypad prompts: never a second bridge
    OTHER_ACCOUNT = "other_account"  # sent for another 8x8 sub-account: not acted on (view)
    SESSION_RULE = "session_rule"  # a session rule turned the call away: the no-session flow
    FALLBACK = "fallback"  # bridged to the fallback line (a support number)
    ASK_BUSINESS = "ask_business"  # the view asks the business, then decides again
    CONNECT_ONCE = "connect_once"  # the business: bridge to a number, no session
    BUSINESS_PROMPT = "business_prompt"  # the business: say this, then hang up
    REFUSED = "refused"  # the business refused the call


class BusinessKind(StrEnum):
    OPEN_SESSION = "open_session"
    CONNECT = "connect"
    PROMPT = "prompt"
    REFUSE = "refuse"
    TIMEOUT = "timeout"  # no answer within MASKING_OUT_OF_SESSION_DEADLINE_MS
    ERROR = "error"  # refused connection, non-2xx status, session could not be opened
    BAD_ANSWER = "bad_answer"  # not JSON, or not one of the answers


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    session_id: int | None = None
    destination: str | None = None  # E.164 of the party to bridge to
    record: bool = False
    min_digits: int | None = None  # for the keypad outcomes
    tries: int = 0  # PIN tries made so far, counting the one being asked for
    consented_by_keypad: bool = False
    # The session asked for recording but 8x8 cannot record (no recording push configuration
    # known): the call connects unrecorded, and staff see why.
    recording_withheld: bool = False
    rule: str = ""  # the session rule that turned the call away (masking.session_rules)
    business: BusinessAnswer | None = None  # what the business answered, when it was asked
    prompt_text: str = ""  # BUSINESS_PROMPT: what the business asked us to say


def is_live(session: SessionFacts, *, now: datetime) -> bool:
    if session.closed or session.starts_at > now:
        return False
    return session.expires_at is None or session.expires_at > now


def consent_met(session: SessionFacts, *, rule: str) -> bool:
    """The consent rule: every party must have opted in, or only the caller."""
    if rule == CALLER_ONLY:
        return session.caller_consented
    return session.caller_consented and session.other_party_consented


def _would_record_with_caller_consent(session: SessionFacts, *, rule: str) -> bool:
    return session.recording_requested and (rule == CALLER_ONLY or session.other_party_consented)


def _connect(session: SessionFacts, *, rule: str, can_record: bool, **extra) -> Decision:
    """CONNECT to the other party, recorded when the session asks, consent is met and 8x8 can
    record (`can_record`: a recording push configuration is known)."""
    return Decision(
        Outcome.CONNECT,
        session_id=session.session_id,
        destination=session.other_party,
        record=can_record and session.recording_requested and consent_met(session, rule=rule),
        recording_withheld=session.recording_requested and not can_record,
        **extra,
    )


NO_OUT_OF_SESSION = OutOfSession()


def _refused_by_rule(session: SessionFacts, *, now: datetime) -> str | None:
    return rule_refusing(
        session.rules,
        caller_role=session.caller_role,
        connected_calls=session.connected_calls,
        now=now,
    )


def _turned_away(rule: str, out_of_session: OutOfSession) -> Decision:
    """A session rule refused the call: the fallback line if there is one, else the no-session
    flow. The business is not asked: the caller is in a session, which said no."""
    if out_of_session.fallback_line:
        return Decision(Outcome.FALLBACK, destination=out_of_session.fallback_line, rule=rule)
    return Decision(Outcome.SESSION_RULE, rule=rule)


def decide_out_of_session(
    out_of_session: OutOfSession, *, business: BusinessAnswer | None = None
) -> Decision:
    """A caller in no session on the number, past any PIN step: what the business answered (if
    asked), else the fallback line, else the no-session flow."""
    if business is None and out_of_session.ask_business:
        return Decision(Outcome.ASK_BUSINESS)
    if business is not None:
        kind = business.kind
        if kind == BusinessKind.OPEN_SESSION and business.session_id and business.destination:
            return Decision(
                Outcome.CONNECT,
                session_id=business.session_id,
                destination=business.destination,
                business=business,
            )
        if kind == BusinessKind.CONNECT and business.destination:
            return Decision(
                Outcome.CONNECT_ONCE, destination=business.destination, business=business
            )
        if kind == BusinessKind.PROMPT and business.prompt:
            return Decision(Outcome.BUSINESS_PROMPT, prompt_text=business.prompt, business=business)
        if kind == BusinessKind.REFUSE:
            return Decision(Outcome.REFUSED, business=business)
    if out_of_session.fallback_line:
        return Decision(
            Outcome.FALLBACK, destination=out_of_session.fallback_line, business=business
        )
    return Decision(Outcome.NO_SESSION, business=business)


# The PIN step ended without a session: the caller is in no session on the number after it.
PIN_STEP_FAILED = (Outcome.PIN_FAILED, Outcome.PIN_LOCKED)


def asks_after_pin_step(decision: Decision, out_of_session: OutOfSession) -> bool:
    """Whether the business is asked about a caller whose PIN step ended with `decision`."""
    return decision.outcome in PIN_STEP_FAILED and out_of_session.ask_business


def decide_after_pin_step(decision: Decision, *, business: BusinessAnswer | None) -> Decision:
    """A PIN step that ended without a session (`decision`), then the business asked: its usable
    answer decides the call; without one, the PIN step's own ending (the goodbye, or the fallback
    line) stands, with the business's failure on record."""
    answered = decide_out_of_session(NO_OUT_OF_SESSION, business=business)
    if answered.outcome == Outcome.NO_SESSION:  # no usable answer
        return replace(decision, business=business)
    return replace(answered, tries=decision.tries)


def decide(
    facts: CallFacts,
    *,
    now: datetime,
    consent_rule: str = EVERY_PARTY,
    pin_length: int = 0,
    can_record: bool = True,
    out_of_session: OutOfSession = NO_OUT_OF_SESSION,
    business: BusinessAnswer | None = None,
) -> Decision:
    if facts.number_status is None or facts.number_status == RETIRED:
        return Decision(Outcome.NOT_IN_SERVICE)
    session = facts.session
    if session is None or not is_live(session, now=now):
        if facts.pin_sessions and pin_length:
            if facts.pin_paused:
                return Decision(Outcome.PIN_LOCKED)
            return Decision(Outcome.ASK_PIN, min_digits=pin_length, tries=1)
        return decide_out_of_session(out_of_session, business=business)
    rule = _refused_by_rule(session, now=now)
    if rule:
        return _turned_away(rule, out_of_session)
    if (
        can_record
        and not session.caller_consented
        and _would_record_with_caller_consent(session, rule=consent_rule)
    ):
        # Asking is worth it only when the caller's yes would make the call recorded.
        return Decision(
            Outcome.ASK_CONSENT,
            session_id=session.session_id,
            destination=session.other_party,
            min_digits=1,
        )
    return _connect(session, rule=consent_rule, can_record=can_record)


def decide_pin_entry(
    *,
    match: SessionFacts | None,
    now: datetime,
    tries: int,
    max_tries: int,
    pin_length: int,
    consent_rule: str = EVERY_PARTY,
    paused: bool = False,
    can_record: bool = True,
    out_of_session: OutOfSession = NO_OUT_OF_SESSION,
) -> Decision:
    """The digits of a PIN prompt: `match` is the session whose participant has that PIN (the
    call is made as that participant, so their session's rules apply). `paused`: PIN entry was
    locked for this caller (or the number) since we asked. A last wrong PIN stays PIN_FAILED (it
    counts) and goes to the fallback line when there is one."""
    if paused:
        return Decision(Outcome.PIN_LOCKED, tries=tries)
    if match is not None and is_live(match, now=now):
        rule = _refused_by_rule(match, now=now)
        if rule:
            return replace(_turned_away(rule, out_of_session), tries=tries)
        return _connect(match, rule=consent_rule, can_record=can_record)
    if tries < max_tries:
        return Decision(Outcome.RETRY_PIN, min_digits=pin_length, tries=tries + 1)
    return Decision(
        Outcome.PIN_FAILED, tries=tries, destination=out_of_session.fallback_line or None
    )


def decide_consent_answer(
    *,
    digits: str | None,
    session: SessionFacts | None,
    now: datetime,
    consent_rule: str = EVERY_PARTY,
    can_record: bool = True,
) -> Decision:
    """The digits of the recording-consent prompt: "1" agrees; anything else, or nothing, not."""
    if session is None or not is_live(session, now=now):
        return Decision(Outcome.NO_SESSION)
    agreed = digits == "1"
    if agreed:
        session = replace(session, caller_consented=True)
    return _connect(session, rule=consent_rule, can_record=can_record, consented_by_keypad=agreed)
