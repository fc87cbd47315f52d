"""Review (issues 28 and 31): numbers move between pools, join one after their first calls, are
renumbered or deleted. A call belongs to the pool that answered it (`Call.pool`, its number's pool
when first answered): its figures stay in that pool's reports, and each pool's reports stay equal
to its calls, whatever happens to the number and whenever 8x8's late events or retention touch the
call. Before, the roll-up keyed a call by its number's pool *at each write*: a call recorded
before its number joined a pool and changed after was subtracted from a pool that never counted it
(a report showed -1 calls). Run on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest
from django.db.models import Sum

from callflows.decision import Decision, Outcome
from callflows.models import Call, CallDay, CallNumberDay
from callflows.records import call_record_answer, summary_ingest
from callflows.rollup import ensure_rollup, rollup_rebuild
from masking.models import Pool, VirtualNumber
from tests.factories import PoolFactory, VirtualNumberFactory

pytestmark = pytest.mark.django_db
NUMBER = "+6531500101"
AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
PERIOD = {"start": "2026-11-01", "end": "2026-11-05"}


def answered(call="c1", outcome=Outcome.CONNECT):
    call_record_answer(
        provider_session_id=call,
        event_id=f"e-{call}",
        virtual_number=NUMBER,
        caller="+6598761201",
        decision=Decision(outcome=outcome),
        answer_json="{}",
        now=AT,
    )


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


def rolled_up_equals_the_calls():
    """Every pool's figures (and no pool's) are its calls', and none is below zero."""
    for pool in [*Pool.objects.all(), None]:
        calls = Call.objects.filter(pool=pool)
        for rows in (CallDay.objects.filter(pool=pool), CallNumberDay.objects.filter(pool=pool)):
            assert (rows.aggregate(n=Sum("calls"))["n"] or 0) == calls.count(), pool
            assert not rows.filter(calls__lt=0).exists(), pool
    before = sorted(CallDay.objects.exclude(calls=0).values_list("pool", "day", "calls"), key=str)
    rollup_rebuild()  # summed again from the calls: what the triggers kept
    assert (
        sorted(CallDay.objects.exclude(calls=0).values_list("pool", "day", "calls"), key=str)
        == before
    )


@pytest.mark.parametrize(
    ("after_the_move", "calls_of_the_old_pool"),
    [(late_summary, 1), (retention_deletes, 0)],
)
def test_a_call_stays_in_the_pool_that_answered_it_when_its_number_moves(
    admin_client, settings, after_the_move, calls_of_the_old_pool
):
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    singapore, malaysia = PoolFactory(name="Singapore"), PoolFactory(name="Malaysia")
    number = VirtualNumberFactory(number=NUMBER, pool=singapore)
    answered()
    move(admin_client, number, malaysia)
    after_the_move()
    assert report(admin_client, singapore)["calls"] == calls_of_the_old_pool
    moved = report(admin_client, malaysia)
    assert moved["calls"] == 0
    assert all(calls >= 0 for _, calls in moved["per_day"])
    assert list(Call.objects.values_list("pool", flat=True)) == [singapore.pk] * (
        calls_of_the_old_pool
    )
    rolled_up_equals_the_calls()


@pytest.mark.parametrize("after_the_number_is_added", [late_summary, retention_deletes])
def test_a_call_recorded_before_its_number_was_added_never_counts_below_zero(
    admin_client, settings, after_the_number_is_added
):
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    singapore = PoolFactory(name="Singapore")
    answered(outcome=Outcome.NO_SESSION)
    VirtualNumberFactory(number=NUMBER, pool=singapore)
    after_the_number_is_added()
    figures = report(admin_client, singapore)
    assert figures["calls"] == 0  # the call was no pool's when it was answered
    assert all(calls >= 0 for _, calls in figures["per_day"])
    rolled_up_equals_the_calls()


def number_deleted(number, other_pool):
    number.delete()


def number_renumbered(number, other_pool):
    VirtualNumber.objects.filter(pk=number.pk).update(number="+6531500199")


def numbers_moved_in_bulk(number, other_pool):
    VirtualNumber.objects.filter(pk=number.pk).update(pool=other_pool)


def pool_deleted(number, other_pool):
    number.delete()
    Pool.objects.filter(pk=number.pool_id).delete()  # its calls: no pool's


@pytest.mark.parametrize(
    "change", [number_deleted, number_renumbered, numbers_moved_in_bulk, pool_deleted]
)
@pytest.mark.parametrize("then", [late_summary, retention_deletes])
def test_whatever_changes_a_number_each_pools_figures_stay_its_calls(settings, change, then):
    """By any path, not only the admin's form: no figures move, none is lost or doubled."""
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    singapore, malaysia = PoolFactory(name="Singapore"), PoolFactory(name="Malaysia")
    number = VirtualNumberFactory(number=NUMBER, pool=singapore)
    answered()
    answered("c2", outcome=Outcome.NO_SESSION)
    change(number, malaysia)
    then()
    answered("c3")  # a call after the change: the number's pool now, or none
    rolled_up_equals_the_calls()
