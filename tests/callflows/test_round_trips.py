"""Every round trip the Call Action makes to PostgreSQL, counted where psycopg sends it.

Django's own query capture misses what does not pass through its cursor wrapper: the health check
of a persistent connection (`SELECT 1`, CONN_HEALTH_CHECKS) ran before the first query of every
request, a third round trip on a path that needs two. Here the WSGI application is called the way
gunicorn calls it (request signals included, a persistent connection reused), and psycopg's own
`execute` is counted.
"""

import json
import re
from itertools import count

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from masking.models import Pool
from tests.callflows.conftest import AUTH, VN, B, call_action
from tests.callflows.decision_rows import ROWS, setup_row
from tests.factories import PromptFactory
from tests.wsgi import wsgi_post

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="round trips are PostgreSQL's; `make test` runs this in its PostgreSQL pass",
    ),
]
EVENTS = count()
# Behind a transaction pooler each transaction's first statement carries the web's timeouts in the
# same query string (masking/postgres/timeouts.py): one execute, one round trip.
TIMEOUTS_PREFIX = re.compile(r"^(SET LOCAL \w+ = \d+; )+")
POOLED = connection.settings_dict["OPTIONS"].get("transaction_pooling", False)


class Sent(list):
    """The first word of each statement sent; beside it, whether it carried the timeouts."""

    def __init__(self):
        super().__init__()
        self.carrying_timeouts = []

    def clear(self):
        super().clear()
        self.carrying_timeouts.clear()


@pytest.fixture
def served(settings, monkeypatch):
    settings.WEBHOOK_AUTH_HEADER = AUTH
    for purpose in ["connecting", "recording_notice", "no_session", "not_in_service", "apology"]:
        PromptFactory(purpose=purpose, text=f"[{purpose}]")
    # Persistent connections and health checks, as production runs.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 600)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    sent = Sent()
    execute = psycopg.Cursor.execute

    def counted(self, query, *args, **kwargs):
        text = str(query if isinstance(query, str) else query.as_string(self))
        # Direct connections have the timeouts from their start.
        sent.carrying_timeouts.append(TIMEOUTS_PREFIX.match(text) is not None)
        sent.append(TIMEOUTS_PREFIX.sub("", text).split()[0])
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    app = WSGIHandler()

    def post(caller=B, dialled=VN):
        n = next(EVENTS)
        body = json.dumps(
            call_action(caller, dialled, eventId=f"rt-event-{n}", sessionId=f"rt-session-{n}")
        ).encode()
        status, content = wsgi_post(app, "/callflows/8x8/call-action/", body, authorization=AUTH)
        assert status == "200 OK"
        return json.loads(content)

    post()  # warm: connection opened, prompts cached, statements prepared
    yield post, sent
    connection.close()


@pytest.mark.parametrize("row, outcome", ROWS)
def test_each_decision_row_makes_two_round_trips_health_check_included(served, row, outcome):
    post, sent = served
    caller, dialled = setup_row(row)
    sent.clear()
    body = post(caller, dialled)
    assert body["clientActionId"].startswith(f"masking-{outcome}")
    assert sent == ["SELECT", "WITH"]  # the facts, then the event and the call's record
    assert sent.carrying_timeouts == [POOLED, POOLED]


def test_a_second_pools_rules_come_with_the_facts_in_the_same_two_round_trips(served):
    """Issue 31: the number's pool's rules are read in the facts query (a join), not after it."""
    post, sent = served
    caller, dialled = setup_row("ask_pin")
    # The pool's own rules, set after the prompts and the connection are warm.
    Pool.objects.filter(numbers__number=dialled).update(pin_length=4, pin_guess_one_in=100)
    sent.clear()
    (step,) = post(caller, dialled)["callflow"]
    assert step["params"]["minDigits"] == 4
    assert sent == ["SELECT", "WITH"]


def test_a_pools_out_of_session_behaviour_comes_with_the_facts_in_the_same_two_round_trips(
    served,
):
    """Issue 31 with issue 30: the pool's own fallback line is read in the facts query."""
    post, sent = served
    caller, dialled = setup_row("no_session")
    Pool.objects.filter(numbers__number=dialled).update(fallback_line="+6562220000")
    sent.clear()
    body = post(caller, dialled)
    assert body["callflow"][-1]["params"]["destination"] == "6562220000"
    assert sent == ["SELECT", "WITH"]


def test_a_pools_own_prompts_are_cached_like_the_deployments(served):
    """Issue 31: a pool's own prompt is read once after it is written (the version read with the
    facts tells the cache), then costs nothing more: still two round trips a call."""
    post, sent = served
    caller, dialled = setup_row("connect")
    pool = Pool.objects.get(numbers__number=dialled)
    PromptFactory(pool=pool, purpose="connecting", text="[the pool's own connecting]")
    sent.clear()
    assert post(caller, dialled)["callflow"][0]["params"]["text"] == "[the pool's own connecting]"
    assert sent[0] == "SELECT" and len(sent) > 2  # the facts, the prompts reloaded, the record
    sent.clear()
    assert post(caller, dialled)["callflow"][0]["params"]["text"] == "[the pool's own connecting]"
    assert sent == ["SELECT", "WITH"]


def test_a_connection_that_died_between_calls_still_connects_the_next_caller(served):
    post, sent = served
    caller, dialled = setup_row("connect")
    with psycopg.connect(
        **{k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"},
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    body = post(caller, dialled)
    assert body["callflow"][-1]["action"] == "makeCall"  # not the apology


def test_the_two_statements_are_planned_once_per_connection(served):
    """Planning the facts query costs more than running it: psycopg prepares both statements once
    they have run a few times on a connection (DATABASE_PREPARE_THRESHOLD), and reuses them."""
    post, sent = served
    caller, dialled = setup_row("connect")
    for _ in range(6):
        assert post(caller, dialled)["callflow"][-1]["action"] == "makeCall"
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [" ".join(row[0].split()[:3]) for row in cursor.fetchall()]
    if POOLED:
        # Behind a transaction pooler the next call may run on another server connection, where
        # a prepared statement would not exist: nothing is prepared (README, "PgBouncer").
        assert prepared == []
        return
    # The facts query (masking.selectors) and the record (callflows.records), by their openings.
    assert {"SELECT vn.status, s.id,", "WITH action AS"} <= set(prepared)


def _other_connection():
    params = connection.get_connection_params()
    return psycopg.connect(
        **{k: v for k, v in params.items() if k != "cursor_factory"}, autocommit=True
    )


# Columns the prepared statements return, changed the way a migration deployed while the app
# servers keep their connections would change them: the result type of the prepared plan changes.
MIGRATED_COLUMNS = [
    ("masking_virtualnumber", "status"),  # the facts query's first column
    ("masking_participant", "number"),  # the other party
    ("masking_participant", "preferred_language"),
]


@pytest.mark.parametrize("table, column", MIGRATED_COLUMNS)
def test_a_migration_on_another_connection_does_not_turn_prepared_calls_into_apologies(
    served, table, column
):
    """PostgreSQL refuses to run a prepared statement whose result type has changed ("cached
    plan must not change result type"), and psycopg only forgets its statements after DDL on its
    own connection: without care, every call on every persistent connection is an apology until
    the workers restart."""
    post, sent = served
    caller, dialled = setup_row("connect")
    for _ in range(6):  # prepared (DATABASE_PREPARE_THRESHOLD)
        assert post(caller, dialled)["callflow"][-1]["action"] == "makeCall"
    with _other_connection() as other:
        (length,) = other.execute(
            "SELECT character_maximum_length FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = %s",
            [table, column],
        ).fetchone()
        alter = f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({{}})"
        other.execute(alter.format(length + 1))
        try:
            for _ in range(2):  # the first call after the change, and the one after it
                assert post(caller, dialled)["callflow"][-1]["action"] == "makeCall"
        finally:
            connection.close()  # its locks and statements go before the column is put back
            other.execute(alter.format(length))


# What a PIN answer sends: the call's record (what was asked), the number's row (FOR UPDATE), the
# guess written down, the facts (the PIN matched by hash in that one read), the record, then the
# guess struck off (right PIN) or its lockout checks (wrong PIN: two reads per scope).
PIN_ANSWER_STATEMENTS = {
    "connect": ["SELECT", "SELECT", "INSERT", "SELECT", "WITH", "DELETE"],
    "retry_pin": ["SELECT", "SELECT", "INSERT", "SELECT", "WITH"] + ["SELECT"] * 4,
}


@pytest.mark.parametrize("digits, outcome", [("482193", "connect"), ("000000", "retry_pin")])
def test_a_pin_answer_is_judged_in_one_transaction_with_its_count(served, digits, outcome):
    """Issue 24: digits keyed at the PIN prompt cost more than a first call's two round trips,
    all in one transaction: the call's record (what was asked), the number's row and the guess
    written down, the facts (PIN matched by its hash, in the same single read), the record, and
    the guess kept or struck off (a wrong one: its lockout checks)."""
    post, sent = served
    caller, dialled = setup_row("ask_pin")
    assert post(caller, dialled)["clientActionId"] == "masking-ask_pin-1"
    n = next(EVENTS)
    body = call_action(
        caller,
        dialled,
        eventId=f"rt-event-{n}",
        sessionId=f"rt-session-{n - 1}",
        callStatus="ACTION_COMPLETED",
        clientActionId="masking-ask_pin-1",
        eventData={"dtmf": digits},
    )
    sent.clear()
    status, content = wsgi_post(
        WSGIHandler(), "/callflows/8x8/call-action/", json.dumps(body).encode(), authorization=AUTH
    )
    assert json.loads(content)["clientActionId"].startswith(f"masking-{outcome}")
    assert sent == PIN_ANSWER_STATEMENTS[outcome]
