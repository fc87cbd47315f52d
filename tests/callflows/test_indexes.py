"""The call tables keep exactly the indexes a query plan uses, and the plans use them.

Every index on `callflows_call` and `callflows_callaction` is paid for by each Call Action's
insert (the caller hears silence meanwhile), so the set is pinned here: an index added later, a
field's `db_index=True` or Django's `_like` copy of a text key coming back, fails the first test
and has to be a deliberate change. Which query each index serves is in KEPT; the plan tests read
the plans with sequential scans priced out (`enable_seqscan = off`), so the named index appearing
proves the planner can use it, on a table the size of a test's.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from callflows.admin.reports import report_for
from callflows.models import Call
from tests.factories import PoolFactory, VirtualNumberFactory, open_session

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="indexes and plans are PostgreSQL's; `make test` runs this in its PostgreSQL pass",
    ),
]

CREATED = "callflows_call_created_at_fd19b775"
NUMBER_CREATED = "callflows_call_number_created"
POOL_CREATED = "callflows_call_pool_created"
SESSION = "callflows_call_masking_session_id_b25f3d3f"
KEPT = {
    "callflows_call": {
        "callflows_call_pkey": "a call's page, retention's batches, the summary's update",
        "callflows_call_provider_session_id_key": "the upsert's ON CONFLICT, the keypad's read, "
        "the target of callflows_callaction's foreign key",
        CREATED: "the call log's order and dates, the API, analysts' periods (`between`)",
        NUMBER_CREATED: "a number's calls: the call log's number filter, analysts' per number",
        POOL_CREATED: "a pool's calls: the call log and API of staff and users given pools",
        SESSION: "a session's calls (its page, the API); SET NULL when a session is deleted",
        "callflows_call_created_feed": "the API's feed of new calls (`after=`): keyset pages",
        "callflows_call_change_feed": "the API's feed of changed calls (`updated_after=`)",
        "callflows_call_caller_created": "the call log's search by a caller's whole number",
        "callflows_call_recording": "the call log's search by recording id (recorded calls only: "
        "the Call Action's insert, its recording id empty, adds nothing to it)",
    },
    "callflows_callaction": {
        "callflows_callaction_pkey": "the primary key",
        "callflows_callaction_unique_event": "the insert's ON CONFLICT, a redelivery's answer",
        "callflows_callaction_call": "a call's actions (its page), retention's anonymising",
    },
}


def indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


@pytest.mark.parametrize("table", KEPT)
def test_the_call_tables_keep_exactly_the_indexes_queries_use(table):
    found = indexes(table)
    assert set(found) == set(KEPT[table]), found
    assert not [d for d in found.values() if "pattern_ops" in d], "a `_like` copy is back"


@pytest.fixture
def calls(db):
    """3,000 calls over 90 days on 100 numbers, a tenth of them a session's, analysed."""
    session = open_session(virtual_number=VirtualNumberFactory(number="+6531500100"))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO callflows_call (
                provider_session_id, action_event_id, virtual_number, caller, masking_session_id,
                outcome, recorded, keypad_tries, status, last_action, error_message, recording_id,
                recording_path, answered_at, created_at, callee_seconds
            )
            SELECT 'plan-' || g, 'plan-event-' || g, '+65315001' || lpad((g %% 100)::text, 2, '0'),
                '+6591230001', CASE WHEN g %% 10 = 0 THEN %s END, 'connect', false, 0,
                'COMPLETED', '', '', '', '', t, t, 60
            FROM (SELECT g, now() - g * interval '43 minutes' AS t
                  FROM generate_series(1, 3000) AS g) AS calls
            """,
            [session.pk],
        )
        cursor.execute("ANALYZE callflows_call")
    return session


def plans(queries) -> list[str]:
    """The plans of the captured statements that read callflows_call, seq scans priced out."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries:
            sql = query["sql"]
            if sql.startswith("SELECT") and "callflows_call" in sql:
                cursor.execute(f"EXPLAIN {sql}")
                found.append("\n".join(row[0] for row in cursor.fetchall()))
    return found


def test_reports_never_read_the_calls(calls, admin_client):
    """Issue 28: the reports and the dashboard read the roll-up (callflows/call_days.py), so no
    index on the calls serves them and their time does not grow with the calls."""
    today = timezone.localdate()
    with CaptureQueriesContext(connection) as captured:
        report = report_for(today - timedelta(days=29), today)
        assert report["totals"]["calls"] > 0
        assert admin_client.get("/admin/reports/", {"format": "csv"}).status_code == 200
        assert admin_client.get("/admin/").status_code == 200
    touching = [q["sql"] for q in captured if '"callflows_call"' in q["sql"]]
    assert touching == []


def test_a_numbers_report_reads_its_calls_by_number_and_time(calls):
    today = timezone.localdate()
    period = Call.objects.between(today - timedelta(days=29), today)
    with CaptureQueriesContext(connection) as captured:
        period.filter(virtual_number="+6531500101").per_day()
    [plan] = plans(captured)
    assert NUMBER_CREATED in plan, plan


def test_the_call_log_pages_newest_first_by_created_at(calls, admin_client):
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get("/admin/callflows/call/").status_code == 200
    page = [q for q in captured if 'ORDER BY "callflows_call"."created_at" DESC' in q["sql"]]
    [plan] = plans(page)
    assert f"Index Scan Backward using {CREATED}" in plan, plan


def test_the_call_log_of_a_number_pages_by_number_and_time(calls, admin_client):
    number = VirtualNumberFactory(number="+6531500101")
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(f"/admin/callflows/call/?number={number.pk}")
        assert response.status_code == 200
    page = [q for q in captured if 'ORDER BY "callflows_call"."created_at" DESC' in q["sql"]]
    [plan] = plans(page)
    assert NUMBER_CREATED in plan, plan  # an index or bitmap scan, by the number of calls


def test_the_call_log_of_staff_given_a_pool_pages_by_pool_and_time(calls, client):
    """A call belongs to the pool that answered it (`Call.pool`): staff given pools read their
    pools' calls through one index, whatever else the table holds."""
    pool = PoolFactory(name="Indonesia")
    Call.objects.filter(id__in=Call.objects.order_by("id").values("id")[:300]).update(pool=pool)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE callflows_call")
    member = User.objects.create_user("indonesia-staff", is_staff=True)
    member.user_permissions.add(Permission.objects.get(codename="view_call"))
    pool.users.add(member)
    client.force_login(member)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/admin/callflows/call/")
        assert response.status_code == 200
    assert response.context["cl"].result_count == 300
    page = [q for q in captured if 'ORDER BY "callflows_call"."created_at" DESC' in q["sql"]]
    [plan] = plans(page)
    assert POOL_CREATED in plan, plan


def test_a_sessions_calls_are_read_by_its_index(calls):
    with CaptureQueriesContext(connection) as captured:
        list(Call.objects.filter(masking_session=calls).order_by("-created_at")[:50])
    [plan] = plans(captured)
    assert SESSION in plan, plan


@pytest.mark.parametrize(
    "term, index",
    [
        ("+65 9123 9999", "callflows_call_caller_created"),
        ("rec-77", "callflows_call_recording"),
        ("plan-42", "callflows_call_provider_session_id_key"),
    ],
    ids=str,
)
def test_the_call_logs_search_reads_an_index(calls, admin_client, term, index):
    """Issue 28: a search of the call log read every call (27 s at ten million). Each thing it
    matches is an index's: the caller's number whole, a recording id, 8x8's session id."""
    Call.objects.filter(provider_session_id="plan-7").update(
        recording_id="rec-77", caller="+6591239999"
    )
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/admin/callflows/call/", {"q": term})
        assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    page = [q for q in captured if 'ORDER BY "callflows_call"."created_at" DESC' in q["sql"]]
    [plan] = plans(page)
    assert index in plan, plan
    assert "Seq Scan on callflows_call" not in plan, plan
