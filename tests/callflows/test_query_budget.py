"""The Call Action's database budget, pinned for each row of the decision table.

One read (every fact in one indexed query) and one write (the event stored with its answer and the
call's record, in one statement on PostgreSQL), whatever the size of the tables. SQLite has no
data-modifying WITH, so there the write is two statements in one transaction, in process (no round
trip). The prompts are cached per process, so the warm-up call pays their one extra read.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.callflows.conftest import VN, B, call_action
from tests.callflows.decision_rows import ROWS, setup_row

pytestmark = pytest.mark.django_db
URL = "/callflows/8x8/call-action/"
WRITE = {"postgresql": ["WITH"], "sqlite": ["INSERT", "INSERT"]}


def statements(ctx) -> list[str]:
    """The statements sent, by their first word; the test's own savepoints left out."""
    words = [q["sql"].lstrip().split()[0].upper() for q in ctx.captured_queries]
    return [w for w in words if w not in ("SAVEPOINT", "RELEASE")]


@pytest.mark.parametrize("row, outcome", ROWS)
def test_one_read_and_one_write_per_call(provider, prompts, row, outcome):
    caller, dialled = setup_row(row)
    provider.post(URL, call_action(B, VN, sessionId="warm", eventId="warm"), format="json")
    with CaptureQueriesContext(connection) as ctx:
        answer = provider.post(URL, call_action(caller, dialled), format="json").json()
    assert answer["clientActionId"].startswith(f"masking-{outcome}")
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
            "masking-hangup"
        )
    assert statements(ctx) == ["SELECT", *WRITE[connection.vendor]]
