"""The decision table's new rows, on the pure functions: each session rule, the business's
answers and the fallback line, alone and with PINs and recording consent."""

from datetime import UTC, datetime, time, timedelta

import pytest

from callflows.builders import callflow_for
from callflows.decision import (
    CALLER_ONLY,
    BusinessKind,
    Decision,
    Outcome,
    asks_after_pin_step,
    decide,
    decide_after_pin_step,
    decide_consent_answer,
    decide_pin_entry,
)
from masking.routing import BusinessAnswer, CallFacts, OutOfSession, SessionFacts
from masking.session_rules import CALLING_HOURS, MAX_CALLS, ONE_WAY, SessionRules

# 10:00 UTC is 18:00 in Singapore.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
A, B, VN, SUPPORT = "+6591230001", "+6591230002", "+6531500101", "+6562220000"
FALLBACK = OutOfSession(fallback_line=SUPPORT)
ASK = OutOfSession(ask_business=True)
ASK_AND_FALLBACK = OutOfSession(ask_business=True, fallback_line=SUPPORT)


def hours(start, end, zone="Asia/Singapore") -> dict:
    return dict(
        calling_hours_start=time.fromisoformat(start),
        calling_hours_end=time.fromisoformat(end),
        calling_hours_time_zone=zone,
    )


def session(
    *, role="a", connected=0, recording=False, consented=False, other_consented=True, **rules
) -> SessionFacts:
    return SessionFacts(
        session_id=7,
        starts_at=NOW - HOUR,
        expires_at=NOW + HOUR,
        closed=False,
        other_party=B if role == "a" else A,
        recording_requested=recording,
        caller_consented=consented,
        other_party_consented=other_consented,
        caller_role=role,
        rules=SessionRules(**rules),
        connected_calls=connected,
    )


def facts(session_facts=None, *, pin_sessions=False) -> CallFacts:
    return CallFacts(
        virtual_number=VN,
        caller=A,
        number_status="active",
        session=session_facts,
        pin_sessions=pin_sessions,
    )


def business(kind, **values) -> BusinessAnswer:
    return BusinessAnswer(kind=kind, elapsed_ms=52, **values)


# (facts, out-of-session behaviour, business's answer, outcome, destination, rule)
CALLS = [
    # one-way
    (facts(session(one_way=True)), None, None, Outcome.CONNECT, B, ""),
    (facts(session(role="b", one_way=True)), None, None, Outcome.SESSION_RULE, None, ONE_WAY),
    (facts(session(role="b", one_way=True)), FALLBACK, None, Outcome.FALLBACK, SUPPORT, ONE_WAY),
    # a rule turns away a participant: the business is not asked about them
    (facts(session(role="b", one_way=True)), ASK, None, Outcome.SESSION_RULE, None, ONE_WAY),
    # calling hours (18:00 in Singapore)
    (facts(session(**hours("08:00", "20:00"))), None, None, Outcome.CONNECT, B, ""),
    (
        facts(session(**hours("08:00", "18:00"))),
        None,
        None,
        Outcome.SESSION_RULE,
        None,
        CALLING_HOURS,
    ),
    (facts(session(**hours("08:00", "20:00", "UTC"))), None, None, Outcome.CONNECT, B, ""),
    (
        facts(session(**hours("11:00", "20:00", "UTC"))),
        None,
        None,
        Outcome.SESSION_RULE,
        None,
        CALLING_HOURS,
    ),
    # spanning midnight: 22:00 to 06:00 refuses 18:00, 17:00 to 01:00 allows it
    (
        facts(session(**hours("22:00", "06:00"))),
        None,
        None,
        Outcome.SESSION_RULE,
        None,
        CALLING_HOURS,
    ),
    (facts(session(**hours("17:00", "01:00"))), None, None, Outcome.CONNECT, B, ""),
    (
        facts(session(**hours("22:00", "06:00"))),
        FALLBACK,
        None,
        Outcome.FALLBACK,
        SUPPORT,
        CALLING_HOURS,
    ),
    # most connected calls
    (facts(session(max_calls=3, connected=2)), None, None, Outcome.CONNECT, B, ""),
    (facts(session(max_calls=3, connected=3)), None, None, Outcome.SESSION_RULE, None, MAX_CALLS),
    (
        facts(session(max_calls=3, connected=3)),
        FALLBACK,
        None,
        Outcome.FALLBACK,
        SUPPORT,
        MAX_CALLS,
    ),
    # combined: the first rule that refuses is named
    (
        facts(session(role="b", one_way=True, max_calls=1, connected=1, **hours("22:00", "06:00"))),
        None,
        None,
        Outcome.SESSION_RULE,
        None,
        ONE_WAY,
    ),
    (
        facts(session(one_way=True, max_calls=1, connected=1, **hours("22:00", "06:00"))),
        None,
        None,
        Outcome.SESSION_RULE,
        None,
        CALLING_HOURS,
    ),
    (
        facts(session(one_way=True, max_calls=2, connected=1, **hours("08:00", "20:00"))),
        None,
        None,
        Outcome.CONNECT,
        B,
        "",
    ),
    # consent: asked only when the call may go through at all
    (facts(session(recording=True)), None, None, Outcome.ASK_CONSENT, B, ""),
    (
        facts(session(role="b", recording=True, one_way=True)),
        None,
        None,
        Outcome.SESSION_RULE,
        None,
        ONE_WAY,
    ),
    (
        facts(session(recording=True, consented=True, max_calls=1, connected=1)),
        None,
        None,
        Outcome.SESSION_RULE,
        None,
        MAX_CALLS,
    ),
    # no session: nothing configured, the fallback line, the business
    (facts(), None, None, Outcome.NO_SESSION, None, ""),
    (facts(), FALLBACK, None, Outcome.FALLBACK, SUPPORT, ""),
    (facts(), ASK, None, Outcome.ASK_BUSINESS, None, ""),
    # the PIN step comes first: a number with PIN sessions asks for a PIN, not the business
    (facts(pin_sessions=True), ASK_AND_FALLBACK, None, Outcome.ASK_PIN, None, ""),
]

# (the business's answer, outcome, destination) with ASK_AND_FALLBACK configured
ANSWERS = [
    (business(BusinessKind.OPEN_SESSION, destination=B, session_id=9), Outcome.CONNECT, B),
    (business(BusinessKind.CONNECT, destination=B), Outcome.CONNECT_ONCE, B),
    (business(BusinessKind.PROMPT, prompt="Your ride has ended."), Outcome.BUSINESS_PROMPT, None),
    (business(BusinessKind.REFUSE), Outcome.REFUSED, None),
    (business(BusinessKind.TIMEOUT), Outcome.FALLBACK, SUPPORT),
    (business(BusinessKind.ERROR, detail="HTTP 500"), Outcome.FALLBACK, SUPPORT),
    (business(BusinessKind.BAD_ANSWER, detail="not JSON"), Outcome.FALLBACK, SUPPORT),
    # an open_session whose session could not be opened is an error
    (business(BusinessKind.OPEN_SESSION, destination=B), Outcome.FALLBACK, SUPPORT),
]


@pytest.mark.parametrize("call, behaviour, answer, outcome, destination, rule", CALLS)
def test_a_call_through_the_rules(call, behaviour, answer, outcome, destination, rule):
    decision = decide(
        call,
        now=NOW,
        pin_length=6,
        out_of_session=behaviour or OutOfSession(),
        business=answer,
    )
    assert (decision.outcome, decision.destination, decision.rule) == (outcome, destination, rule)


@pytest.mark.parametrize("answer, outcome, destination", ANSWERS)
def test_each_answer_of_the_business(answer, outcome, destination):
    decision = decide(facts(), now=NOW, out_of_session=ASK_AND_FALLBACK, business=answer)
    assert (decision.outcome, decision.destination) == (outcome, destination)
    assert decision.business == answer  # on record with the call


@pytest.mark.parametrize("answer", [a for a, _o, _d in ANSWERS[4:7]])
def test_no_usable_answer_and_no_fallback_is_the_no_session_flow(answer):
    decision = decide(facts(), now=NOW, out_of_session=ASK, business=answer)
    assert decision.outcome == Outcome.NO_SESSION


# PIN entry: the call is made as the PIN's holder, whose session's rules apply.
# (PIN holder's session, tries, behaviour, outcome, destination, rule)
PIN_ENTRIES = [
    (session(role="a", one_way=True), 1, None, Outcome.CONNECT, B, ""),
    (session(role="b", one_way=True), 1, None, Outcome.SESSION_RULE, None, ONE_WAY),
    (session(role="b", one_way=True), 1, FALLBACK, Outcome.FALLBACK, SUPPORT, ONE_WAY),
    (session(**hours("22:00", "06:00")), 2, None, Outcome.SESSION_RULE, None, CALLING_HOURS),
    (session(max_calls=1, connected=1), 1, None, Outcome.SESSION_RULE, None, MAX_CALLS),
    # wrong PIN: asked again, then the goodbye, or the fallback line (still a wrong PIN: counted)
    (None, 1, FALLBACK, Outcome.RETRY_PIN, None, ""),
    (None, 3, None, Outcome.PIN_FAILED, None, ""),
    (None, 3, FALLBACK, Outcome.PIN_FAILED, SUPPORT, ""),
]


@pytest.mark.parametrize("match, tries, behaviour, outcome, destination, rule", PIN_ENTRIES)
def test_a_pin_entry_through_the_rules(match, tries, behaviour, outcome, destination, rule):
    decision = decide_pin_entry(
        match=match,
        now=NOW,
        tries=tries,
        max_tries=3,
        pin_length=6,
        consent_rule=CALLER_ONLY,
        out_of_session=behaviour or OutOfSession(),
    )
    assert (decision.outcome, decision.destination, decision.rule) == (outcome, destination, rule)


def test_the_consent_answer_connects_once_the_rules_let_the_call_through():
    decision = decide_consent_answer(
        digits="1", session=session(recording=True, one_way=True), now=NOW
    )
    assert (decision.outcome, decision.record) == (Outcome.CONNECT, True)  # B agreed before


# What the caller hears for each new outcome.
def _actions(decision):
    body = callflow_for(decision, virtual_number=VN, prompts={})
    return [(a["action"], a.get("params", {}).get("destination")) for a in body["callflow"]]


@pytest.mark.parametrize(
    "call, behaviour, answer, expected",
    [
        (facts(), FALLBACK, None, [("say", None), ("makeCall", "6562220000")]),
        (facts(session(role="b", one_way=True)), None, None, [("hangup", None)]),
        (
            facts(),
            ASK,
            business(BusinessKind.CONNECT, destination=B),
            [("makeCall", "6591230002")],
        ),
        (
            facts(),
            ASK,
            business(BusinessKind.PROMPT, prompt="Ended."),
            [("say", None), ("hangup", None)],
        ),
        (facts(), ASK, business(BusinessKind.REFUSE), [("hangup", None)]),
    ],
)
def test_what_the_caller_hears(call, behaviour, answer, expected):
    decision = decide(call, now=NOW, out_of_session=behaviour or OutOfSession(), business=answer)
    assert _actions(decision) == expected


def test_a_bridge_to_the_fallback_line_is_from_the_virtual_number():
    decision = decide(facts(), now=NOW, out_of_session=FALLBACK)
    make_call = callflow_for(decision, virtual_number=VN, prompts={})["callflow"][-1]
    assert make_call["params"] == {"source": "6531500101", "destination": "6562220000"}


def test_a_last_wrong_pin_is_bridged_to_the_fallback_line():
    decision = decide_pin_entry(
        match=None, now=NOW, tries=3, max_tries=3, pin_length=6, out_of_session=FALLBACK
    )
    assert _actions(decision) == [("say", None), ("makeCall", "6562220000")]


# After a PIN step that ended without a session: (the PIN step's decision, the business's answer,
# outcome, destination). The fallback line is the PIN step's own (decide_pin_entry's).
PIN_FAILED = Decision(Outcome.PIN_FAILED, tries=3)
PIN_FAILED_TO_SUPPORT = Decision(Outcome.PIN_FAILED, tries=3, destination=SUPPORT)
LOCKED = Decision(Outcome.PIN_LOCKED, tries=1)
AFTER_PIN = [
    (PIN_FAILED, ANSWERS[0][0], Outcome.CONNECT, B),
    (PIN_FAILED, ANSWERS[1][0], Outcome.CONNECT_ONCE, B),
    (PIN_FAILED, ANSWERS[2][0], Outcome.BUSINESS_PROMPT, None),
    (PIN_FAILED, ANSWERS[3][0], Outcome.REFUSED, None),
    (LOCKED, ANSWERS[1][0], Outcome.CONNECT_ONCE, B),
    # no usable answer: the PIN step's ending stands (a wrong PIN, counted)
    (PIN_FAILED, ANSWERS[4][0], Outcome.PIN_FAILED, None),
    (PIN_FAILED_TO_SUPPORT, ANSWERS[5][0], Outcome.PIN_FAILED, SUPPORT),
    (LOCKED, ANSWERS[6][0], Outcome.PIN_LOCKED, None),
    (PIN_FAILED, ANSWERS[7][0], Outcome.PIN_FAILED, None),
]


@pytest.mark.parametrize("pin_step, answer, outcome, destination", AFTER_PIN)
def test_the_business_after_a_failed_pin_step(pin_step, answer, outcome, destination):
    decision = decide_after_pin_step(pin_step, business=answer)
    assert (decision.outcome, decision.destination) == (outcome, destination)
    assert (decision.business, decision.tries) == (answer, pin_step.tries)


@pytest.mark.parametrize(
    "pin_step, behaviour, asks",
    [
        (PIN_FAILED, ASK, True),
        (LOCKED, ASK_AND_FALLBACK, True),
        (PIN_FAILED, FALLBACK, False),
        (Decision(Outcome.RETRY_PIN, tries=2), ASK, False),
        (Decision(Outcome.CONNECT, destination=B), ASK, False),
    ],
)
def test_which_pin_steps_ask_the_business(pin_step, behaviour, asks):
    assert asks_after_pin_step(pin_step, behaviour) == asks
