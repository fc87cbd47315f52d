"""A backend syncing by cursor while rows are committed concurrently sees every row exactly once.

Several writers insert calls (and events), each holding its transaction open a random while
after taking its id, so commits land out of id order, as under load; a poller follows `after=`
meanwhile, then once more after the last commit. PostgreSQL only: SQLite serializes writers.
"""

import random
import threading
import time

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.models import Q

from callflows.models import Call
from masking.models import Callback
from tests.masking.api.conftest import client_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.serial,  # its tail waits for every other transaction (README, "Tests")
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent writers need PostgreSQL; `make test` runs this in its PostgreSQL pass",
    ),
]

WRITERS, ROWS = 6, 80


def insert_call(n: int) -> int:
    return Call.objects.create(provider_session_id=f"sync-{n}").pk


def insert_event(n: int) -> int:
    callback = Callback.objects.create(
        event_type=Callback.EventType.NUMBER_UNHEALTHY, payload={"n": n}
    )
    return callback.pk


def run(insert, path: str, key: str, django_user_model) -> tuple[list, list]:
    user = django_user_model.objects.create_user("syncer")
    user.user_permissions.set(
        Permission.objects.filter(Q(content_type__app_label="masking") | Q(codename="view_call"))
    )
    backend = client_for(user)
    written: list = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        rng = random.Random(w)
        try:
            for n in range(ROWS):
                with transaction.atomic():
                    pk = insert(w * ROWS + n)
                    time.sleep(rng.random() * 0.01)  # commit later than others took ids
                with lock:
                    written.append(pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    seen, cursor = [], "0"

    def poll() -> None:
        nonlocal cursor
        while True:
            body = backend.get(path, {"after": cursor, "limit": 37}).json()
            seen.extend(row[key] for row in body["results"])
            cursor = body["next_cursor"]
            if body["next"] is None:
                return

    watcher = threading.Thread(target=lambda: [t.join() for t in threads] and None)
    watcher.start()
    while watcher.is_alive():
        poll()
        time.sleep(0.005)
    # After the last commit: a row shows once every transaction older than it has ended, anywhere
    # on the server (other databases' long transactions too), so the tail may come a little later.
    deadline = time.monotonic() + 60
    while True:
        poll()
        if len(seen) >= len(written) or time.monotonic() > deadline:
            return written, seen
        time.sleep(0.05)


def test_a_poller_sees_every_call_once_while_calls_are_written(django_user_model):
    written, seen = run(insert_call, "/api/calls/", "id", django_user_model)
    assert len(written) == WRITERS * ROWS
    assert len(seen) == len(set(seen)), "a call came twice"
    assert sorted(seen) == sorted(written), "a call was missed"


def test_a_poller_sees_every_event_once_while_events_are_written(django_user_model):
    written, seen = run(insert_event, "/api/events/", "id", django_user_model)
    ids = dict(Callback.objects.values_list("pk", "webhook_id"))
    assert len(seen) == len(set(seen)), "an event came twice"
    assert sorted(seen) == sorted(ids[pk] for pk in written), "an event was missed"
