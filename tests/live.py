"""A live gunicorn serving the test database, and many clients hitting it at once.

For concurrency tests that must go through what production runs (gunicorn.conf.py, its threaded
workers, one PostgreSQL connection per thread), not through Django's test client. PostgreSQL
only: the server runs in its own process and shares the test database.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
PROVIDER_AUTH = "Bearer live-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def live_gunicorn(*, workers: int = 2, threads: int = 4, env: dict | None = None):
    """Serve the project on a free loopback port with `workers` x `threads` request threads;
    yields the port."""
    port = free_port()
    s = connection.settings_dict
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "masking.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:"
            f"{s['PORT'] or 5432}/{s['NAME']}",
            "WEBHOOK_AUTH_HEADER": PROVIDER_AUTH,
            "SECRET_KEY": "live-test-" + "x" * 50,
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESS_LOG": "",
            **(env or {}),
        },
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(20)


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
