"""Issue 27, finding 5: the keypad consent prompt asks, saying what pressing 1 does."""

import pytest

from callflows.builders import callflow_for
from callflows.decision import Decision, Outcome
from masking.routing import PromptFacts
from masking.voices import LANGUAGES

ASK = Decision(Outcome.ASK_CONSENT, session_id=7, destination="+6591230002", min_digits=1)
NOTICE = "This call may be recorded. Please hold."


def asked(prompts):
    (step,) = callflow_for(ASK, virtual_number="+6531500101", prompts=prompts)["callflow"]
    assert step["action"] == "say&capture" and step["params"]["minDigits"] == 1
    return step["params"]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_consent_prompt_says_press_1_in_each_language_a_prompt_exists_for(language):
    voice = LANGUAGES[language].female
    notice = PromptFacts(text=NOTICE, language=language, voice_profile=voice)
    params = asked({"recording_notice": notice, "connecting": notice})
    assert params["text"] != NOTICE  # the notice never says what to press
    assert "1" in params["text"]
    assert (params["voiceProfile"], params["language"]) == (voice, notice_wire(language))


def notice_wire(language):
    from masking.voices import wire_language

    return wire_language(language)


def test_the_staffs_consent_request_prompt_is_used_when_written():
    staff = PromptFacts(
        text="Press 1 to allow recording.", language="en", voice_profile="generic-en-male"
    )
    assert asked({"consent_request": staff, "recording_notice": staff})["text"] == (
        "Press 1 to allow recording."
    )


def test_without_any_prompt_the_built_in_english_request_asks():
    assert asked({})["text"].startswith("This call can be recorded. Press 1 if you agree")
