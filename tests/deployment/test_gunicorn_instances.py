"""Two gunicorn instances on one host (two releases during a rolling upgrade, two services) each
keep their own control socket and metrics directory. Every instance used to share
`$HOME/.gunicorn/gunicorn.ctl`, each unlinking the previous one's."""

import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.servers import gunicorn_process

# gunicorn's workers load Django but query nothing here: no database access, no flush.
pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="gunicorn serves the PostgreSQL test database"
)


def runtime_dir(master_pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"masking-gunicorn-{master_pid}"


def test_two_instances_keep_their_own_control_socket_and_metrics():
    with gunicorn_process() as (_, first), gunicorn_process() as (_, second):
        masters = [first, second]
        sockets = [runtime_dir(pid) / "gunicorn.ctl" for pid in masters]
        deadline = time.monotonic() + 10
        while not all(s.exists() for s in sockets):
            assert time.monotonic() < deadline, sockets
            time.sleep(0.1)
        assert sockets[0] != sockets[1]
        assert all((runtime_dir(pid) / "metrics").is_dir() for pid in masters)
    time.sleep(0.5)
    assert not any(runtime_dir(pid).exists() for pid in masters)  # removed at exit
