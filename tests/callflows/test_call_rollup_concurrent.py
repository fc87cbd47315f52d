"""The call roll-up under concurrent writers: Call Actions and 8x8's summaries of calls on one
number and day, in both orders, at the same moment on several connections. No writer fails
(the triggers lock rows in one order: no deadlock) and the roll-up is the raw aggregate.

PostgreSQL only: SQLite serialises writers, so it cannot show the race.
"""

import threading

import pytest
from django.db import connection

from callflows.models import Call, CallDay, CallNumberDay
from tests.callflows.test_call_rollup import MORNING, SG_NUMBER, action, summary
from tests.factories import VirtualNumberFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL; `make test` runs this in its PostgreSQL pass",
    ),
]

WRITERS = 8
ROUNDS = 6


def write(n: int, round_: int) -> None:
    call = f"race-{round_}-{n}"
    if n % 2:
        action(call, SG_NUMBER, MORNING)
        summary(call, talk=n)
    else:  # the summary first: the call moves from no pool and no number to its keys
        summary(call, talk=n)
        action(call, SG_NUMBER, MORNING)


def all_at_once(write, *, writers: int, rounds: int) -> list[str]:
    """`write(n, round_)` on `writers` connections released together, `rounds` times; the
    errors raised (a deadlock is an OperationalError)."""
    failures = []
    for round_ in range(rounds):
        start = threading.Barrier(writers)

        def writer(n, round_=round_, start=start):
            start.wait()
            try:
                write(n, round_)
            except Exception as exc:
                failures.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return failures


def test_concurrent_call_writes_never_deadlock_and_stay_exact():
    VirtualNumberFactory(number=SG_NUMBER)
    assert all_at_once(write, writers=WRITERS, rounds=ROUNDS) == []
    calls = Call.objects.all()
    assert CallDay.objects.totals() == calls.totals()
    assert sorted(CallDay.objects.by_status(), key=str) == sorted(calls.by_status(), key=str)
    assert CallNumberDay.objects.by_virtual_number() == calls.by_virtual_number()
    assert calls.count() == WRITERS * ROUNDS
