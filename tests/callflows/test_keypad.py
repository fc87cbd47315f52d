"""Keypad conversations: PIN access, recording consent, digit shapes, languages, dialects."""

import pytest

from callflows.models import Call, CallAction
from masking.models import PinFailure, RecordingOptIn
from masking.services.consent import consent_record
from masking.services.sessions import session_close
from tests.callflows.conftest import VN, A, B, call_action
from tests.callflows.phone_calls import PIN_A, PIN_B, STRANGER, URL, PhoneCall, actions, texts
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db


def test_stranger_on_a_pin_number_is_asked_for_the_pin(provider, pin_session):
    answer = PhoneCall(provider, STRANGER).start()
    assert answer["callflow"] == [
        {
            "action": "say&capture",
            "params": {
                "text": "[pin_request]",
                "language": "en",
                "voiceProfile": "generic-en-female",
                "repetition": 1,
                "minDigits": 6,
            },
        }
    ]
    assert answer["clientActionId"] == "masking-ask_pin-1"


def test_right_pin_first_time_connects_to_the_other_party(provider, pin_session):
    call = PhoneCall(provider, STRANGER)
    call.start()
    answer = call.key(PIN_A)
    assert actions(answer)[-1] == "makeCall"
    assert answer["callflow"][-1]["params"] == {"source": "6531500101", "destination": "6591230002"}
    assert Call.objects.get().outcome == "connect"


@pytest.mark.parametrize("shape", ["A", "B", "C"])
def test_each_digit_shape_is_understood(provider, pin_session, shape):
    call = PhoneCall(provider, STRANGER)
    call.start()
    assert actions(call.key(PIN_B, shape))[-1] == "makeCall"


def test_legacy_flat_digits_as_a_number(provider, pin_session):
    call = PhoneCall(provider, STRANGER)
    call.start()
    legacy = {
        "eventType": "DTMF_RECEIVED",
        "sessionId": "call-1",
        "sourceMsisdn": STRANGER,
        "targetMsisdn": VN,
        "dtmf": int(PIN_A),
        "clientActionId": call.tag,
    }
    answer = provider.post(URL, legacy, format="json").json()
    assert actions(answer)[-1] == "makeCall"


def test_wrong_then_right(provider, pin_session):
    call = PhoneCall(provider, STRANGER)
    call.start()
    retry = call.key("1111")
    assert texts(retry) == ["[wrong_pin]", "[pin_request]"]
    assert retry["clientActionId"] == "masking-retry_pin-2"
    assert actions(call.key(PIN_A))[-1] == "makeCall"


@pytest.mark.parametrize("digits", [None, "", "#", "12a4", 5, "1111"])
def test_all_wrong_ends_with_goodbye(provider, pin_session, settings, digits):
    settings.MASKING_PIN_TRIES = 3
    call = PhoneCall(provider, STRANGER)
    call.start()
    assert actions(call.key(digits)) == ["say", "say&capture"]
    assert actions(call.key(digits)) == ["say", "say&capture"]
    last = call.key(digits)
    assert texts(last) == ["[goodbye]"] and actions(last) == ["say", "hangup"]


def test_session_expired_between_prompt_and_digits(provider, pin_session):
    call = PhoneCall(provider, STRANGER)
    call.start()
    session_close(session=pin_session, reason="staff")
    assert actions(call.key(PIN_A)) == ["say", "say&capture"]


def test_duplicate_follow_up_gets_the_same_answer_and_counts_once(provider, pin_session):
    call = PhoneCall(provider, STRANGER)
    call.start()
    body = call_action(
        STRANGER,
        VN,
        sessionId="call-1",
        eventId="dup",
        clientActionId=call.tag,
        callStatus="ACTION_COMPLETED",
        eventData={"dtmf": "0000"},
    )
    first = provider.post(URL, body, format="json").json()
    again = provider.post(URL, body, format="json").json()
    assert first == again
    assert wrong_pins_counted() == 1


def wrong_pins_counted():
    return PinFailure.objects.count()


def test_late_redelivery_of_the_first_event_keeps_the_bridged_call(provider, pin_session):
    """Issue 13, finding 4: the record flipped connect -> ask_pin and lost the session."""
    call = PhoneCall(provider, STRANGER)
    first = call.start()
    assert actions(call.key(PIN_A))[-1] == "makeCall"
    late = call.redeliver(1)
    assert late == first
    record = Call.objects.get()
    assert (record.outcome, record.masking_session_id) == ("connect", pin_session.pk)
    assert actions(record.answer)[-1] == "makeCall"


def test_late_redelivery_of_a_wrong_pin_gets_its_first_answer_and_no_fresh_tries(
    provider, pin_session, settings
):
    """Issue 13, finding 4: the PIN conversation restarted with fresh tries."""
    settings.MASKING_PIN_TRIES = 3
    call = PhoneCall(provider, STRANGER)
    call.start()
    second = call.key("000000")
    call.key("000001")
    assert call.redeliver(2) == second
    assert call.redeliver(1)["clientActionId"] == "masking-ask_pin-1"
    assert Call.objects.get().keypad_tries == 3
    assert wrong_pins_counted() == 2
    assert actions(call.key("000002")) == ["say", "hangup"]  # the third try was the last


def test_every_call_action_event_is_stored_once_with_its_answer(provider, pin_session):
    call = PhoneCall(provider, STRANGER)
    answers = [call.start(), call.key("000000"), call.key(PIN_A)]
    for n in (3, 1, 2, 2):
        call.redeliver(n)
    stored = CallAction.objects.filter(call__provider_session_id="call-1").order_by("id")
    assert [a.event_id for a in stored] == ["call-1-1", "call-1-2", "call-1-3"]
    assert [a.answer for a in stored] == answers
    assert [a.outcome for a in stored] == ["ask_pin", "retry_pin", "connect"]


# Issue 13, finding 5: a follow-up to anything but our keypad prompts never bridges again.
@pytest.mark.parametrize(
    "follow_up",
    [
        {"callStatus": "ACTION_COMPLETED", "clientActionId": "masking:connect:{session}"},
        {"callStatus": "ACTION_COMPLETED", "clientActionId": "masking-connect-{session}"},
        {"callStatus": "ACTION_COMPLETED"},
        {"callStatus": "ACTION_COMPLETED", "clientActionId": "someone-else"},
        {"callStatus": "CALL_RECEIVED", "clientActionId": "masking:connect:{session}"},
        {"callStatus": "DTMF_RECEIVED", "dtmf": "1"},
        {"callStatus": "ACTION_COMPLETED", "clientActionId": "masking:ask_pin:1"},
    ],
    ids=[
        "connect tag (old form)",
        "connect tag",
        "no tag",
        "foreign tag",
        "tag only",
        "digits",
        "keypad tag not asked",
    ],
)
def test_follow_up_to_a_bridge_hangs_up(provider, pairing, prompts, follow_up):
    call = PhoneCall(provider, A)
    assert actions(call.start())[-1] == "makeCall"
    tag = follow_up.get("clientActionId", "").format(session=pairing.pk)
    answer = call.post(**{**follow_up, "clientActionId": tag or None})
    assert answer == {"clientActionId": "masking-hangup", "callflow": [{"action": "hangup"}]}
    record = Call.objects.get()
    assert (record.outcome, record.masking_session_id) == ("connect", pairing.pk)
    assert CallAction.objects.filter(outcome="hangup").count() == 1


def test_follow_up_to_a_goodbye_hangs_up(provider, pin_session, settings):
    settings.MASKING_PIN_TRIES = 1
    call = PhoneCall(provider, STRANGER)
    call.start()
    goodbye = call.key("000000")
    assert actions(goodbye) == ["say", "hangup"]
    answer = call.post(callStatus="ACTION_COMPLETED", clientActionId=goodbye["clientActionId"])
    assert actions(answer) == ["hangup"]
    assert wrong_pins_counted() == 1


def test_tag_we_never_issued_is_a_new_call(provider, pin_session):
    answer = PhoneCall(provider, STRANGER).post(
        clientActionId="masking:ask_pin:7", callStatus="ACTION_COMPLETED", eventData={"dtmf": PIN_A}
    )
    assert answer["clientActionId"] == "masking-ask_pin-1"


# --- recording consent by keypad ---------------------------------------------------------------


@pytest.fixture
def recorded_session(db, prompts, recording_push):
    session = open_session(
        virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, recording_requested=True
    )
    consent_record(number=B, method="admin")
    return session


@pytest.mark.parametrize("digits, recorded", [("1", True), ("2", False), (None, False)])
def test_consent_conversation(provider, recorded_session, digits, recorded):
    call = PhoneCall(provider, A)
    asked = call.start()
    assert actions(asked) == ["say&capture"]
    assert asked["clientActionId"] == f"masking-ask_consent-{recorded_session.pk}"
    answer = call.key(digits)
    assert answer["callflow"][-1]["params"].get("callRecording", False) is recorded
    opt_in = RecordingOptIn.objects.active().filter(number=A).first()
    assert (opt_in is not None) is recorded
    if recorded:
        assert (opt_in.method, opt_in.evidence) == ("keypad", "8x8 session call-1")


# --- language and dialect ----------------------------------------------------------------------


def test_prompt_in_the_callers_language_else_default(provider, prompts):
    VirtualNumberFactory(number=VN)
    PromptFactory(
        purpose="no_session", language="fr", voice_profile="generic-fr-female", text="Désolé."
    )
    french = provider.post(URL, call_action("+33612345678", VN), format="json").json()
    assert french["callflow"][0]["params"]["text"] == "Désolé."
    assert french["callflow"][0]["params"]["language"] == "fr"
    german = provider.post(
        URL, call_action("+4915112345678", VN, sessionId="de", eventId="de"), format="json"
    ).json()
    assert german["callflow"][0]["params"]["text"] == "[no_session]"


def test_participants_preferred_language_wins(provider, prompts):
    from masking.models import Participant

    session = open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    Participant.objects.filter(session=session, number=A).update(preferred_language="zh")
    PromptFactory(
        purpose="connecting", language="zh", voice_profile="generic-zn-female", text="请稍候"
    )
    answer = provider.post(URL, call_action(A, VN), format="json").json()
    assert answer["callflow"][0]["params"]["language"] == "zn"


def test_current_dialect_renders_8x8s_actions(provider, pin_session, settings):
    settings.MASKING_CALLFLOW_DIALECT = "current"
    answer = PhoneCall(provider, STRANGER).start()
    assert answer["callflow"] == [
        {
            "action": "sayAndCapture",
            "params": {
                "promptMessage": "[pin_request]",
                "voiceProfile": "en-US-ZiraRUS",
                "speed": 1.0,
                "minDigits": 6,
                "maxDigits": 6,
                "completeOnHash": False,
                "digitTimeout": 5000,
                "overallTimeout": 15000,
                "noOfTries": 1,
            },
        }
    ]
    goodbye = provider.post(URL, call_action("+6591237777", "+6531509999"), format="json").json()
    assert goodbye["callflow"][0] == {
        "action": "say",
        "params": {
            "text": "[not_in_service]",
            "voiceProfile": "en-US-ZiraRUS",
            "repetition": 1,
            "speed": 1.0,
        },
    }


def test_redelivered_first_call_action_is_not_taken_for_a_keypad_answer(provider, pin_session):
    body = call_action(STRANGER, VN, sessionId="call-9", eventId="first")
    first = provider.post(URL, body, format="json").json()
    again = provider.post(URL, body, format="json").json()
    assert first == again and first["clientActionId"] == "masking-ask_pin-1"
    assert wrong_pins_counted() == 0
