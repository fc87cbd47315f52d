"""The callflow JSON against the seed's examples (shared/seeds/call-actions.txt), field by field."""

import pytest

from callflows import builders
from callflows.decision import Decision, Outcome
from masking.routing import PromptFacts

EN_MALE = PromptFacts(
    text="Hello This is a test message", language="en", voice_profile="generic-en-male"
)


def test_make_call_matches_the_seed():
    assert builders.callflow(
        "NumberMaskingId1",
        [builders.make_call(source="+6512345678", destination="+6587654321", record=True)],
    ) == {
        "clientActionId": "NumberMaskingId1",
        "callflow": [
            {
                "action": "makeCall",
                "params": {
                    "source": "6512345678",
                    "destination": "6587654321",
                    "callRecording": True,
                },
            }
        ],
    }


def test_make_call_leaves_call_recording_out_unless_recording():
    action = builders.make_call(source="+6512345678", destination="+6587654321", record=False)
    assert action == {
        "action": "makeCall",
        "params": {"source": "6512345678", "destination": "6587654321"},
    }


def test_say_matches_the_seed():
    assert builders.say(EN_MALE) == {
        "action": "say",
        "params": {
            "text": "Hello This is a test message",
            "language": "en",
            "voiceProfile": "generic-en-male",
            "repetition": 1,
        },
    }


def test_say_and_capture_matches_the_seed():
    assert builders.say_and_capture(EN_MALE, min_digits=5) == {
        "action": "say&capture",
        "params": {
            "text": "Hello This is a test message",
            "language": "en",
            "voiceProfile": "generic-en-male",
            "repetition": 1,
            "minDigits": 5,
        },
    }


@pytest.mark.parametrize("min_digits", [0, 21, -1])
def test_say_and_capture_refuses_min_digits_outside_1_to_20(min_digits):
    with pytest.raises(ValueError, match="1 to 20"):
        builders.say_and_capture(EN_MALE, min_digits=min_digits)


def test_hangup_matches_the_seed():
    assert builders.hangup() == {"action": "hangup"}


@pytest.mark.parametrize(
    "language, wire", [("en", "en"), ("zh", "zn"), ("vi", "vn"), ("sv", "sv"), ("nb", "nb")]
)
def test_language_codes_are_the_seeds_lower_case_codes(language, wire):
    prompt = PromptFacts(text="x", language=language, voice_profile=f"generic-{wire}-female")
    assert builders.say(prompt)["params"]["language"] == wire


@pytest.mark.parametrize(
    "number_format, expected", [("digits", "6591230002"), ("e164", "+6591230002")]
)
def test_number_format_setting(number_format, expected):
    body = builders.callflow_for(
        Decision(Outcome.CONNECT, session_id=42, destination="+6591230002"),
        virtual_number="+6531500101",
        prompts={},
        number_format=number_format,
    )
    params = body["callflow"][0]["params"]
    assert params["destination"] == expected
    assert params["source"] == expected.replace("6591230002", "6531500101")


CONNECTING = PromptFacts(text="Connecting", language="en", voice_profile="generic-en-female")
NOTICE = PromptFacts(text="Recorded", language="en", voice_profile="generic-en-female")
NO_SESSION = PromptFacts(text="No booking", language="en", voice_profile="generic-en-female")


@pytest.mark.parametrize(
    "decision, prompts, actions",
    [
        (
            Decision(Outcome.CONNECT, session_id=42, destination="+6591230002"),
            {"connecting": CONNECTING, "recording_notice": NOTICE},
            ["say:Connecting", "makeCall"],
        ),
        (
            Decision(Outcome.CONNECT, session_id=42, destination="+6591230002", record=True),
            {"connecting": CONNECTING, "recording_notice": NOTICE},
            ["say:Recorded", "makeCall"],
        ),
        (Decision(Outcome.CONNECT, session_id=42, destination="+6591230002"), {}, ["makeCall"]),
        (Decision(Outcome.NO_SESSION), {"no_session": NO_SESSION}, ["say:No booking", "hangup"]),
        (Decision(Outcome.NOT_IN_SERVICE), {}, ["hangup"]),
    ],
)
def test_callflow_for_each_outcome(decision, prompts, actions):
    body = builders.callflow_for(decision, virtual_number="+6531500101", prompts=prompts)
    assert [
        f"say:{a['params']['text']}" if a["action"] == "say" else a["action"]
        for a in body["callflow"]
    ] == actions


def test_client_action_id_names_the_outcome_and_session():
    connect = Decision(Outcome.CONNECT, session_id=42, destination="+6591230002")
    assert builders.client_action_id(connect) == "masking-connect-42"
    assert builders.client_action_id(Decision(Outcome.NO_SESSION)) == "masking-no_session"


def test_a_wrong_pin_is_told_it_was_wrong_even_without_a_wrong_pin_prompt():
    first = builders.callflow_for(
        Decision(Outcome.ASK_PIN, min_digits=4, tries=1), virtual_number="+6531500101", prompts={}
    )
    retry = builders.callflow_for(
        Decision(Outcome.RETRY_PIN, min_digits=4, tries=2), virtual_number="+6531500101", prompts={}
    )
    spoken = [a["params"]["text"] for a in retry["callflow"]]
    assert spoken == ["That PIN is not right.", "Please enter your PIN."]
    assert retry["callflow"][0]["action"] == "say"
    assert retry["callflow"][-1] == first["callflow"][-1]  # then asked again, the same way
