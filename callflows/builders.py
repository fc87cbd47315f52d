"""Callflow JSON in the seed's dialect (`shared/seeds/call-actions.txt`). Pure functions.

The action builders produce exactly the seed's shapes; `callflow_for` turns a decision into the
whole answer. Numbers are written as digits without "+" as in the seed's examples, or as E.164
when `number_format` is "e164".
"""

from collections.abc import Mapping

from callflows.decision import Decision, Outcome
from masking.routing import PromptFacts
from masking.voices import wire_language

DIGITS = "digits"
E164 = "e164"
MIN_DIGITS_RANGE = range(1, 21)  # the seed: minDigits 1 to 20


def format_number(e164: str, number_format: str = DIGITS) -> str:
    digits = e164.lstrip("+")
    return f"+{digits}" if number_format == E164 else digits


def say(prompt: PromptFacts) -> dict:
    return {
        "action": "say",
        "params": {
            "text": prompt.text,
            "language": wire_language(prompt.language),
            "voiceProfile": prompt.voice_profile,
            "repetition": prompt.repetition,
        },
    }


def say_and_capture(prompt: PromptFacts, *, min_digits: int) -> dict:
    if min_digits not in MIN_DIGITS_RANGE:
        raise ValueError(f"minDigits must be 1 to 20, not {min_digits}")
    action = say(prompt)
    return {"action": "say&capture", "params": {**action["params"], "minDigits": min_digits}}


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
    """A tag we recognise when 8x8 echoes it back: "masking:connect:42", "masking:no_session"."""
    parts = ["masking", decision.outcome.value]
    if decision.session_id is not None:
        parts.append(str(decision.session_id))
    return ":".join(parts)


def callflow_for(
    decision: Decision,
    *,
    virtual_number: str,
    prompts: Mapping[str, PromptFacts],
    number_format: str = DIGITS,
    fallback_apology: PromptFacts | None = None,
) -> dict:
    """The whole answer to a Call Action for `decision` (design.md's table, right column)."""
    actions: list[dict] = []
    if decision.outcome == Outcome.CONNECT:
        prompt = (prompts.get("recording_notice") if decision.record else None) or prompts.get(
            "connecting"
        )
        if prompt:
            actions.append(say(prompt))
        actions.append(
            make_call(
                source=virtual_number,
                destination=decision.destination,
                record=decision.record,
                number_format=number_format,
            )
        )
        return callflow(client_action_id(decision), actions)

    purpose = {
        Outcome.NO_SESSION: "no_session",
        Outcome.NOT_IN_SERVICE: "not_in_service",
        Outcome.APOLOGY: "apology",
    }[decision.outcome]
    prompt = prompts.get(purpose)
    if prompt is None and decision.outcome == Outcome.APOLOGY:
        prompt = fallback_apology
    if prompt:
        actions.append(say(prompt))
    actions.append(hangup())
    return callflow(client_action_id(decision), actions)
