"""Never fail a caller: with the database really gone or stuck, 8x8 still gets a callflow.

PostgreSQL only: these tests stop the real connection (a closed port) or hold real locks.
"""

import threading
import time

import psycopg
import pytest
from django.db import connection

from callflows.models import Call
from tests.callflows.conftest import VN, A, B, call_action
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs a real server to stop and lock; `make test` runs it in its PostgreSQL pass",
    ),
]
URL = "/callflows/8x8/call-action/"


@pytest.fixture(autouse=True)
def flush_without_the_web_statement_timeout(transactional_db):
    yield
    # After each test pytest-django empties every table with one TRUNCATE on this connection,
    # which runs under the web requests' statement timeout (300 ms); on a busy machine that
    # TRUNCATE takes longer, fails, and leaves rows that break the next test.
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")


FALLBACK = "Sorry, we cannot connect your call right now. Please try again later."


def spoken_and_actions(response):
    flow = response.json()["callflow"]
    return [s["params"]["text"] for s in flow if s["action"] == "say"], [s["action"] for s in flow]


KEYPAD_ANSWER = {
    "callStatus": "ACTION_COMPLETED",
    "clientActionId": "masking:ask_pin:1",
    "eventData": {"dtmf": "4821"},
}


@pytest.mark.parametrize("extra", [{}, KEYPAD_ANSWER], ids=["first call", "keypad answer"])
def test_database_unreachable_gets_the_fallback_apology(provider, extra):
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    connection.close()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = "1"  # nothing listens there: connections are refused
    try:
        started = time.monotonic()
        response = provider.post(URL, call_action(A, VN, **extra), format="json")
        elapsed = time.monotonic() - started
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    assert response.status_code == 200
    assert spoken_and_actions(response) == ([FALLBACK], ["say", "hangup"])
    assert elapsed < 2


def db_url():
    s = connection.settings_dict
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"host={host} port={port} user={s['USER']} dbname={s['NAME']}"


def hold_lock(sql: str, release: threading.Event, held: threading.Event):
    with psycopg.connect(db_url()) as other:
        other.execute(sql)
        held.set()
        release.wait(10)
        other.rollback()


@pytest.mark.parametrize(
    "lock_sql, expected, recorded",
    [
        # A migration holding the pool table: the read cannot even start -> apology.
        ("LOCK TABLE masking_virtualnumber IN ACCESS EXCLUSIVE MODE", "apology", True),
        # Another server mid-way through writing this very call: our record waits, the caller
        # still gets the decision.
        (
            "INSERT INTO callflows_call (provider_session_id, action_event_id, virtual_number, "
            "caller, outcome, recorded, created_at, keypad_tries, status, last_action, "
            "error_message, recording_id, recording_path) VALUES ('locked-session', 'other', '', "
            "'', '', false, now(), 0, '', '', '', '', '')",
            "connect",
            False,
        ),
    ],
    ids=["table locked", "call row locked"],
)
def test_lock_waits_are_bounded_by_the_statement_timeout(
    provider, settings, lock_sql, expected, recorded
):
    PromptFactory(purpose="apology", text="[apology]")
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    provider.post(URL, call_action(B, VN, sessionId="warm", eventId="warm"), format="json")
    release, held = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_lock, args=(lock_sql, release, held))
    holder.start()
    assert held.wait(5), "the other connection could not take its lock"
    try:
        started = time.monotonic()
        response = provider.post(
            URL, call_action(A, VN, sessionId="locked-session", eventId="mine"), format="json"
        )
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()
    assert response.status_code == 200
    assert response.json()["clientActionId"].startswith(f"masking:{expected}")
    # The web statement timeout (300 ms by default) bounds each wait.
    assert elapsed < 1.5, elapsed
    # The apology is on record; the blocked record could not be written (and is logged).
    mine = Call.objects.filter(provider_session_id="locked-session", action_event_id="mine")
    assert mine.exists() is recorded
