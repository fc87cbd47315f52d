"""A caller who fails the PIN step (the last wrong PIN, or PIN entry paused for them) is a caller
in no session on the number after the PIN step: the business is asked about them (issue 30),
after the wrong PIN is counted, and its answer decides the call; no usable answer leaves the PIN
step's own ending (the goodbye, or the fallback line)."""

import json
import time

import pytest

from callflows.models import Call, CallAction, OutOfSessionAnswer
from masking.models import MaskingSession, PinFailure
from tests.callback_receiver import SECRET
from tests.callflows.conftest import A
from tests.callflows.phone_calls import PIN_A, STRANGER, PhoneCall, actions, texts
from tests.callflows.test_out_of_session import PATH, Business
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db
DRIVER, SUPPORT = "+6591237777", "+6562220000"
WRONG = ["000001", "000002", "000003"]


@pytest.fixture
def business(httpserver, settings, pin_session):
    settings.MASKING_OUT_OF_SESSION_URL = httpserver.url_for(PATH)
    settings.MASKING_OUT_OF_SESSION_SECRET = SECRET
    settings.MASKING_PIN_TRIES = 3
    settings.MASKING_PIN_LOCK_AFTER = 5
    PromptFactory(purpose="fallback_line", text="[fallback_line]")
    return Business(httpserver)


def fail_the_pin(provider, *, session_id="pin-1", caller=STRANGER):
    """A call that keys three wrong PINs; returns the last answer."""
    call = PhoneCall(provider, caller, session_id=session_id)
    answer = call.start()
    assert actions(answer) == ["say&capture"]
    for digits in WRONG:
        answer = call.key(digits)
    return answer


def last_event(session_id="pin-1") -> CallAction:
    """The Call Action of the last wrong PIN (PhoneCall numbers its events)."""
    return CallAction.objects.get(event_id=f"{session_id}-{1 + len(WRONG)}")


def on_record(session_id="pin-1") -> OutOfSessionAnswer:
    return Call.objects.get(provider_session_id=session_id).out_of_session_answer


# (the business's answer, what the caller hears last, the call's outcome on record)
ANSWERS = [
    (
        {"action": "open_session", "participant": DRIVER, "reference": "ride-42"},
        ["say", "makeCall"],
        "connect",
    ),
    ({"action": "connect", "number": DRIVER}, ["say", "makeCall"], "connect_once"),
    ({"action": "prompt", "text": "Please use the app."}, ["say", "hangup"], "business_prompt"),
    ({"action": "refuse"}, ["say", "hangup"], "refused"),
]


@pytest.mark.parametrize("reply, heard, outcome", ANSWERS, ids=lambda v: str(v)[:24])
def test_each_answer_of_the_business_after_a_failed_pin(provider, business, reply, heard, outcome):
    business.answers(reply)
    answer = fail_the_pin(provider)
    assert actions(answer) == heard
    (asked,) = business.asked()  # once, for the last wrong PIN; signed (verify raises)
    assert asked["data"]["call"]["provider_session_id"] == "pin-1"
    # The wrong PINs counted all the same: three, the last included.
    assert PinFailure.objects.filter(caller=STRANGER).count() == 3
    call = Call.objects.get(provider_session_id="pin-1")
    assert call.outcome == outcome
    # What 8x8 got is what is on record, for the call and for a redelivery of the event.
    assert call.answer == last_event().answer == answer
    assert on_record().answer == reply["action"]
    if outcome in ("connect", "connect_once"):
        assert answer["callflow"][-1]["params"]["destination"] == DRIVER.lstrip("+")
    if outcome == "connect":
        session = MaskingSession.objects.get(reference="ride-42")
        assert (call.masking_session, on_record().opened_session) == (session, session)
    if outcome == "business_prompt":
        assert texts(answer) == ["Please use the app."]


def test_a_redelivered_last_pin_answers_the_businesss_answer_and_asks_nothing(provider, business):
    business.answers({"action": "connect", "number": DRIVER})
    call = PhoneCall(provider, STRANGER, session_id="pin-1")
    call.start()
    for digits in WRONG:
        answer = call.key(digits)
    assert call.redeliver(4) == answer
    assert len(business.asked()) == 1
    assert PinFailure.objects.filter(caller=STRANGER).count() == 3


@pytest.mark.parametrize(
    "reply, status, delay, kind",
    [
        ({"action": "refuse"}, 500, 0, "error"),
        ("{not json", 200, 0, "bad_answer"),
        ({"action": "refuse"}, 200, 1.5, "timeout"),
    ],
    ids=["500", "bad JSON", "slow"],
)
@pytest.mark.parametrize("fallback", ["", SUPPORT], ids=["goodbye", "fallback line"])
def test_no_usable_answer_ends_the_pin_step_as_before(
    provider, business, settings, reply, status, delay, kind, fallback
):
    settings.MASKING_FALLBACK_LINE = fallback
    business.answers(reply, status=status, delay=delay)
    started = time.monotonic()
    answer = fail_the_pin(provider)
    took = time.monotonic() - started
    time.sleep(delay)  # the receiver answers one request at a time: let it finish this one
    if fallback:
        assert texts(answer) == ["[fallback_line]"]
        assert answer["callflow"][-1]["params"]["destination"] == SUPPORT.lstrip("+")
    else:
        assert (actions(answer), texts(answer)) == (["say", "hangup"], ["[goodbye]"])
    call = Call.objects.get(provider_session_id="pin-1")
    assert call.outcome == "pin_failed"  # a wrong PIN, counted
    assert PinFailure.objects.filter(caller=STRANGER).count() == 3
    assert on_record().answer == kind
    # Four Call Actions, the slow one within the Call Action's deadline (1 s of database time).
    assert took < 1.0 + 3 * 0.3
    if kind == "timeout":
        assert on_record().elapsed_ms < 600


def test_a_locked_out_caller_is_asked_about(provider, business, settings):
    settings.MASKING_PIN_LOCK_AFTER = 3
    business.answers({"action": "connect", "number": DRIVER})
    fail_the_pin(provider)  # the third wrong PIN locks this phone out
    business.answers({"action": "prompt", "text": "Call us from the app."})
    # Called again: PIN entry is paused for this phone, so there is no PIN step to pass.
    call = PhoneCall(provider, STRANGER, session_id="pin-2")
    answer = call.start()
    assert texts(answer) == ["Call us from the app."]
    assert Call.objects.get(provider_session_id="pin-2").outcome == "business_prompt"
    assert on_record("pin-2").answer == "prompt"


def test_a_locked_out_caller_with_no_usable_answer_hears_the_goodbye(provider, business, settings):
    settings.MASKING_PIN_LOCK_AFTER = 3
    business.answers({"action": "refuse"}, status=500)
    fail_the_pin(provider)
    answer = PhoneCall(provider, STRANGER, session_id="pin-2").start()
    assert texts(answer) == ["[goodbye]"]
    assert Call.objects.get(provider_session_id="pin-2").outcome == "pin_locked"
    assert on_record("pin-2").answer == "error"


def test_pin_steps_that_connect_or_ask_again_never_ask(provider, business):
    business.answers({"action": "refuse"})
    call = PhoneCall(provider, STRANGER, session_id="pin-1")
    call.start()
    assert actions(call.key(WRONG[0]))[-1] == "say&capture"  # asked again
    assert actions(call.key(PIN_A))[-1] == "makeCall"  # the right PIN connects
    assert actions(PhoneCall(provider, A, session_id="pin-3").start())[-1] == "makeCall"
    assert business.asked() == []
    assert not OutOfSessionAnswer.objects.exists()


def test_without_an_endpoint_a_failed_pin_says_goodbye(provider, business, settings):
    settings.MASKING_OUT_OF_SESSION_URL = ""
    business.answers({"action": "connect", "number": DRIVER})
    answer = fail_the_pin(provider)
    assert texts(answer) == ["[goodbye]"]
    assert business.asked() == []


def test_the_business_gets_what_is_left_of_the_call_actions_deadline(provider, business, settings):
    # The PIN step's transaction has taken its share of the Call Action's database deadline:
    # the business gets at most what remains after keeping time to record the call.
    settings.MASKING_CALL_ACTION_DB_DEADLINE_MS = 700
    business.answers({"action": "refuse"}, delay=1.0)
    fail_the_pin(provider)
    time.sleep(1.0)
    record = on_record()
    assert record.answer == "timeout"
    assert record.elapsed_ms < 300, record.elapsed_ms
    assert json.loads(json.dumps(last_event().answer))["callflow"][-1]["action"] == "hangup"
