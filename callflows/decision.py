"""The call decision: design.md's table as a pure function. No ORM, no request.

| situation                                                   | outcome         |
|-------------------------------------------------------------|-----------------|
| number unknown or retired                                   | NOT_IN_SERVICE  |
| number known, caller holds no live session on it            | NO_SESSION      |
| caller is a participant of a live session on the number     | CONNECT         |
| anything goes wrong (decided by the view, not here)          | APOLOGY         |

A session is live when it is not closed, has started and has not expired: an expired session
routes nobody whether or not the sweep has closed it yet.
"""

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    session_id: int | None = None
    destination: str | None = None  # E.164 of the party to bridge to
    record: bool = False


def is_live(session: SessionFacts, *, now: datetime) -> bool:
    if session.closed or session.starts_at > now:
        return False
    return session.expires_at is None or session.expires_at > now


def consent_met(session: SessionFacts, *, rule: str) -> bool:
    """The consent rule: every party must have opted in, or only the caller."""
    if rule == CALLER_ONLY:
        return session.caller_consented
    return session.caller_consented and session.other_party_consented


def decide(facts: CallFacts, *, now: datetime, consent_rule: str = EVERY_PARTY) -> Decision:
    if facts.number_status is None or facts.number_status == RETIRED:
        return Decision(Outcome.NOT_IN_SERVICE)
    session = facts.session
    if session is None or not is_live(session, now=now):
        return Decision(Outcome.NO_SESSION)
    return Decision(
        Outcome.CONNECT,
        session_id=session.session_id,
        destination=session.other_party,
        record=session.recording_requested and consent_met(session, rule=consent_rule),
    )
