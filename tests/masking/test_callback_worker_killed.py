"""A real worker process (`manage.py db_worker`) killed with SIGKILL while the receiver holds its
POST: the callback is delivered again, with the same webhook-id, once its lease has run out.

PostgreSQL only: the worker is another process, so it needs a database it can share with the
test (SQLite's test database lives in this process's memory).
"""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django_tasks_db.models import DBTaskResult
from werkzeug import Response

from masking.models import Callback
from masking.services.callbacks import callbacks_requeue
from tests.callback_receiver import PATH, SECRET, elapse, run_worker
from tests.factories import VirtualNumberFactory, open_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs a database another process shares; `make test` runs it on PostgreSQL",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def flush_without_the_web_statement_timeout(transactional_db):
    yield
    # pytest-django empties the tables with one TRUNCATE under the web's 300 ms statement timeout,
    # which a busy machine exceeds (tests/hardening/test_faults.py has the same fixture).
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")


def database_url() -> str:
    s = connection.settings_dict
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{host}:{port}/{s['NAME']}"


def test_worker_killed_mid_delivery_delivers_again_with_the_same_webhook_id(receiver, httpserver):
    arrived, release, first_ids = threading.Event(), threading.Event(), []

    def hold(request):
        first_ids.append(request.headers["webhook-id"])
        arrived.set()
        release.wait(20)
        return Response(status=204)

    httpserver.clear()
    httpserver.expect_request(PATH, method="POST").respond_with_handler(hold)
    open_session(virtual_number=VirtualNumberFactory(), reference="booking-kill")
    callback = Callback.objects.get()

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "MASKING_CALLBACK_URL": receiver.url,
            "MASKING_CALLBACK_SECRET": SECRET,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert arrived.wait(30), "the worker never delivered"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        release.set()

    callback.refresh_from_db()
    assert callback.status == "delivering"  # held by the dead worker
    assert DBTaskResult.objects.get().status == "RUNNING"  # and the queue thinks it still runs
    assert callbacks_requeue() == 0  # not before the lease runs out
    elapse(django_settings.MASKING_CALLBACK_LEASE_SECONDS + 1)
    assert callbacks_requeue() == 1

    httpserver.clear()
    receiver.answer()
    run_worker()
    [again] = receiver.deliveries()
    assert first_ids == [again.webhook_id] == [callback.webhook_id]
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == ("delivered", 2)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"FAILED", "SUCCESSFUL"}
