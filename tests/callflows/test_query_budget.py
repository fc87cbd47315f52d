"""The Call Action's database budget, pinned for each row of the decision table.

One read (every fact in one indexed query) and one write (the event stored with its answer and the
call's record, in one statement on PostgreSQL), whatever the size of the tables. SQLite has no
data-modifying WITH, so there the write is two statements in one transaction, in process (no round
trip). The prompts are cached per process, so the warm-up call pays their one extra read.
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
WRITE = {"postgresql": ["WITH"], "sqlite": ["INSERT", "INSERT"]}


def statements(ctx) -> list[str]:
    """The statements sent, by their first word; the test's own savepoints left out."""
    words = [q["sql"].lstrip().split()[0].upper() for q in ctx.captured_queries]
    return [w for w in words if w not in ("SAVEPOINT", "RELEASE")]


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
    assert statements(ctx) == ["SELECT", *WRITE[connection.vendor]]


def test_redelivery_costs_one_more_read_and_writes_nothing(provider, prompts):
    caller, dialled = setup_row("connect")
    body = call_action(caller, dialled, sessionId="s", eventId="e")
    first = provider.post(URL, body, format="json").json()
    with CaptureQueriesContext(connection) as ctx:
        assert provider.post(URL, body, format="json").json() == first
    # The event's insert finds it stored and the call is not touched; then the stored answer.
    assert statements(ctx) == ["SELECT", *WRITE[connection.vendor][:1], "SELECT"]


def test_follow_up_to_a_bridge_reads_the_call_and_writes_its_event(provider, prompts):
    caller, dialled = setup_row("connect")
    provider.post(URL, call_action(caller, dialled, sessionId="s", eventId="e1"), format="json")
    follow_up = call_action(
        caller, dialled, sessionId="s", eventId="e2", callStatus="ACTION_COMPLETED"
    )
    with CaptureQueriesContext(connection) as ctx:
        assert provider.post(URL, follow_up, format="json").json()["clientActionId"] == (
            "masking:hangup"
        )
    assert statements(ctx) == ["SELECT", *WRITE[connection.vendor]]
