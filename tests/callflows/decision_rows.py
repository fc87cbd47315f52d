"""One call for each row of the decision table, set up among other pairings on the same number:
what the database budget tests (statements, round trips) post."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from masking.models import VirtualNumber
from masking.services.consent import consent_record
from masking.session_rules import SessionRules
from tests.callflows.conftest import VN, A, B
from tests.factories import VirtualNumberFactory, open_session

# (row, the outcome its answer's clientActionId names)
ROWS = [
    ("connect", "connect"),
    ("recorded", "connect"),
    ("no_session", "no_session"),
    ("unknown_number", "not_in_service"),
    ("retired", "not_in_service"),
    ("ask_pin", "ask_pin"),
    # session rules: read with the facts, no extra round trip
    ("one_way_refused", "session_rule"),
    ("max_calls_left", "connect"),
    ("calling_hours", "connect"),
]


RULES = {
    "one_way_refused": SessionRules(one_way=True),
    "max_calls_left": SessionRules(max_calls=1000),
}


def _hours_around_now() -> SessionRules:
    """A two-hour window around now in Singapore (spanning midnight when now is near it)."""
    now = datetime.now(ZoneInfo("Asia/Singapore"))
    return SessionRules(
        calling_hours_start=(now - timedelta(hours=1)).time().replace(microsecond=0),
        calling_hours_end=(now + timedelta(hours=1)).time().replace(microsecond=0),
        calling_hours_time_zone="Asia/Singapore",
    )


def setup_row(row):
    vn = VirtualNumberFactory(number=VN)
    for _ in range(50):  # other pairings on the same number
        open_session(virtual_number=vn, recording_requested=True)
    open_session(
        virtual_number=vn,
        a=A,
        b=B,
        recording_requested=row == "recorded",
        pin_a="482193" if row == "ask_pin" else "",
        pin_b="903417" if row == "ask_pin" else "",
        rules=_hours_around_now() if row == "calling_hours" else RULES.get(row, SessionRules()),
    )
    if row == "recorded":
        consent_record(number=A, method="admin")
        consent_record(number=B, method="admin")
    if row == "retired":
        VirtualNumber.objects.filter(number=VN).update(status="retired")
    caller, dialled = {
        "connect": (A, VN),
        "recorded": (A, VN),
        "no_session": ("+6591239999", VN),
        "unknown_number": (A, "+6531509999"),
        "retired": (A, VN),
        "ask_pin": ("+6591239999", VN),
        "one_way_refused": (B, VN),
        "max_calls_left": (A, VN),
        "calling_hours": (A, VN),
    }[row]
    return caller, dialled
