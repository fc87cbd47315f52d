"""The task worker (`manage.py db_worker`) outlives a database restart: its connection killed and
new connections refused for a while, it waits and tries again, then delivers the next callback
without anyone restarting it. (It used to exit on the first OperationalError, leaving callbacks
pending until someone noticed.)

PostgreSQL only: the worker is another process, sharing the test's database.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from masking.models import Callback
from tests.callback_receiver import SECRET
from tests.factories import VirtualNumberFactory, open_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs a database another process shares; `make test` runs it on PostgreSQL",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


def admin_connection():
    """A connection to PostgreSQL itself (not through a pooler), as an operator's would be."""
    s = connection.settings_dict
    host, port = os.environ.get(
        "PGBOUNCER_UPSTREAM", f"{s['HOST'] or '127.0.0.1'}:{s['PORT']}"
    ).split(":")
    return psycopg.connect(
        host=host, port=port or 5432, user=s["USER"], dbname="postgres", autocommit=True
    )


def test_the_worker_delivers_after_its_database_went_away_and_came_back(receiver, tmp_path):
    s = connection.settings_dict
    name = f"masking-worker-{uuid.uuid4().hex[:8]}"
    url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"{url}?application_name={name}",
            "MASKING_CALLBACK_URL": receiver.url,
            "MASKING_CALLBACK_SECRET": SECRET,
            "MASKING_WORKER_MAX_BACKOFF_SECONDS": "1",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with admin_connection() as admin:

            def worker_backends():
                return admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name]
                ).fetchall()

            deadline = time.monotonic() + 30
            while not worker_backends():
                assert time.monotonic() < deadline and worker.poll() is None, "worker never came up"
                time.sleep(0.1)
            # The "restart": connections to its database refused, its connection killed, for 3 s.
            admin.execute(f'ALTER DATABASE "{s["NAME"]}" ALLOW_CONNECTIONS false')
            try:
                until = time.monotonic() + 3
                while time.monotonic() < until:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = %s",
                        [name],
                    )
                    time.sleep(0.1)
            finally:
                admin.execute(f'ALTER DATABASE "{s["NAME"]}" ALLOW_CONNECTIONS true')
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]

        open_session(virtual_number=VirtualNumberFactory(), reference="after-the-restart")
        deadline = time.monotonic() + 30
        while Callback.objects.filter(status="delivered").count() < 1:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.2)
        [delivery] = receiver.deliveries()
        assert delivery.payload["data"]["session"]["reference"] == "after-the-restart"
        assert worker.poll() is None  # the same worker, never restarted
    finally:
        worker.terminate()
        worker.wait(20)
        log.close()
