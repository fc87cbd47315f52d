"""Calls from a phone in no session on a number: the effective behaviour (ask the business, the
fallback line) and reading the business's answer. No query, no request.

The behaviour is looked up in one place, `out_of_session_config`, from the number's pool's rules
(`masking.pool_rules`: its own, else the settings), read with the call's facts.

The business answers the signed POST with JSON (README, "Calls outside a session"):

    {"action": "open_session", "participant": "+6591230002", "reference": "ride-42",
     "expires_in_seconds": 3600}
    {"action": "connect", "number": "+6591230002"}
    {"action": "prompt", "text": "Your ride has ended. Please use the app."}
    {"action": "refuse"}
"""

import json
from dataclasses import replace
from functools import lru_cache

from callflows.decision import BusinessKind
from callflows.numbers import NotAPhoneNumber, parse_provider_number
from masking.pool_rules import PoolRules
from masking.routing import BusinessAnswer, OutOfSession

# 8x8's `say` takes at most 3,000 characters (provider document, 3.2).
MAX_PROMPT_CHARS = 3000
MAX_REFERENCE_CHARS = 100
# A session the business opens for a call lasts this long unless it says otherwise, and at most
# a week: an open session holds the caller's routing key on the number until it ends.
DEFAULT_SESSION_SECONDS = 3600
MAX_SESSION_SECONDS = 7 * 24 * 3600


@lru_cache(maxsize=256)  # a few per pool
def _config(url: str, fallback: str) -> OutOfSession:
    try:
        line = parse_provider_number(fallback) if fallback else ""
    except NotAPhoneNumber:
        line = ""  # `manage.py check` names it (masking.E041)
    return OutOfSession(ask_business=bool(url), fallback_line=line)


def out_of_session_config(rules: PoolRules) -> OutOfSession:
    """What a number of a pool with `rules` does with a call from a phone in no session on it.
    No query: the rules come with the call's facts."""
    return _config(rules.out_of_session_url if rules.asks_business else "", rules.fallback_line)


def read_answer(body: bytes, *, elapsed_ms: int) -> BusinessAnswer:
    """The business's JSON answer as a BusinessAnswer; BAD_ANSWER (with why) when it is not one
    of the four answers, well formed."""

    def bad(detail: str) -> BusinessAnswer:
        return BusinessAnswer(kind=BusinessKind.BAD_ANSWER, elapsed_ms=elapsed_ms, detail=detail)

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return bad("not JSON")
    if not isinstance(data, dict):
        return bad("not a JSON object")
    action = data.get("action")
    answer = BusinessAnswer(kind=str(action), elapsed_ms=elapsed_ms)
    if action == BusinessKind.REFUSE:
        return answer
    if action == BusinessKind.PROMPT:
        text = data.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_PROMPT_CHARS:
            return bad(f"text: 1 to {MAX_PROMPT_CHARS} characters expected")
        return replace(answer, prompt=text.strip())
    if action in (BusinessKind.CONNECT, BusinessKind.OPEN_SESSION):
        field = "number" if action == BusinessKind.CONNECT else "participant"
        try:
            number = parse_provider_number(data.get(field))
        except NotAPhoneNumber:
            return bad(f"{field}: a phone number expected")
        answer = replace(answer, destination=number)
        if action == BusinessKind.CONNECT:
            return answer
        reference = data.get("reference", "")
        seconds = data.get("expires_in_seconds", DEFAULT_SESSION_SECONDS)
        if not isinstance(reference, str) or len(reference) > MAX_REFERENCE_CHARS:
            return bad(f"reference: at most {MAX_REFERENCE_CHARS} characters expected")
        if (
            not isinstance(seconds, int)
            or isinstance(seconds, bool)
            or not 60 <= seconds <= MAX_SESSION_SECONDS
        ):
            return bad(f"expires_in_seconds: 60 to {MAX_SESSION_SECONDS} expected")
        return replace(answer, reference=reference, session_seconds=seconds)
    return bad("action: open_session, connect, prompt or refuse expected")
