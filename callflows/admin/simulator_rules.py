"""The call simulator's explanation of session rules and of calls outside a session: its own
section, beside the decision (`callflows.admin.simulator` adds it to the result)."""

from urllib.parse import urlsplit

from django.conf import settings

from callflows.answer import Answer
from callflows.decision import Outcome
from callflows.out_of_session import out_of_session_config
from masking.session_rules import RULE_WORDS

# Where a real call asks the business first (a caller whose PIN entry is paused included).
OUT_OF_SESSION = {Outcome.NO_SESSION, Outcome.FALLBACK, Outcome.PIN_LOCKED}


def rules_explained(answer: Answer) -> dict:
    """Each rule of the caller's session, which one (if any) turned this call away, and what a
    caller in no session gets on this number."""
    session = answer.facts.session
    decision = answer.decision
    rules = session.rules.described() if session else []
    if session and session.rules.max_calls:
        rules = [
            f"{line} ({session.connected_calls} so far)" if "connected calls" in line else line
            for line in rules
        ]
    config = out_of_session_config(answer.facts.rules)
    out_of_session = []
    if decision.outcome in OUT_OF_SESSION and not decision.rule and config.ask_business:
        host = urlsplit(answer.facts.rules.out_of_session_url).hostname
        out_of_session.append(
            f"On a real call the business is asked first ({host}, within "
            f"{settings.MASKING_OUT_OF_SESSION_DEADLINE_MS} ms): it may open a session and "
            "connect, connect once, play a prompt or refuse. The simulator does not ask it; "
            "shown is what the caller gets without a usable answer."
        )
    if config.fallback_line:
        out_of_session.append(
            f"Fallback line: {config.fallback_line}. Callers in no session, those a session "
            "rule turns away and those who fail the PIN are bridged there, after the fallback "
            "line prompt."
        )
    return {
        "in_session": session is not None,
        "rules": rules,
        "refused_by": RULE_WORDS.get(decision.rule, ""),
        "out_of_session": out_of_session,
    }
