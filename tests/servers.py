"""A gunicorn from the shipped configuration (gunicorn.conf.py), serving the test database over a
real socket, for the tests that need production's process model (PgBouncer, health, metrics)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
AUTH = "Bearer gunicorn-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database this test run uses (through PgBouncer in the pooled leg)."""
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextmanager
def gunicorn(**options):
    """A running gunicorn (see `gunicorn_process`); yields its port."""
    with gunicorn_process(**options) as (port, _pid):
        yield port


@contextmanager
def gunicorn_process(*, workers: int = 1, env: dict | None = None, args: list[str] = ()):
    """A running gunicorn; yields its port and its master's process id. Its environment: this
    process's, the test database, then `env`."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "WEBHOOK_AUTH_HEADER": AUTH,
        "SECRET_KEY": "gunicorn-test-" + "x" * 50,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
        "CONN_MAX_AGE": "600",
        **(env or {}),
    }
    environment.pop("MASKING_MANAGEMENT_COMMAND", None)
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
            *args,
        ],
        cwd=ROOT,
        env=environment,
    )
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("gunicorn exited") from None
                time.sleep(0.1)
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(20)


def post_json(port: int, path: str, body, *, headers: dict | None = None, timeout: float = 10):
    """POST `body` as JSON; (status, the answer decoded)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": AUTH, **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())
