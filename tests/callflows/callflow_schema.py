"""Checking any answer against the callflow schemas written from 8x8's documents
(tests/callflows/schemas/: the current dialect from 8x8's current pages and OpenAPI file, the
seed's from its older Number Masking page), plus the few rules JSON Schema cannot state."""

import json
from functools import cache
from pathlib import Path

import jsonschema

SCHEMAS = Path(__file__).parent / "schemas"
CAPTURES = ("sayAndCapture", "say&capture")


@cache
def validator(dialect: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"callflow-{dialect}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_problems(body, *, dialect: str) -> list[str]:
    """Everything that keeps `body` from being a callflow 8x8 runs, in `dialect`. [] if none."""
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator(dialect).iter_errors(body)
    ]
    if problems:
        return problems
    flow = body["callflow"]
    for index, step in enumerate(flow):
        name, params = step["action"], step.get("params", {})
        if name == "hangup" and index != len(flow) - 1:
            # -1012 "Invalid Callflow : Incorrect use of action Hangup" (voice status codes);
            # the NM page: hangup is "needed only if you do not want to complete any other
            # action".
            problems.append(f"callflow/{index}: hangup before other actions")
        if name in CAPTURES and index + 1 < len(flow) and flow[index + 1]["action"] == "hangup":
            # Provider document 3.4 (IVR guides): a hangup right after a capture discards the
            # digits.
            problems.append(f"callflow/{index}: hangup right after a capture")
        if name == "sayAndCapture":
            if "digitTimeout" in params and not params["overallTimeout"] > params["digitTimeout"]:
                # -1006 "OverallTimeout should be greater than digitTimeout".
                problems.append(f"callflow/{index}: overallTimeout not above digitTimeout")
            if params.get("minDigits", 1) > params.get("maxDigits", 25):
                # IVR page: minDigits "the minimum required", maxDigits "the maximum accepted".
                problems.append(f"callflow/{index}: minDigits above maxDigits")
    return problems
