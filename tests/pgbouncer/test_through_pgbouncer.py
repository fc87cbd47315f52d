"""Production behind PgBouncer in transaction mode (README, "PgBouncer"): a live gunicorn from the
shipped configuration, its database URL pointing at the pooler that `.ci/with-pgbouncer` starts.

Collected only in that leg (`make test-pgbouncer`, part of `make test`), where the whole test run
talks to PostgreSQL through the pooler.
"""

import http.client
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count

import psycopg
import pytest
from django.db import connection

from callflows.tags import tag_outcome
from tests.callflows.conftest import VN, A, B, call_action
from tests.factories import PromptFactory, VirtualNumberFactory, open_session
from tests.servers import AUTH, gunicorn

pytestmark = pytest.mark.django_db(transaction=True)
EVENTS = count()
CONCURRENCY = 8


def direct_connection():
    """A connection to PostgreSQL itself, beside the pooler."""
    host, port = os.environ["PGBOUNCER_UPSTREAM"].split(":")
    s = connection.settings_dict
    return psycopg.connect(host=host, port=port, user=s["USER"], dbname=s["NAME"], autocommit=True)


@pytest.fixture
def paired(db):
    for purpose in ["connecting", "recording_notice", "no_session", "not_in_service", "apology"]:
        PromptFactory(purpose=purpose, text=f"[{purpose}]")
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)


@pytest.fixture(scope="module")
def served():
    with gunicorn(workers=2) as port:
        yield port


class Caller:
    """One 8x8 connection (kept alive, as 8x8 and the proxy keep theirs) posting Call Actions."""

    def __init__(self, port):
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def call(self) -> tuple[str, float]:
        """The outcome the answer names ("connect", "apology", ...) and the seconds it took."""
        n = next(EVENTS)
        body = json.dumps(call_action(A, VN, eventId=f"pgb-e-{n}", sessionId=f"pgb-s-{n}"))
        started = time.monotonic()
        self.http.request(
            "POST",
            "/callflows/8x8/call-action/",
            body=body,
            headers={"Authorization": AUTH, "Content-Type": "application/json"},
        )
        response = self.http.getresponse()
        answer = json.loads(response.read())
        assert response.status == 200
        return tag_outcome(answer["clientActionId"]), time.monotonic() - started


def calls(port, total, *, concurrency=CONCURRENCY):
    """`total` Call Actions at `concurrency`: [(outcome, seconds)]."""

    def caller(share):
        one = Caller(port)
        return [one.call() for _ in range(share)]

    shares = [total // concurrency + (i < total % concurrency) for i in range(concurrency)]
    with ThreadPoolExecutor(concurrency) as pool:
        return [result for batch in pool.map(caller, shares) for result in batch]


def test_the_test_run_itself_goes_through_a_transaction_pooler(db):
    with connection.cursor() as cursor:
        # PgBouncer's own server_version is PostgreSQL's; its port is not.
        assert (
            str(connection.settings_dict["PORT"]) != os.environ["PGBOUNCER_UPSTREAM"].split(":")[1]
        )
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "300ms"  # set per transaction, not as a startup option


def test_2000_call_actions_at_c8_through_pgbouncer_get_no_apology(served, paired):
    """Startup options (`FATAL: unsupported startup parameter: options`) and prepared statements
    (`prepared statement "_pg3_0" already exists`) each turned calls into apologies here."""
    results = calls(served, 2000)
    outcomes = [outcome for outcome, _ in results]
    assert outcomes.count("connect") == 2000, {o: outcomes.count(o) for o in set(outcomes)}


def test_a_locked_table_leaves_no_more_waiting_backends_than_concurrent_calls(served, paired):
    """The server's timeouts reach PostgreSQL through the pooler: backends behind a lock give up
    with their callers, instead of piling up one per abandoned call."""
    assert calls(served, CONCURRENCY)[0][0] == "connect"  # warm: connections opened
    waiting, stop = [], threading.Event()
    with direct_connection() as watcher, direct_connection() as locker:

        def watch():
            while not stop.is_set():
                (n,) = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> %s",
                    [locker.info.backend_pid],
                ).fetchone()
                waiting.append(n)
                time.sleep(0.05)

        watching = threading.Thread(target=watch)
        with locker.transaction():
            locker.execute("LOCK TABLE masking_virtualnumber IN ACCESS EXCLUSIVE MODE")
            watching.start()
            deadline = time.monotonic() + 3
            during = []
            while time.monotonic() < deadline:
                during += calls(served, CONCURRENCY * 2)
        stop.set()
        watching.join()
    assert {outcome for outcome, _ in during} == {"apology"}
    assert max(seconds for _, seconds in during) < 2.0  # README, "Never fail a caller"
    assert max(waiting) <= CONCURRENCY, waiting
    # The lock gone, calls connect again.
    assert {outcome for outcome, _ in calls(served, CONCURRENCY * 4)} == {"connect"}
