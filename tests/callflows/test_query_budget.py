"""The Call Action's database budget, pinned for each row of the decision table.

One read (every fact in one indexed query) and one write (the call's record), whatever the size of
the tables. The prompts are cached per process, so the warm-up call pays their one extra read.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from masking.models import VirtualNumber
from masking.services.consent import consent_record
from tests.callflows.conftest import VN, A, B, call_action
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
URL = "/callflows/8x8/call-action/"


def setup_row(row):
    vn = VirtualNumberFactory(number=VN)
    for _ in range(50):  # other pairings on the same number
        open_session(virtual_number=vn, recording_requested=True)
    open_session(
        virtual_number=vn,
        a=A,
        b=B,
        recording_requested=row == "recorded",
        pin_a="4821" if row == "ask_pin" else "",
        pin_b="9034" if row == "ask_pin" else "",
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
    }[row]
    return caller, dialled


@pytest.mark.parametrize(
    "row, outcome",
    [
        ("connect", "connect"),
        ("recorded", "connect"),
        ("no_session", "no_session"),
        ("unknown_number", "not_in_service"),
        ("retired", "not_in_service"),
        ("ask_pin", "ask_pin"),
    ],
)
def test_one_read_and_one_write_per_call(provider, prompts, row, outcome):
    caller, dialled = setup_row(row)
    provider.post(URL, call_action(B, VN, sessionId="warm", eventId="warm"), format="json")
    with CaptureQueriesContext(connection) as ctx:
        answer = provider.post(URL, call_action(caller, dialled), format="json").json()
    assert answer["clientActionId"].startswith(f"masking:{outcome}")
    statements = [q["sql"].lstrip().split()[0].upper() for q in ctx.captured_queries]
    assert statements == ["SELECT", "INSERT"], statements
