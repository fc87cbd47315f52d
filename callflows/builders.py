"""Callflow JSON in the seed's dialect (`shared/seeds/call-actions.txt`). Pure functions.

The action builders produce exactly the seed's shapes; `callflow_for` turns a decision into the
whole answer. Numbers are written as digits without "+" as in the seed's examples, or as E.164
when `number_format` is "e164".
"""

from collections.abc import Mapping

from callflows import dialects
from callflows.consent_words import CONSENT_REQUEST_TEXTS
from callflows.decision import Decision, Outcome
from callflows.dialects import SEED
from callflows.tags import tag_for
from masking.routing import PromptFacts

DIGITS = "digits"
E164 = "e164"


def format_number(e164: str, number_format: str = DIGITS) -> str:
    digits = e164.lstrip("+")
    return f"+{digits}" if number_format == E164 else digits


def say(prompt: PromptFacts, *, dialect: str = SEED) -> dict:
    return dialects.say(prompt, dialect=dialect)


def say_and_capture(prompt: PromptFacts, *, min_digits: int, dialect: str = SEED) -> dict:
    return dialects.say_and_capture(prompt, min_digits=min_digits, dialect=dialect)


def make_call(
    *, source: str, destination: str, record: bool = False, number_format: str = DIGITS
) -> dict:
    params = {
        "source": format_number(source, number_format),
        "destination": format_number(destination, number_format),
    }
    if record:
        # Optional in the seed; sent only when the call is to be recorded.
        params["callRecording"] = True
    return {"action": "makeCall", "params": params}


def hangup() -> dict:
    return {"action": "hangup"}


def callflow(client_action_id: str, actions: list[dict]) -> dict:
    return {"clientActionId": client_action_id, "callflow": actions}


def client_action_id(decision: Decision) -> str:
    """The tag 8x8 echoes back on the call's next Call Action (`callflows.tags`)."""
    return tag_for(decision)


FALLBACK_PURPOSE = {"goodbye": "no_session"}


def _prompt(prompts: Mapping[str, PromptFacts], purpose: str) -> PromptFacts | None:
    return prompts.get(purpose) or prompts.get(FALLBACK_PURPOSE.get(purpose, ""))


def callflow_for(
    decision: Decision,
    *,
    virtual_number: str,
    prompts: Mapping[str, PromptFacts],
    number_format: str = DIGITS,
    fallback_apology: PromptFacts | None = None,
    dialect: str = SEED,
) -> dict:
    """The whole answer to a Call Action for `decision` (design.md's table, right column)."""
    actions: list[dict] = []
    outcome = decision.outcome

    def speak(purpose):
        prompt = _prompt(prompts, purpose)
        if prompt:
            actions.append(say(prompt, dialect=dialect))

    if outcome == Outcome.CONNECT:
        speak(
            "recording_notice"
            if decision.record and not decision.consented_by_keypad
            else "connecting"
        )
        actions.append(
            make_call(
                source=virtual_number,
                destination=decision.destination,
                record=decision.record,
                number_format=number_format,
            )
        )
        return callflow(client_action_id(decision), actions)

    if outcome in (Outcome.ASK_PIN, Outcome.RETRY_PIN, Outcome.ASK_CONSENT):
        if outcome == Outcome.RETRY_PIN:
            # Always say it was wrong: the capture alone would repeat the first request.
            actions.append(
                say(_prompt(prompts, "wrong_pin") or KEYPAD_DEFAULTS["wrong_pin"], dialect=dialect)
            )
        if outcome == Outcome.ASK_CONSENT:
            prompt = consent_request(prompts)
        else:
            prompt = _prompt(prompts, "pin_request") or KEYPAD_DEFAULTS["pin_request"]
        # Never `hangup` after a capture: 8x8 would drop the digits (provider document, 3.4).
        actions.append(
            dialects.say_and_capture(prompt, min_digits=decision.min_digits, dialect=dialect)
        )
        return callflow(client_action_id(decision), actions)

    if outcome in (Outcome.FALLBACK, Outcome.CONNECT_ONCE) or (
        outcome == Outcome.PIN_FAILED and decision.destination
    ):
        # Bridged from the virtual number, like any call: the support line (or the number the
        # business gave) sees the virtual number, never the caller's.
        if outcome == Outcome.CONNECT_ONCE:
            speak("connecting")
        else:
            actions.append(
                say(
                    _prompt(prompts, "fallback_line") or KEYPAD_DEFAULTS["fallback_line"],
                    dialect=dialect,
                )
            )
        actions.append(
            make_call(
                source=virtual_number,
                destination=decision.destination,
                number_format=number_format,
            )
        )
        return callflow(client_action_id(decision), actions)

    if outcome == Outcome.BUSINESS_PROMPT:
        # In the voice of the no-session prompt the caller would have heard, else the default.
        voice = _prompt(prompts, "no_session") or KEYPAD_DEFAULTS["fallback_line"]
        spoken = PromptFacts(
            text=decision.prompt_text, language=voice.language, voice_profile=voice.voice_profile
        )
        actions.extend([say(spoken, dialect=dialect), hangup()])
        return callflow(client_action_id(decision), actions)

    if outcome in (Outcome.HANGUP, Outcome.OTHER_ACCOUNT):
        # A follow-up to a bridge or a goodbye: nothing more to say, and never a second makeCall.
        # A call of another sub-account: none of our prompts or sessions are its own.
        return callflow(client_action_id(decision), [hangup()])

    purpose = {
        Outcome.PIN_LOCKED: "goodbye",
        Outcome.NO_SESSION: "no_session",
        Outcome.NOT_IN_SERVICE: "not_in_service",
        Outcome.APOLOGY: "apology",
        Outcome.PIN_FAILED: "goodbye",
        # Turned away by a rule or refused by the business: what any caller in no session hears.
        Outcome.SESSION_RULE: "no_session",
        Outcome.REFUSED: "no_session",
        Outcome.ASK_BUSINESS: "no_session",  # never built by the view; the simulator may
    }[outcome]
    prompt = _prompt(prompts, purpose)
    if prompt is None and outcome == Outcome.APOLOGY:
        prompt = fallback_apology
    if prompt:
        actions.append(say(prompt, dialect=dialect))
    actions.append(hangup())
    return callflow(client_action_id(decision), actions)


# A keypad prompt must say something: these stand in until staff write the prompt.
KEYPAD_DEFAULTS = {
    "pin_request": PromptFacts(
        text="Please enter your PIN.", language="en", voice_profile="generic-en-female"
    ),
    "wrong_pin": PromptFacts(
        text="That PIN is not right.", language="en", voice_profile="generic-en-female"
    ),
    "fallback_line": PromptFacts(
        text="Please hold while we connect you to our support line.",
        language="en",
        voice_profile="generic-en-female",
    ),
    "consent_request": PromptFacts(
        text=CONSENT_REQUEST_TEXTS["en"], language="en", voice_profile="generic-en-female"
    ),
}


def consent_request(prompts: Mapping[str, PromptFacts]) -> PromptFacts:
    """What asks a caller to press 1 for recording: the staff's consent request prompt, else
    the built-in text in the language of the recording notice (or connecting prompt) the
    caller would hear, in its voice, so in each language a prompt exists for; else English."""
    staff = prompts.get("consent_request")
    if staff:
        return staff
    reference = prompts.get("recording_notice") or prompts.get("connecting")
    if reference and reference.language in CONSENT_REQUEST_TEXTS:
        return PromptFacts(
            text=CONSENT_REQUEST_TEXTS[reference.language],
            language=reference.language,
            voice_profile=reference.voice_profile,
        )
    return KEYPAD_DEFAULTS["consent_request"]
