"""A live gunicorn serving the test database, and many clients hitting it at once.

For concurrency tests that must go through what production runs (gunicorn.conf.py, its threaded
workers, one PostgreSQL connection per thread), not through Django's test client. PostgreSQL
only: the server runs in its own process and shares the test database.
"""

import http.client
import json
import threading
from contextlib import contextmanager

from django.db import connection

from tests.servers import gunicorn

PROVIDER_AUTH = "Bearer live-test-secret"


@contextmanager
def live_gunicorn(*, workers: int = 2, threads: int = 4, env: dict | None = None):
    """Serve the project on a free loopback port with `workers` x `threads` request threads;
    yields the port. A connection per request (CONN_MAX_AGE 0), as these tests were written for."""
    with gunicorn(
        workers=workers,
        env={"WEBHOOK_AUTH_HEADER": PROVIDER_AUTH, "CONN_MAX_AGE": "0", **(env or {})},
        args=["--threads", str(threads)],
    ) as port:
        yield port


def request(port: int, method: str, path: str, body=None, *, headers=None) -> tuple[int, dict]:
    """One JSON request on a fresh connection; (status, JSON body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        payload = None if body is None else json.dumps(body).encode()
        conn.request(
            method,
            path,
            body=payload,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        content = response.read()
        return response.status, json.loads(content) if content else {}
    finally:
        conn.close()


def all_at_once(calls: list) -> list:
    """Run each zero-argument callable on its own thread, released together; their results (an
    exception is returned, not raised, so the test sees every outcome)."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        start.wait()
        try:
            results[index] = call()
        except Exception as exc:  # reported in the results
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
