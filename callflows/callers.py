"""Which participant of its masking session made a call: "a", "b", or None when we cannot tell.

Pure: it reads the call's fields and the session's participants, both already loaded.
"""

from collections.abc import Iterable


def _digits(number) -> str:
    return str(number or "").lstrip("+")


def caller_role(*, caller: str, answer: dict | None, participants: Iterable) -> str | None:
    """The caller's role in the session.

    By the caller's number first. A caller who came in with a PIN from another phone is no
    participant's number; then the callflow tells: we bridged them to the *other* participant.
    A call anonymised by retention keeps neither, and answers None.
    """
    roles = {_digits(p.number): p.role for p in participants}
    if _digits(caller) in roles:
        return roles[_digits(caller)]
    for step in (answer or {}).get("callflow") or []:
        if isinstance(step, dict) and step.get("action") == "makeCall":
            called = roles.get(_digits((step.get("params") or {}).get("destination")))
            if called is not None and len(roles) == 2:
                return next(role for role in roles.values() if role != called)
    return None
