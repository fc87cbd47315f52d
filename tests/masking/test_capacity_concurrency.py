"""A number's capacity holds under concurrent openings: the database enforces it, not Python.

PostgreSQL only (SQLite serialises writers, so it cannot show a race); run in the PostgreSQL pass.
"""

import threading
from collections import Counter

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from masking.models import MaskingSession, VirtualNumber
from masking.services.sessions import session_open
from tests.factories import VirtualNumberFactory, open_session, participant_number

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL; `make test` runs this in its PostgreSQL pass",
    ),
]
CAPACITY = 5


def run_at_once(work, count: int) -> list:
    """Run `work(i)` in `count` threads released together, each on its own connection."""
    start, results, lock = threading.Barrier(count), [], threading.Lock()

    def run(i):
        start.wait()
        try:
            outcome = work(i)
        except Exception as exc:  # a crash in a thread must fail the test, not vanish
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def open_rows(number: VirtualNumber) -> int:
    return MaskingSession.objects.open().filter(virtual_number=number).count()


@pytest.mark.parametrize("trial", range(10))
def test_two_openings_at_the_last_place_never_both_pass(settings, trial):
    settings.MASKING_NUMBER_CAPACITY = CAPACITY
    number = VirtualNumberFactory()
    for _ in range(CAPACITY - 1):
        open_session(virtual_number=number)
    number.refresh_from_db()  # both requests see 4 of 5, as two app servers would

    pairs = [(participant_number(), participant_number()) for _ in range(2)]
    results = run_at_once(
        lambda i: session_open(
            virtual_number=number, participant_a=pairs[i][0], participant_b=pairs[i][1]
        ),
        2,
    )
    outcomes = Counter(type(r).__name__ for r in results)
    assert outcomes == {"MaskingSession": 1, "ValidationError": 1}, results
    refused = next(r for r in results if isinstance(r, ValidationError))
    assert "is full" in " ".join(refused.message_dict["virtual_number"])
    number.refresh_from_db()
    assert number.open_sessions == open_rows(number) == CAPACITY


def test_fifty_concurrent_allocations_never_fill_a_number_past_its_capacity(
    settings, django_user_model
):
    settings.MASKING_NUMBER_CAPACITY = CAPACITY
    pool = [VirtualNumberFactory(number=f"+653150020{i}") for i in range(2)]
    user = django_user_model.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    pairs = [(f"+659123{i:04d}", f"+659124{i:04d}") for i in range(50)]

    def create(i):
        client = APIClient()
        client.force_authenticate(user)
        a, b = pairs[i]
        response = client.post(
            "/api/sessions/", {"participant_a": a, "participant_b": b}, format="json"
        )
        return response.status_code, response.json()

    results = run_at_once(create, 50)
    statuses = Counter(code for code, _ in results)
    assert statuses == {201: 2 * CAPACITY, 409: 50 - 2 * CAPACITY}, results
    assert all(body["error"] == "pool_exhausted" for code, body in results if code == 409)
    for number in pool:
        number.refresh_from_db()
        assert number.open_sessions == open_rows(number) == CAPACITY
