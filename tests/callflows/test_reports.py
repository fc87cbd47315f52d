"""Reporting QuerySets, the admin's call log and reports page, and retention, on hand-made data."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from callflows.models import Call, CallAction, CallEvent
from masking.models import PinFailure, PinLockout
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
DAY1, DAY2 = datetime(2026, 11, 2, 9, tzinfo=UTC), datetime(2026, 11, 3, 9, tzinfo=UTC)


def make_call(n, when, outcome="connect", status="COMPLETED", talk=60, vn="+6531500101", **kw):
    call = Call.objects.create(
        provider_session_id=f"s{n}",
        outcome=outcome,
        status=status,
        callee_seconds=talk,
        virtual_number=vn,
        caller=f"+65912300{n:02d}",
        **kw,
    )
    Call.objects.filter(pk=call.pk).update(created_at=when)
    return call


@pytest.fixture
def calls():
    make_call(1, DAY1, talk=120)
    make_call(2, DAY1, status="NO_ANSWER", talk=0)
    make_call(3, DAY1, outcome="no_session", talk=None)
    make_call(4, DAY2, talk=30, vn="+6531500102")
    make_call(5, DAY2 + timedelta(days=5), talk=600)  # outside the period


def test_totals(calls):
    totals = Call.objects.between(date(2026, 11, 2), date(2026, 11, 3)).totals()
    # 4 calls, 3 connected, 2 answered (COMPLETED with talk), 150 s talk.
    assert totals == {
        "calls": 4,
        "connected": 3,
        "answered": 2,
        "answer_rate": 0.667,
        "talk_minutes": 2.5,
    }


def test_per_day_and_by_number_and_outcome(calls):
    calls_ = Call.objects.between(date(2026, 11, 2), date(2026, 11, 3))
    assert [(r["day"], r["calls"], r["answered"]) for r in calls_.per_day()] == [
        (date(2026, 11, 2), 3, 1),
        (date(2026, 11, 3), 1, 1),
    ]
    assert {r["virtual_number"]: r["calls"] for r in calls_.by_virtual_number()} == {
        "+6531500101": 3,
        "+6531500102": 1,
    }
    assert calls_.by_outcome() == [
        {"outcome": "connect", "calls": 3},
        {"outcome": "no_session", "calls": 1},
    ]


def test_reports_are_one_sql_aggregate_each(calls):
    with CaptureQueriesContext(connection) as ctx:
        Call.objects.between(date(2026, 11, 1), date(2026, 11, 30)).per_day()
    assert len(ctx.captured_queries) == 1
    assert "GROUP BY" in ctx.captured_queries[0]["sql"]


def test_by_session(calls):
    session = open_session(virtual_number=VirtualNumberFactory(), reference="booking-9")
    make_call(10, DAY1, masking_session=session, talk=90)
    rows = Call.objects.by_session()
    assert [(r["masking_session__reference"], r["calls"], r["talk_minutes"]) for r in rows] == [
        ("booking-9", 1, 1.5)
    ]


def test_admin_call_log_filters_search_and_page(admin_client, calls):
    log = admin_client.get("/admin/callflows/call/", {"outcome__exact": "no_session"})
    assert [c.provider_session_id for c in log.context["cl"].result_list] == ["s3"]
    found = admin_client.get("/admin/callflows/call/", {"q": "+6591230004"})
    assert [c.provider_session_id for c in found.context["cl"].result_list] == ["s4"]
    call = Call.objects.get(provider_session_id="s1")
    CallEvent.objects.create(dedupe_key="e1", kind="status", call=call, status="CALL_CONNECTED")
    page = admin_client.get(f"/admin/callflows/call/{call.pk}/change/")
    assert page.status_code == 200
    assert "CALL_CONNECTED" in page.content.decode()
    assert admin_client.get("/admin/callflows/call/add/").status_code == 403


def test_session_page_lists_its_calls(admin_client):
    session = open_session(virtual_number=VirtualNumberFactory())
    make_call(11, DAY1, masking_session=session)
    page = admin_client.get(f"/admin/masking/maskingsession/{session.pk}/change/")
    assert "+6591230011" in page.content.decode()


def csv_sections(response) -> dict[str, list[list[str]]]:
    """The report CSV as {title: [header, *rows]}: one section a table, blank-line separated."""
    assert response["Content-Type"] == "text/csv"
    assert response.streaming  # written while read: constant memory whatever the pool
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    sections, title = {}, None
    for row in rows[2:]:
        if not row:
            title = None
        elif title is None:
            title = row[0]
            sections[title] = []
        else:
            sections[title].append(row)
    return sections


def test_reports_csv_holds_every_table_the_page_shows_in_the_pages_words(admin_client, calls):
    page = admin_client.get("/admin/reports/", {"start": "2026-11-02", "end": "2026-11-03"})
    assert page.context["report"]["totals"]["calls"] == 4
    html = page.content.decode()
    assert "no session" in html and "no_session" not in html
    assert "completed" in html and "COMPLETED" not in html
    export = admin_client.get(
        "/admin/reports/", {"start": "2026-11-02", "end": "2026-11-03", "format": "csv"}
    )
    tables = csv_sections(export)
    assert list(tables) == [
        "Totals",
        "By our decision",
        "By 8x8's outcome",
        "Per day",
        "By virtual number",
        "Pool use now",
    ]
    assert tables["Totals"][1] == ["4", "3", "2", "0.667", "2.5"]
    assert tables["By our decision"][1:] == [["connected", "3"], ["no session", "1"]]
    assert tables["By 8x8's outcome"][1:] == [["completed", "3"], ["no answer", "1"]]
    assert [row[0] for row in tables["Per day"][1:]] == ["2026-11-02", "2026-11-03"]
    assert {row[0]: row[1] for row in tables["By virtual number"][1:]} == {
        "+6531500101": "3",
        "+6531500102": "1",
    }


def test_export_csv_works_from_the_default_view(admin_client):
    make_call(1, timezone.now())
    page = admin_client.get("/admin/reports/")
    link = re.search(r'id="report-csv" href="([^"]+)"', page.content.decode()).group(1)
    export = admin_client.get("/admin/reports/" + link.replace("&amp;", "&"))
    assert export.status_code == 200
    assert csv_sections(export)["Totals"][1][0] == "1"


def test_call_log_csv_is_the_filtered_list(admin_client, calls):
    page = admin_client.get("/admin/callflows/call/", {"outcome__exact": "connect"})
    link = re.search(r'id="call-csv" href="([^"]+)"', page.content.decode()).group(1)
    export = admin_client.get("/admin/callflows/call/" + link.replace("&amp;", "&"))
    rows = list(csv.reader(io.StringIO(export.getvalue().decode())))
    assert rows[0][:4] == ["time", "caller", "virtual_number", "decision"]
    assert sorted(r[1] for r in rows[1:]) == [
        "+6591230001",
        "+6591230002",
        "+6591230004",
        "+6591230005",
    ]
    assert {r[3] for r in rows[1:]} == {"connected"}
    assert {r[4] for r in rows[1:]} == {"completed", "no answer"}


def test_reports_page_refuses_a_backwards_period(admin_client):
    page = admin_client.get("/admin/reports/", {"start": "2026-11-03", "end": "2026-11-02"})
    assert page.context["report"] is None
    assert "ends before it starts" in page.content.decode()


def test_retention_anonymises_old_calls_and_deletes_old_events(capsys):
    old = make_call(
        1, timezone.now() - timedelta(days=100), answer={"callflow": []}, recording_path="x.mp3"
    )
    new = make_call(2, timezone.now())
    CallEvent.objects.create(dedupe_key="old", kind="status", call=old)
    CallEvent.objects.filter(dedupe_key="old").update(
        received_at=timezone.now() - timedelta(days=100)
    )
    CallEvent.objects.create(dedupe_key="new", kind="status", call=new)
    for call, event_id in [(old, "old-action"), (new, "new-action")]:
        CallAction.objects.create(
            event_id=event_id,
            call=call,
            outcome="connect",
            answer={"callflow": []},
            answered_at=call.created_at,
        )
    number = VirtualNumberFactory()
    long_ago = timezone.now() - timedelta(days=100)
    PinFailure.objects.create(virtual_number=number, caller="+6591239999", at=long_ago)
    PinFailure.objects.create(virtual_number=number, caller="+6591239999")
    PinLockout.objects.create(
        virtual_number=number,
        caller="+6591239999",
        wrong_pins=5,
        locked_at=long_ago,
        locked_until=long_ago + timedelta(hours=1),
    )
    call_command("purge_call_records", batch_size=1)
    out = capsys.readouterr().out
    assert "1 calls anonymised, 1 events deleted, 2 wrong PINs and PIN lockouts deleted" in out
    assert dict(CallAction.objects.values_list("event_id", "answer")) == {
        "old-action": None,
        "new-action": {"callflow": []},
    }
    assert PinFailure.objects.count() == 1 and not PinLockout.objects.exists()
    old.refresh_from_db()
    assert (old.caller, old.answer, old.recording_path) == ("", None, "")
    assert old.outcome == "connect" and old.callee_seconds == 60  # reporting survives
    assert Call.objects.get(pk=new.pk).caller == "+6591230002"
    assert list(CallEvent.objects.values_list("dedupe_key", flat=True)) == ["new"]
