"""Every callflow the product can answer, in each dialect, against the schema written from
8x8's documents (tests/callflows/schemas/, checked by tests/callflows/callflow_schema.py).

Two enumerations: the builder over every outcome, prompt set, recording and number format (pure,
all combinations), and the webhook over each decision-table row and the keypad conversations.
"""

import itertools

import pytest

from callflows.builders import callflow_for
from callflows.decision import Decision, Outcome
from callflows.dialects import CURRENT, SEED
from masking.routing import PromptFacts
from masking.services.consent import consent_record
from tests.callflows.callflow_schema import schema_problems
from tests.callflows.conftest import VN, A, B, call_action
from tests.callflows.decision_rows import ROWS, setup_row
from tests.callflows.phone_calls import PIN_A, STRANGER, PhoneCall
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

DIALECTS = [SEED, CURRENT]
PURPOSES = [
    "connecting", "recording_notice", "consent_request", "no_session", "not_in_service",
    "pin_request", "wrong_pin", "apology", "goodbye", "fallback_line",
]  # fmt: skip
PROMPT_SETS = {
    "none": {},
    "english": {p: PromptFacts(f"[{p}]", "en", "generic-en-male", 3) for p in PURPOSES},
    "french": {p: PromptFacts(f"[{p}] é", "fr", "generic-fr-female") for p in PURPOSES},
    "thai notice": {
        "recording_notice": PromptFacts("บันทึก", "th", "generic-th-female"),
        "connecting": PromptFacts("x" * 3000, "th", "generic-th-female"),
    },
}
DECISIONS = [
    Decision(Outcome.CONNECT, session_id=42, destination="+6591230002"),
    Decision(Outcome.CONNECT, session_id=42, destination="+6591230002", record=True),
    Decision(
        Outcome.CONNECT,
        session_id=42,
        destination="+6591230002",
        record=True,
        consented_by_keypad=True,
    ),
    Decision(Outcome.CONNECT, session_id=9, destination="+14155550123", recording_withheld=True),
    Decision(Outcome.NO_SESSION),
    Decision(Outcome.NOT_IN_SERVICE),
    Decision(Outcome.APOLOGY),
    Decision(Outcome.ASK_PIN, min_digits=6, tries=1),
    Decision(Outcome.ASK_PIN, min_digits=12, tries=1),
    Decision(Outcome.RETRY_PIN, min_digits=6, tries=3),
    Decision(Outcome.PIN_FAILED, tries=3),
    Decision(Outcome.PIN_LOCKED, tries=2),
    Decision(Outcome.ASK_CONSENT, session_id=42, destination="+6591230002", min_digits=1),
    Decision(Outcome.HANGUP),
    Decision(Outcome.OTHER_ACCOUNT),
    Decision(Outcome.SESSION_RULE, rule="one_way"),
    Decision(Outcome.FALLBACK, destination="+6562220000"),
    Decision(Outcome.FALLBACK, destination="+6562220000", rule="max_calls"),
    Decision(Outcome.PIN_FAILED, tries=3, destination="+6562220000"),
    Decision(Outcome.ASK_BUSINESS),  # never sent by the webhook; answered safely if built
    Decision(Outcome.CONNECT, session_id=43, destination="+6591237777"),
    Decision(Outcome.CONNECT_ONCE, destination="+6591237777"),
    Decision(Outcome.BUSINESS_PROMPT, prompt_text="Your ride has ended."),
    Decision(Outcome.BUSINESS_PROMPT, prompt_text="x" * 3000),
    Decision(Outcome.REFUSED),
]
FALLBACK = PromptFacts("We are sorry.", "en", "generic-en-female")


def test_the_decisions_cover_every_outcome():
    assert {d.outcome for d in DECISIONS} == set(Outcome)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_answer_the_builder_can_give_is_valid_in_each_dialect(dialect):
    checked = 0
    for decision, prompts, number_format in itertools.product(
        DECISIONS, PROMPT_SETS.values(), ["digits", "e164"]
    ):
        body = callflow_for(
            decision,
            virtual_number="+6531500101",
            prompts=prompts,
            number_format=number_format,
            fallback_apology=FALLBACK,
            dialect=dialect,
        )
        assert schema_problems(body, dialect=dialect) == [], (decision, prompts, body)
        checked += 1
    assert checked == len(DECISIONS) * len(PROMPT_SETS) * 2


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_schema_refuses_what_8x8_documents_against(dialect):
    good = callflow_for(
        Decision(Outcome.NO_SESSION),
        virtual_number="+6531500101",
        prompts=PROMPT_SETS["english"],
        dialect=dialect,
    )
    assert schema_problems(good, dialect=dialect) == []
    old_tag = {**good, "clientActionId": "masking:no_session"}  # -1016: special characters
    assert schema_problems(old_tag, dialect=dialect)
    hangup_first = {**good, "callflow": good["callflow"][::-1]}  # -1012
    assert schema_problems(hangup_first, dialect=dialect)
    other = SEED if dialect == CURRENT else CURRENT
    assert schema_problems(good, dialect=other)  # each dialect's say is the other's error


# --- the webhook: each decision-table row, and the keypad conversations, in each dialect -------


@pytest.fixture(params=DIALECTS)
def dialect(request, settings):
    settings.MASKING_CALLFLOW_DIALECT = request.param
    return request.param


@pytest.fixture
def written(db):
    for purpose in PURPOSES:
        PromptFactory(purpose=purpose, text=f"[{purpose}]")


@pytest.mark.parametrize("row", [row for row, _ in ROWS])
def test_each_decision_row_answers_a_valid_callflow(
    provider, written, dialect, recording_push, row
):
    caller, dialled = setup_row(row)
    answer = provider.post(
        "/callflows/8x8/call-action/", call_action(caller, dialled), format="json"
    )
    assert schema_problems(answer.json(), dialect=dialect) == []


def test_the_pin_conversation_answers_valid_callflows(provider, written, dialect):
    open_session(
        virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, pin_a=PIN_A, pin_b="903417"
    )
    wrong = PhoneCall(provider, STRANGER)
    answers = [wrong.start(), wrong.key("000000"), wrong.key(""), wrong.key("111111")]
    answers.append(wrong.key("1"))  # a follow-up to the goodbye
    right = PhoneCall(provider, "+6591238888", session_id="call-2")
    answers += [right.start(), right.key(PIN_A), right.key(None)]  # then 8x8 reports the bridge
    assert [a["clientActionId"].split("-")[1] for a in answers] == [
        "ask_pin", "retry_pin", "retry_pin", "pin_failed", "hangup", "ask_pin", "connect", "hangup",
    ]  # fmt: skip
    for answer in answers:
        assert schema_problems(answer, dialect=dialect) == []


@pytest.mark.parametrize("digits", ["1", "2", None])
def test_the_consent_conversation_answers_valid_callflows(
    provider, written, dialect, recording_push, digits
):
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, recording_requested=True)
    consent_record(number=B, method="admin")
    call = PhoneCall(provider, A)
    asked, answered = call.start(), call.key(digits)
    assert asked["clientActionId"].startswith("masking-ask_consent-")
    assert answered["clientActionId"].startswith("masking-connect-")
    for answer in (asked, answered):
        assert schema_problems(answer, dialect=dialect) == []


def test_a_call_of_another_sub_account_answers_a_valid_callflow(
    provider, written, dialect, settings
):
    settings.EIGHTX8_SUBACCOUNT_ID = "acme_nm_01"
    body = call_action(A, VN, subAccountId="someone_elses_nm")
    answer = provider.post("/callflows/8x8/call-action/", body, format="json").json()
    assert answer["clientActionId"] == "masking-other_account"
    assert schema_problems(answer, dialect=dialect) == []


def test_the_apology_answers_a_valid_callflow(provider, written, dialect, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("deciding failed")

    monkeypatch.setattr("callflows.answer.call_facts", broken)
    answer = provider.post("/callflows/8x8/call-action/", call_action(A, VN), format="json").json()
    assert answer["clientActionId"] == "masking-apology"
    assert schema_problems(answer, dialect=dialect) == []
