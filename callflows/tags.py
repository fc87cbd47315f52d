"""Our `clientActionId` tags: what we write, and reading back what 8x8 echoes.

8x8 documents no format for `clientActionId`, but its `-1016` refuses callflows with "special
characters" it does not name, and every example in its documents ("NumberMaskingId1",
"ivr1_level2", "booking-7731-bridge") uses letters, digits, `_` and `-` only. So we write only
those: "masking-connect-42", "masking-ask_pin-1", "masking-no_session". Outcomes contain `_`,
so `-` separates the parts.

Tags of the form written before ("masking:connect:42") are still read: a call in flight while
the deployment is upgraded echoes the tag the previous version gave it.
"""

import re

from callflows.decision import Decision, Outcome

PREFIX = "masking"
SEPARATOR = "-"
OLD_SEPARATOR = ":"
# What 8x8's examples use, and all we ever write (tests/callflows/callflow.schema.json too).
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def tag_for(decision: Decision) -> str:
    """ "masking-connect-42", "masking-no_session", "masking-ask_pin-1" (the PIN try being asked
    for), "masking-ask_consent-42"."""
    parts = [PREFIX, decision.outcome.value]
    if decision.outcome in (Outcome.ASK_PIN, Outcome.RETRY_PIN):
        parts.append(str(decision.tries))
    elif decision.session_id is not None:
        parts.append(str(decision.session_id))
    return SEPARATOR.join(parts)


def _parts(tag: str | None) -> list[str]:
    tag = tag or ""
    for separator in (SEPARATOR, OLD_SEPARATOR):
        if tag.startswith(PREFIX + separator):
            return tag.split(separator)
    return []


def is_ours(tag: str | None) -> bool:
    """Whether `tag` has the shape of one we wrote, in either form."""
    return len(_parts(tag)) >= 2


def tag_outcome(tag: str | None) -> str | None:
    """ "masking-ask_pin-1" (or the old "masking:ask_pin:1") -> "ask_pin"; None for tags we did
    not write."""
    parts = _parts(tag)
    return parts[1] if len(parts) >= 2 else None
