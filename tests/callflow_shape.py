"""The seed's callflow contract (shared/seeds/call-actions.txt) as a checker for any answer."""

from masking.voices import VALID_PAIRS, wire_language

ACTION_PARAMS = {
    "makeCall": ({"source", "destination"}, {"callRecording"}),
    "say": ({"text", "language", "voiceProfile", "repetition"}, set()),
    "say&capture": ({"text", "language", "voiceProfile", "repetition", "minDigits"}, set()),
}
WIRE_PAIRS = {(wire_language(language), voice) for language, voice in VALID_PAIRS}


def callflow_problems(body) -> list[str]:
    """Everything that keeps `body` from being a callflow 8x8 can run, per the seed. [] if none."""
    problems = []
    if not isinstance(body, dict) or set(body) != {"clientActionId", "callflow"}:
        return ["top level must be exactly clientActionId and callflow"]
    if not isinstance(body["clientActionId"], str) or not body["clientActionId"]:
        problems.append("clientActionId must be a non-empty string")
    flow = body["callflow"]
    if not isinstance(flow, list) or not flow:
        return [*problems, "callflow must be a non-empty list"]
    for index, step in enumerate(flow):
        name = step.get("action") if isinstance(step, dict) else None
        if name == "hangup":
            if step != {"action": "hangup"} or index != len(flow) - 1:
                problems.append(f"step {index}: hangup takes no params and comes last")
            continue
        if name not in ACTION_PARAMS or set(step) != {"action", "params"}:
            problems.append(f"step {index}: unknown action or shape")
            continue
        required, optional = ACTION_PARAMS[name]
        params = step["params"]
        if not required <= set(params) <= required | optional:
            problems.append(f"step {index}: {name} params {sorted(params)}")
            continue
        if name == "makeCall":
            for key in ("source", "destination"):
                if not params[key].lstrip("+").isdigit():
                    problems.append(f"step {index}: {key} is not a number")
            if "callRecording" in params and params["callRecording"] is not True:
                problems.append(f"step {index}: callRecording is only ever true")
        else:
            if (params["language"], params["voiceProfile"]) not in WIRE_PAIRS:
                problems.append(f"step {index}: voice not in the catalog")
            if not isinstance(params["repetition"], int) or not 1 <= params["repetition"] <= 3:
                problems.append(f"step {index}: repetition out of range")
            if not isinstance(params["text"], str) or not params["text"]:
                problems.append(f"step {index}: empty text")
            if name == "say&capture" and not 1 <= params["minDigits"] <= 20:
                problems.append(f"step {index}: minDigits out of 1 to 20")
    return problems
