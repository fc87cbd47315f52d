"""Review 2: many concurrent writers on one number and one pool, every path that writes a call
(8x8's status event first, the Call Action, a keypad follow-up, the summary, in two orders),
across two pools' zones and with no pool's calls beside them. None fails (no deadlock) and the
roll-up is what summing it again from the calls gives, each call in the pool that answered it.

PostgreSQL only: SQLite serialises writers.
"""

import pytest
from django.db import connection

from callflows.decision import Outcome
from callflows.models import Call
from tests.callflows.test_call_rollup import (
    MORNING,
    NOBODYS,
    SG_NUMBER,
    action,
    status_event,
    summary,
)
from tests.callflows.test_call_rollup_concurrent import all_at_once
from tests.factories import PoolFactory, VirtualNumberFactory
from tests.review.test_rollup_number_moved import rolled_up_equals_the_calls

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL"),
]
WRITERS = 8
ROUNDS = 5


def write(n: int, round_: int) -> None:
    call = f"r2-{round_}-{n}"
    number = NOBODYS if n == 7 else SG_NUMBER
    if n % 2:
        status_event(call, f"s-{call}")
        action(call, number, MORNING, outcome=Outcome.ASK_PIN)
        action(call, number, MORNING, outcome=Outcome.CONNECT, event=f"f-{call}")
        summary(call, talk=n)
    else:
        summary(call, talk=n)
        action(call, number, MORNING, outcome=Outcome.ASK_PIN)
        status_event(call, f"s-{call}")
        action(call, number, MORNING, outcome=Outcome.CONNECT, event=f"f-{call}")


def test_concurrent_writers_of_every_path_never_deadlock_and_stay_exact(settings):
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    singapore = PoolFactory(name="Singapore", operations_time_zone="Asia/Singapore")
    VirtualNumberFactory(number=SG_NUMBER, pool=singapore)
    assert all_at_once(write, writers=WRITERS, rounds=ROUNDS) == []
    assert Call.objects.filter(pool=singapore).count() == (WRITERS - 1) * ROUNDS
    assert Call.objects.filter(pool=None).count() == ROUNDS
    rolled_up_equals_the_calls()
