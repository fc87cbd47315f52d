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

A session is live when it is not closed, has started and has not expired: an expired session
routes nobody whether or not the sweep has closed it yet.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from masking.routing import CallFacts, SessionFacts

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


def decide(
    facts: CallFacts,
    *,
    now: datetime,
    consent_rule: str = EVERY_PARTY,
    pin_length: int = 0,
    can_record: bool = True,
) -> Decision:
    if facts.number_status is None or facts.number_status == RETIRED:
        return Decision(Outcome.NOT_IN_SERVICE)
    session = facts.session
    if session is None or not is_live(session, now=now):
        if facts.pin_sessions and pin_length:
            if facts.pin_paused:
                return Decision(Outcome.PIN_LOCKED)
            return Decision(Outcome.ASK_PIN, min_digits=pin_length, tries=1)
        return Decision(Outcome.NO_SESSION)
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
) -> Decision:
    """The digits of a PIN prompt: `match` is the session whose participant has that PIN.
    `paused`: PIN entry was locked for this caller (or the number) since we asked."""
    if paused:
        return Decision(Outcome.PIN_LOCKED, tries=tries)
    if match is not None and is_live(match, now=now):
        return _connect(match, rule=consent_rule, can_record=can_record)
    if tries < max_tries:
        return Decision(Outcome.RETRY_PIN, min_digits=pin_length, tries=tries + 1)
    return Decision(Outcome.PIN_FAILED, tries=tries)


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
