"""The dashboard, the call simulator and CSV import/export, through Django's client."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from callflows.models import Call
from masking.models import MaskingSession, PinFailure, VirtualNumber
from masking.services.sessions import session_close
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
A, B = "+6591230001", "+6591230002"


def test_dashboard_figures_match_hand_counted_data(admin_client, settings):
    settings.MASKING_NUMBER_CAPACITY = 4
    busy = VirtualNumberFactory(number="+6531500101")
    VirtualNumberFactory(number="+6531500102", status="unhealthy")
    now = timezone.now()
    for i in range(3):  # 3 open on busy: 75% of 4, not yet "close to full" (80%)
        open_session(virtual_number=busy, expires_at=now + timedelta(minutes=30 + 60 * i))
    session_close(session=open_session(virtual_number=busy), reason="staff")
    for outcome, n in [("connect", 2), ("no_session", 1)]:
        for i in range(n):
            Call.objects.create(provider_session_id=f"{outcome}{i}", outcome=outcome)
    old = Call.objects.create(provider_session_id="old", outcome="connect")
    Call.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))

    page = admin_client.get("/admin/")
    d = page.context["dashboard"]
    assert (d["open_sessions"], d["expiring_soon"]) == (3, 1)
    # The pool table lists only the numbers that need attention (issue 28): busy is at 75%.
    assert [(r.number, r.open_sessions, r.use_percent) for r in d["pool"]] == [
        ("+6531500102", 0, 0)
    ]
    assert [r.number for r in d["attention"]] == ["+6531500102"]  # unhealthy
    assert (d["pool_size"], d["pool_open_sessions"], d["attention_count"]) == (2, 3, 1)
    assert [(r["words"], r["calls"]) for r in d["calls_today"]] == [
        ("connected", 2),
        ("no session", 1),
    ]
    html = page.content.decode()
    assert html.count("<rect") == 30
    assert f"{(now - timedelta(days=3)).date().isoformat()}: 1 calls" in html
    assert f"{now.date().isoformat()}: 3 calls" in html


def result_count(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_every_dashboard_count_links_to_the_list_it_counts(admin_client, settings):
    settings.MASKING_NUMBER_CAPACITY = 2
    full = VirtualNumberFactory(number="+6531500101")
    VirtualNumberFactory(number="+6531500102")
    now = timezone.now()
    open_session(virtual_number=full, expires_at=now + timedelta(minutes=20))
    open_session(virtual_number=full)
    session_close(session=open_session(), reason="staff")
    for outcome, n in [("connect", 3), ("no_session", 2), ("ask_pin", 1)]:
        for i in range(n):
            Call.objects.create(provider_session_id=f"{outcome}{i}", outcome=outcome)
    old = Call.objects.create(provider_session_id="old", outcome="connect")
    Call.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))

    d = admin_client.get("/admin/").context["dashboard"]
    assert result_count(admin_client, d["open_sessions_url"]) == d["open_sessions"] == 2
    assert result_count(admin_client, d["expiring_soon_url"]) == d["expiring_soon"] == 1
    assert result_count(admin_client, d["calls_today_url"]) == d["calls_today_total"] == 6
    for row in d["calls_today"]:
        assert result_count(admin_client, row["url"]) == row["calls"]
    assert result_count(admin_client, d["attention_url"]) == d["attention_count"] == 1
    assert result_count(admin_client, d["pool_url"]) == d["pool_size"] == 3
    for row in d["pool"]:
        assert result_count(admin_client, row.sessions_url) == row.open_sessions


def test_the_chart_has_dates_an_axis_and_bars_that_open_their_day(admin_client):
    now = timezone.now()
    old = Call.objects.create(provider_session_id="old", outcome="connect")
    Call.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))
    chart = str(admin_client.get("/admin/").context["dashboard"]["chart"])
    today = timezone.localdate()
    assert f"{today.day} {today:%b}" in chart  # the last date under the last bar
    assert '<div class="chart-y"' in chart and "<span>0</span>" in chart
    links = [u.replace("&amp;", "&") for u in re.findall(r'<a href="([^"]+)"><rect', chart)]
    assert len(links) == 30
    day = timezone.localdate(now - timedelta(days=3))
    wanted = f"created_at__month={day.month}&created_at__day={day.day}"
    assert result_count(admin_client, [u for u in links if u.endswith(wanted)][0]) == 1


def test_simulator_shows_the_decision_and_json_and_writes_nothing(admin_client):
    PromptFactory(purpose="no_session", text="No booking.")
    vn = VirtualNumberFactory(number="+6531500101")
    session = open_session(virtual_number=vn, a=A, b=B)
    before = (Call.objects.count(), MaskingSession.objects.count())
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/simulator/", {"virtual_number": vn.pk, "caller": A})
    assert page.context["result"]["outcome"] == "connect"
    assert page.context["result"]["session"] == session
    assert '"action": "makeCall"' in page.context["result"]["json"]
    assert "&quot;makeCall&quot;" in page.content.decode()
    stranger = admin_client.get(
        "/admin/simulator/", {"virtual_number": vn.pk, "caller": "+6591239999"}
    )
    assert stranger.context["result"]["outcome"] == "no_session"
    assert "No booking." in stranger.content.decode()
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))
    ]
    assert writes == []
    assert (Call.objects.count(), MaskingSession.objects.count()) == before


def test_simulator_refuses_a_bad_caller_with_a_form_error(admin_client):
    vn = VirtualNumberFactory(number="+6531500101")
    page = admin_client.get("/admin/simulator/", {"virtual_number": vn.pk, "caller": "12ab"})
    assert "caller" in page.context["form"].errors and page.context["result"] is None


def upload(client, url, text):
    return client.post(url, {"file": SimpleUploadedFile("rows.csv", text.encode())})


NUMBERS_URL = "/admin/masking/virtualnumber/import/"


def test_number_import_lists_every_bad_row_and_writes_nothing(admin_client):
    VirtualNumberFactory(number="+6531500199")
    csv_text = (
        "number,label,status\n+6531500101,one,active\nnot-a-number,two,active\n"
        "+6531500199,dup,active\n+6531500102,three,sleeping\n+6531500101,again,active\n"
    )
    page = upload(admin_client, NUMBERS_URL, csv_text)
    bad = {c.line: " ".join(c.errors) for c in page.context["bad"]}
    assert sorted(bad) == [3, 4, 5, 6]
    assert "number" in bad[3] and "already exists" in bad[4] and "status" in bad[5]
    assert "twice" in bad[6]
    assert VirtualNumber.objects.count() == 1


def test_number_import_preview_then_confirm_writes_all(admin_client):
    page = upload(admin_client, NUMBERS_URL, "number,label\n+6531500101,one\n+6531500102,two\n")
    assert page.context["good"] == 2 and not page.context["bad"]
    done = admin_client.post(NUMBERS_URL, {"confirm": "1", "payload": page.context["payload"]})
    assert done.status_code == 302
    assert VirtualNumber.objects.count() == 2


def test_confirm_checks_the_file_again(admin_client):
    page = upload(admin_client, NUMBERS_URL, "number\n+6531500101\n+6531500102\n")
    VirtualNumberFactory(number="+6531500102")  # taken between preview and confirm
    again = admin_client.post(NUMBERS_URL, {"confirm": "1", "payload": page.context["payload"]})
    assert [c.line for c in again.context["bad"]] == [3]
    assert VirtualNumber.objects.count() == 1


def test_import_is_all_or_nothing_when_a_row_fails_at_write_time(admin_client):
    # Each row fits alone; together they need two numbers for +6591230001 and the pool has one.
    VirtualNumberFactory(number="+6531500101")
    url = "/admin/masking/maskingsession/import/"
    page = upload(admin_client, url, f"participant_a,participant_b\n{A},{B}\n{A},+6591230003\n")
    assert page.context["good"] == 2
    done = admin_client.post(url, {"confirm": "1", "payload": page.context["payload"]}, follow=True)
    messages = [str(m) for m in done.context["messages"]]
    assert any("Nothing was imported: line 3" in m for m in messages), messages
    assert not MaskingSession.objects.exists()


def test_session_import_and_export(admin_client):
    VirtualNumberFactory(number="+6531500101")
    url = "/admin/masking/maskingsession/import/"
    page = upload(
        admin_client,
        url,
        (
            "participant_a,participant_b,virtual_number,reference,expires_at\n"
            f"{A},{B},,booking-1,2099-01-01T00:00:00Z\n"
            f"{A},{A},,booking-2,\n"
            "+6591230003,+6591230004,+6531509999,booking-3,\n"
            "+6591230005,+6591230006,,booking-4,tomorrow\n"
        ),
    )
    assert [c.line for c in page.context["bad"]] == [3, 4, 5]
    assert not MaskingSession.objects.exists()
    page = upload(admin_client, url, f"participant_a,participant_b\n{A},{B}\n")
    admin_client.post(url, {"confirm": "1", "payload": page.context["payload"]})
    session = MaskingSession.objects.get()
    assert str(session.virtual_number.number) == "+6531500101"  # allocated
    export = streamed_csv(admin_client.get("/admin/masking/maskingsession/export/"))
    assert export[1][:3] == [A, B, "+6531500101"]


def test_not_a_csv_is_a_form_error(admin_client):
    page = admin_client.post(NUMBERS_URL, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00")})
    assert "file" in page.context["form"].errors


def test_simulator_explains_the_pin_step_and_judges_no_real_pin(admin_client):
    """Issue 23, finding 4: 30 wrong PINs through the simulator were judged against real PINs and
    counted nowhere; the right one said "connect" and named the session. Now the right PIN and a
    wrong one get the same page: the PIN step, explained, and no session."""
    vn = VirtualNumberFactory(number="+6531500101")
    open_session(virtual_number=vn, a=A, b=B, pin_a="482193", pin_b="903417")
    pages = [
        admin_client.get(
            "/admin/simulator/",
            {"virtual_number": vn.pk, "caller": "+6591239999", "digits": digits},
        )
        for digits in ("482193", "000000")
    ]
    for page in pages:
        result = page.context["result"]
        assert (result["outcome"], result["session"], result["first"]) == ("ask_pin", None, None)
        assert "does not try digits against PINs" in page.content.decode()
    assert pages[0].context["result"]["json"] == pages[1].context["result"]["json"]
    assert not PinFailure.objects.exists()  # the simulator counts nothing


def test_simulator_names_the_callers_sessions_on_other_numbers_when_no_session(admin_client):
    dialled = VirtualNumberFactory(number="+6531500101")
    other = VirtualNumberFactory(number="+6531500102")
    paired = open_session(virtual_number=other, a=A, b=B, reference="booking-elsewhere")
    page = admin_client.get("/admin/simulator/", {"virtual_number": dialled.pk, "caller": A})
    result = page.context["result"]
    assert (result["outcome"], result["words"]) == ("no_session", "no session")
    assert result["elsewhere"] == [paired]
    html = page.content.decode()
    assert "paired on 1 other number" in html and "booking-elsewhere" in html
    nobody = admin_client.get(
        "/admin/simulator/", {"virtual_number": dialled.pk, "caller": "+6591239999"}
    )
    assert nobody.context["result"]["elsewhere"] == []
    assert "in no open session on any other number" in nobody.content.decode()


def test_session_import_refuses_a_reference_too_long_rather_than_cutting_it(admin_client):
    VirtualNumberFactory(number="+6531500101")
    url = "/admin/masking/maskingsession/import/"
    page = upload(
        admin_client, url, f"participant_a,participant_b,reference\n{A},{B},{'r' * 101}\n"
    )
    assert [c.line for c in page.context["bad"]] == [2]
    assert "reference" in " ".join(page.context["bad"][0].errors)


def streamed_csv(response) -> list[list[str]]:
    import csv
    import io

    assert response.streaming, "an export is streamed, not built whole in memory"
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_session_export_has_the_columns_a_person_needs_and_is_streamed(admin_client):
    """Issue 28, finding 10: state, opened, closed and why, beside the import columns."""
    number = VirtualNumberFactory(number="+6531500101")
    open_session(virtual_number=number, a=A, b=B, reference="still-open")
    ended = open_session(virtual_number=number, reference="ended")
    session_close(session=ended, reason="api")
    rows = streamed_csv(admin_client.get("/admin/masking/maskingsession/export/"))
    header, *body = rows
    assert header[:6] == [
        "participant_a",
        "participant_b",
        "virtual_number",
        "reference",
        "expires_at",
        "recording_requested",
    ]
    assert header[6:] == ["state", "started_at", "closed_at", "close_reason"]
    by_reference = {row[3]: dict(zip(header, row, strict=True)) for row in body}
    assert by_reference["still-open"]["state"] == "open"
    assert by_reference["still-open"]["closed_at"] == ""
    assert by_reference["ended"]["state"] == "closed"
    assert by_reference["ended"]["close_reason"] == "closed through the API"
    assert by_reference["ended"]["closed_at"] >= by_reference["ended"]["started_at"] != ""


@pytest.mark.parametrize(
    "url", ["/admin/masking/virtualnumber/export/", "/admin/callflows/call/export/"]
)
def test_every_list_export_is_streamed(admin_client, url):
    VirtualNumberFactory(number="+6531500101")
    Call.objects.create(provider_session_id="c1", outcome="connect")
    assert len(streamed_csv(admin_client.get(url))) == 2


def test_the_dashboard_stays_one_screen_whatever_the_pool(admin_client, settings):
    """Issue 28, finding 3: 1,000 numbers made a 34,904 px dashboard. It lists at most a
    screenful of the numbers needing attention, counts the rest and links to them."""
    from masking.dashboard import ATTENTION_SHOWN

    settings.MASKING_NUMBER_CAPACITY = 2
    for i in range(60):
        VirtualNumberFactory(number=f"+65315{i:05d}")
    VirtualNumber.objects.filter(number__in=[f"+65315{i:05d}" for i in range(25)]).update(
        status="unhealthy"
    )
    with CaptureQueriesContext(connection) as few:
        page = admin_client.get("/admin/")
    d = page.context["dashboard"]
    html = page.content.decode()
    assert d["attention_count"] == 25 and len(d["pool"]) == ATTENTION_SHOWN
    assert html.count('class="needs-attention"') == ATTENTION_SHOWN
    assert "+6531500059" not in html  # a healthy number is not listed
    assert 'id="pool-all"' in html and 'id="attention-more"' in html
    for i in range(60, 300):
        VirtualNumberFactory(number=f"+65315{i:05d}")
    with CaptureQueriesContext(connection) as many:
        admin_client.get("/admin/")
    assert len(many) == len(few)
