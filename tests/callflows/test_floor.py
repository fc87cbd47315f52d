"""The load benchmark's floors (callflows/floor.py): never served by default, and the database
floor sends exactly the statements the Call Action sends, so the benchmark's split of a call's
cost (the round trips against our own work) cannot drift from the code."""

import json

import psycopg
import pytest
from django.db import connection
from django.test import RequestFactory

from callflows.floor import FLOOR_BODY, database_floor
from callflows.models import Call, CallAction
from tests.callflows.conftest import VN, A, call_action


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/bench/floor/", "/bench/database-floor/"])
def test_the_floors_are_not_served_without_the_benchmark_setting(client, path):
    response = client.post(path, b"{}", content_type="application/json")
    assert response.status_code == 404
    assert not CallAction.objects.exists()


@pytest.fixture
def statements(monkeypatch):
    """The text of every statement psycopg sends, as the code wrote it (placeholders kept)."""
    sent = []
    execute = psycopg.Cursor.execute

    def recorded(self, query, *args, **kwargs):
        sent.append(" ".join(str(query).split()))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recorded)
    return sent


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's round trips; `make test` runs this in its PostgreSQL pass",
)
def test_the_database_floor_sends_the_call_actions_statements(
    provider, pairing, prompts, statements
):
    for n in range(2):  # the first loads the prompts into their cache: compare the second
        statements.clear()
        provider.post(
            "/callflows/8x8/call-action/",
            call_action(A, VN, eventId=f"ca-event-{n}", sessionId=f"ca-session-{n}"),
            format="json",
        )
    call_actions = list(statements)
    statements.clear()

    body = json.dumps(call_action(A, VN, eventId="db-event", sessionId="db-session")).encode()
    request = RequestFactory().post("/bench/database-floor/", body, "application/json")
    response = database_floor(request)

    assert response.status_code == 200
    assert response.content == FLOOR_BODY
    assert len(call_actions) == 2  # the facts, then the record
    assert statements == call_actions
    # On record apart from real calls, so the benchmark can count the Call Action's own events.
    assert Call.objects.get(provider_session_id="floor-db-session").action_event_id == (
        "floor-db-event"
    )
