"""design.md's decision table, row by row, on the pure function."""

from datetime import UTC, datetime, timedelta

import pytest

from callflows.decision import CALLER_ONLY, EVERY_PARTY, Outcome, decide
from masking.routing import CallFacts, SessionFacts

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
A, B, VN = "+6591230001", "+6591230002", "+6531500101"


def session(**overrides) -> SessionFacts:
    values = dict(
        session_id=7,
        starts_at=NOW - HOUR,
        expires_at=NOW + HOUR,
        closed=False,
        other_party=B,
        recording_requested=False,
    )
    values.update(overrides)
    return SessionFacts(**values)


def facts(*, status="active", caller=A, session_facts=None) -> CallFacts:
    return CallFacts(virtual_number=VN, caller=caller, number_status=status, session=session_facts)


@pytest.mark.parametrize(
    "call, outcome, destination",
    [
        pytest.param(facts(status=None), Outcome.NOT_IN_SERVICE, None, id="unknown number"),
        pytest.param(
            facts(status="retired", session_facts=session()),
            Outcome.NOT_IN_SERVICE,
            None,
            id="retired number, even with a session",
        ),
        pytest.param(facts(), Outcome.NO_SESSION, None, id="known number, caller in no session"),
        pytest.param(facts(session_facts=session()), Outcome.CONNECT, B, id="caller A reaches B"),
        pytest.param(
            facts(caller=B, session_facts=session(other_party=A)),
            Outcome.CONNECT,
            A,
            id="caller B reaches A",
        ),
        pytest.param(
            facts(status="unhealthy", session_facts=session()),
            Outcome.CONNECT,
            B,
            id="unhealthy number keeps serving its sessions",
        ),
        pytest.param(
            facts(session_facts=session(expires_at=None)), Outcome.CONNECT, B, id="no expiry"
        ),
        pytest.param(
            facts(session_facts=session(expires_at=NOW - timedelta(seconds=1))),
            Outcome.NO_SESSION,
            None,
            id="expired, not swept yet",
        ),
        pytest.param(
            facts(session_facts=session(expires_at=NOW)),
            Outcome.NO_SESSION,
            None,
            id="expires exactly now",
        ),
        pytest.param(
            facts(session_facts=session(closed=True)), Outcome.NO_SESSION, None, id="closed"
        ),
        pytest.param(
            facts(session_facts=session(starts_at=NOW + HOUR, expires_at=NOW + 2 * HOUR)),
            Outcome.NO_SESSION,
            None,
            id="future session",
        ),
    ],
)
def test_decision_table(call, outcome, destination):
    decision = decide(call, now=NOW)
    assert decision.outcome == outcome
    assert decision.destination == destination
    assert decision.session_id == (7 if outcome == Outcome.CONNECT else None)


@pytest.mark.parametrize(
    "requested, caller_ok, other_ok, rule, outcome, record",
    [
        (False, True, True, EVERY_PARTY, Outcome.CONNECT, False),
        (True, True, True, EVERY_PARTY, Outcome.CONNECT, True),
        (True, True, False, EVERY_PARTY, Outcome.CONNECT, False),
        # The caller's yes would make it recorded: ask by keypad.
        (True, False, True, EVERY_PARTY, Outcome.ASK_CONSENT, False),
        # Even a yes would not (the other party never agreed): do not ask, connect unrecorded.
        (True, False, False, EVERY_PARTY, Outcome.CONNECT, False),
        (True, True, False, CALLER_ONLY, Outcome.CONNECT, True),
        (True, False, True, CALLER_ONLY, Outcome.ASK_CONSENT, False),
        (True, False, False, CALLER_ONLY, Outcome.ASK_CONSENT, False),
        (False, True, True, CALLER_ONLY, Outcome.CONNECT, False),
    ],
)
def test_recording_needs_request_and_consent(requested, caller_ok, other_ok, rule, outcome, record):
    s = session(
        recording_requested=requested, caller_consented=caller_ok, other_party_consented=other_ok
    )
    decision = decide(facts(session_facts=s), now=NOW, consent_rule=rule)
    assert decision.outcome == outcome
    assert decision.record is record
    assert decision.destination == B
