"""Allocation under concurrent requests, on PostgreSQL with real connections.

SQLite serialises writers, so it cannot show a race; this runs in the PostgreSQL pass of the suite.
"""

import random
import threading
from collections import Counter

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Count
from rest_framework.test import APIClient

from masking.models import MaskingSession, Participant

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL; `make test` runs this in its PostgreSQL pass",
    ),
]

REQUESTS = 60
PEOPLE = [f"+659123{n:04d}" for n in range(8)]


def test_concurrent_creations_never_cross_and_overflow_gets_409(django_user_model, sg_pool):
    user = django_user_model.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    rng = random.Random(7)
    pairs = [tuple(rng.sample(PEOPLE, 2)) for _ in range(REQUESTS)]
    start = threading.Barrier(REQUESTS)
    results: list[tuple[tuple, int, dict]] = []
    lock = threading.Lock()

    def create(a, b):
        client = APIClient()
        client.force_authenticate(user)
        start.wait()  # all at once, each on its own database connection
        try:
            response = client.post(
                "/api/sessions/", {"participant_a": a, "participant_b": b}, format="json"
            )
            with lock:
                results.append(((a, b), response.status_code, response.json()))
        except Exception as exc:  # a crash in a thread must fail the test, not vanish
            with lock:
                results.append(((a, b), 500, {"error": repr(exc)}))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = Counter(code for _, code, _ in results)
    assert len(results) == REQUESTS
    assert set(statuses) == {201, 409}, [
        body for _, code, body in results if code not in (201, 409)
    ]
    assert all(body["error"] == "pool_exhausted" for _, code, body in results if code == 409)

    # Every created session is whole and open, and the database holds exactly those.
    created = {body["id"] for _, code, body in results if code == 201}
    assert set(MaskingSession.objects.open().values_list("pk", flat=True)) == created
    assert MaskingSession.objects.count() == len(created)
    sizes = MaskingSession.objects.annotate(n=Count("participants")).values_list("n", flat=True)
    assert set(sizes) == {2}

    # No routing key is held twice.
    held = list(
        Participant.objects.filter(holds_routing_key=True).values_list("virtual_number", "number")
    )
    assert len(held) == len(set(held)) == 2 * len(created)

    # Each 409 was real: sessions were only added, so a number free for that pair at the end
    # would have been free when it was refused.
    holders = {(vn, str(number)) for vn, number in held}
    for (a, b), code, _ in results:
        if code == 409:
            assert all((n.pk, a) in holders or (n.pk, b) in holders for n in sg_pool), (a, b)


def test_an_opening_queued_behind_a_lock_waits_up_to_5_s_as_readme_says(django_user_model, sg_pool):
    """Allocation reads queue behind the same locks as the writes: they get the writes' 5 s, not
    the web's 300 ms (which used to answer 503 after 0.3 s)."""
    import psycopg

    user = django_user_model.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    client = APIClient()
    client.force_authenticate(user)
    s = connection.settings_dict
    held = threading.Event()

    def hold_the_pool_for_a_second():
        with psycopg.connect(
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"]
        ) as other:
            other.execute("LOCK TABLE masking_virtualnumber IN ACCESS EXCLUSIVE MODE")
            held.set()
            threading.Event().wait(1.0)
            other.rollback()

    holder = threading.Thread(target=hold_the_pool_for_a_second)
    holder.start()
    assert held.wait(5)
    response = client.post(
        "/api/sessions/", {"participant_a": PEOPLE[0], "participant_b": PEOPLE[1]}, format="json"
    )
    holder.join()
    assert response.status_code == 201, response.json()
