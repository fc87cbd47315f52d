"""Reports and the dashboard per pool (issues 28 and 31): a staff member given pools reads their
pools' calls only, page and CSV; a staff member who may see several chooses one or all; each
pool's days are its own time zone's."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import User

from callflows.decision import Decision, Outcome
from callflows.records import call_record_answer
from callflows.rollup import ensure_rollup
from masking.dashboard import figures
from masking.models import Pool
from tests.factories import PoolFactory, VirtualNumberFactory

pytestmark = pytest.mark.django_db
MY, ID = "+60312345678", "+622150001234"
# 16:30 UTC on 2 Nov: 3 Nov in Kuala Lumpur (UTC+8), still 2 Nov in Jakarta (UTC+7).
NEAR_MIDNIGHT = datetime(2026, 11, 2, 16, 30, tzinfo=UTC)
PERIOD = {"start": "2026-11-01", "end": "2026-11-05"}


def call(n, number, at=NEAR_MIDNIGHT):
    call_record_answer(
        provider_session_id=f"c{n}",
        event_id=f"e{n}",
        virtual_number=number,
        caller="+6598761201",
        decision=Decision(outcome=Outcome.CONNECT),
        answer_json="{}",
        now=at,
    )


@pytest.fixture
def two_pools(settings):
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    malaysia = PoolFactory(name="Malaysia", operations_time_zone="Asia/Kuala_Lumpur")
    indonesia = PoolFactory(name="Indonesia", operations_time_zone="Asia/Jakarta")
    VirtualNumberFactory(number=MY, pool=malaysia)
    VirtualNumberFactory(number=ID, pool=indonesia)
    call(1, MY)
    for n in range(2, 5):
        call(n, ID)
    return malaysia, indonesia


def staff_of(client, *pools):
    user = User.objects.create_superuser(f"staff-{len(pools)}", password="pw")
    for pool in pools:
        pool.users.add(user)
    client.force_login(user)
    return client


def per_day(page) -> list[tuple[date, int]]:
    return [(row["day"], row["calls"]) for row in page.context["report"]["per_day"]]


def csv_totals(response) -> list[str]:
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    return rows[rows.index(["Totals"]) + 2]


def test_a_pools_staff_reads_its_pools_calls_only_page_and_csv(client, two_pools):
    malaysia, indonesia = two_pools
    staff = staff_of(client, malaysia)
    page = staff.get("/admin/reports/", PERIOD)
    assert page.context["report"]["totals"]["calls"] == 1
    assert per_day(page) == [(date(2026, 11, 3), 1)]  # Kuala Lumpur's day
    assert MY in page.content.decode() and ID not in page.content.decode()
    assert csv_totals(staff.get("/admin/reports/", {**PERIOD, "format": "csv"}))[0] == "1"
    # Another pool cannot be chosen: the form refuses it, and nothing is shown.
    refused = staff.get("/admin/reports/", {**PERIOD, "pool": indonesia.pk})
    assert refused.context["report"] is None
    assert "pool" in refused.context["form"].errors


@pytest.mark.parametrize(
    ("chosen", "calls", "days"),
    [
        ("Indonesia", 3, [(date(2026, 11, 2), 3)]),
        ("Malaysia", 1, [(date(2026, 11, 3), 1)]),
        ("", 4, [(date(2026, 11, 2), 3), (date(2026, 11, 3), 1)]),  # each pool in its own days
    ],
)
def test_staff_of_several_pools_choose_one_or_all(client, two_pools, chosen, calls, days):
    staff = staff_of(client, *two_pools)
    pool = Pool.objects.get(name=chosen).pk if chosen else ""
    page = staff.get("/admin/reports/", {**PERIOD, "pool": pool})
    assert page.context["report"]["totals"]["calls"] == calls
    assert per_day(page) == days
    export = staff.get("/admin/reports/", {**PERIOD, "pool": pool, "format": "csv"})
    assert csv_totals(export)[0] == str(calls)


@pytest.mark.parametrize(
    ("now", "today"),
    [
        # 23:45 in Jakarta: its three calls are today's; 00:45 in Kuala Lumpur: its one too.
        (datetime(2026, 11, 2, 16, 45, tzinfo=UTC), 4),
        # 00:30 in Jakarta: its calls were yesterday; Kuala Lumpur's one is still today's.
        (datetime(2026, 11, 2, 17, 30, tzinfo=UTC), 1),
        (datetime(2026, 11, 3, 17, 30, tzinfo=UTC), 0),
    ],
)
def test_the_dashboards_calls_today_are_each_pools_today(two_pools, now, today):
    dashboard = figures(now)
    assert dashboard["calls_today_total"] == today
    assert "2026-11-02: 3 calls" in dashboard["chart"]
    assert "2026-11-03: 1 calls" in dashboard["chart"]


def test_the_dashboard_of_a_pools_staff_counts_its_calls_only(client, two_pools):
    malaysia, _ = two_pools
    staff_of(client, malaysia)
    user = User.objects.get(username="staff-1")
    dashboard = figures(datetime(2026, 11, 2, 16, 45, tzinfo=UTC), user=user)
    assert dashboard["calls_today_total"] == 1
    assert "2026-11-02: 0 calls" in dashboard["chart"]


def test_a_pools_new_time_zone_in_the_admin_moves_its_report_days(admin_client, two_pools):
    malaysia, _ = two_pools
    changed = admin_client.post(
        f"/admin/masking/pool/{malaysia.pk}/change/",
        {"name": "Malaysia", "subaccount_id": malaysia.subaccount_id, "api_key_variable": "",
         "operations_time_zone": "Asia/Jakarta"},
    )  # fmt: skip
    assert changed.status_code == 302
    page = admin_client.get("/admin/reports/", {**PERIOD, "pool": malaysia.pk})
    assert per_day(page) == [(date(2026, 11, 2), 1)]  # Jakarta's day now, no longer 3 Nov
