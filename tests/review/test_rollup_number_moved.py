"""Review (issues 28 and 31): a number moved to another pool in the admin. The reports read the
roll-up, which the triggers key by the dialled number's pool *at each write*; a call written
before the move and changed after it (8x8's late summary, retention deleting it) must still leave
each pool's report equal to its calls. Run on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest

from callflows.decision import Decision, Outcome
from callflows.models import Call
from callflows.records import call_record_answer, summary_ingest
from callflows.rollup import ensure_rollup
from tests.factories import PoolFactory, VirtualNumberFactory

pytestmark = pytest.mark.django_db
NUMBER = "+6531500101"
AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
PERIOD = {"start": "2026-11-01", "end": "2026-11-05"}


def late_summary():
    summary_ingest(
        payload={
            "sessionId": "c1",
            "sessionStatus": "COMPLETED",
            "legs": {"callb": {"callDuration": 60}},
        },
        raw={},
    )


def retention_deletes():
    Call.objects.filter(provider_session_id="c1").delete()


def move(admin_client, number, pool):
    response = admin_client.post(
        f"/admin/masking/virtualnumber/{number.pk}/change/",
        {
            "number": NUMBER,
            "label": "x",
            "status": "active",
            "pool": pool.pk,
            **{
                f"provider_events-{k}": "0"
                for k in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
            },
        },
    )
    assert response.status_code == 302
    number.refresh_from_db()
    assert number.pool == pool


def report(admin_client, pool) -> dict:
    page = admin_client.get("/admin/reports/", {**PERIOD, "pool": pool.pk})
    data = page.context["report"]
    return {
        "calls": data["totals"]["calls"],
        "per_day": [(row["day"], row["calls"]) for row in data["per_day"]],
    }


@pytest.mark.parametrize(
    ("after_the_move", "calls_of_the_new_pool"),
    [(late_summary, 1), (retention_deletes, 0)],
)
def test_a_call_changed_after_its_number_moved_counts_once_in_the_pool_holding_it(
    admin_client, settings, after_the_move, calls_of_the_new_pool
):
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    singapore, malaysia = PoolFactory(name="Singapore"), PoolFactory(name="Malaysia")
    number = VirtualNumberFactory(number=NUMBER, pool=singapore)
    call_record_answer(
        provider_session_id="c1",
        event_id="e1",
        virtual_number=NUMBER,
        caller="+6598761201",
        decision=Decision(outcome=Outcome.CONNECT),
        answer_json="{}",
        now=AT,
    )
    move(admin_client, number, malaysia)
    after_the_move()
    # The reports count a call where its number is (as the raw calls and a rebuild do).
    assert report(admin_client, singapore)["calls"] == 0
    moved = report(admin_client, malaysia)
    assert moved["calls"] == calls_of_the_new_pool
    assert all(calls >= 0 for _, calls in moved["per_day"])


@pytest.mark.xfail(
    strict=True,
    reason="review: the roll-up keys a call by its number's pool at each write; a call recorded "
    "before its number was added (no pool's then) and changed or deleted after is subtracted "
    "from a pool that never counted it. Needs the key kept with the call, or a rebuild of the "
    "no-pool rows on each number added (a scan of every call to no pool's number).",
)
@pytest.mark.parametrize("after_the_number_is_added", [late_summary, retention_deletes])
def test_a_call_recorded_before_its_number_was_added_never_counts_below_zero(
    admin_client, settings, after_the_number_is_added
):
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    singapore = PoolFactory(name="Singapore")
    call_record_answer(
        provider_session_id="c1",
        event_id="e1",
        virtual_number=NUMBER,
        caller="+6598761201",
        decision=Decision(outcome=Outcome.NO_SESSION),
        answer_json="{}",
        now=AT,
    )
    VirtualNumberFactory(number=NUMBER, pool=singapore)
    after_the_number_is_added()
    figures = report(admin_client, singapore)
    assert figures["calls"] >= 0
    assert all(calls >= 0 for _, calls in figures["per_day"])
    assert figures["calls"] == Call.objects.count()  # the raw calls: the number is Singapore's
