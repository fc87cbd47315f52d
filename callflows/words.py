"""The words staff read for our decisions and 8x8's outcomes: one table for every page and export.

The codes (`no_session`, `COMPLETED`) stay in the database, the API and the callflow tags; people
read the labels of `Call.Outcome` and `Call.Status`, the same ones the call log shows.
"""

from callflows.models import Call

DECISIONS = dict(Call.Outcome.choices)
OUTCOMES = dict(Call.Status.choices)


def decision_words(code: str) -> str:
    """ "no_session" -> "no session"; a call we only know from 8x8's summary has no decision."""
    if not code:
        return "no decision (8x8's summary only)"
    return str(DECISIONS.get(code, code))


def outcome_words(code: str) -> str:
    """ "COMPLETED" -> "completed"; a call whose summary has not come yet has no outcome."""
    if not code:
        return "no summary from 8x8 yet"
    return str(OUTCOMES.get(code, code))
