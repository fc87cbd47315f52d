"""Staff round three (issue 28), in Chromium at 1366x768 and 390x844: retiring a number, CSV
times, replaying a past call, extending by any duration, the words, the simulator's JSON.

Screenshots land in artifacts/screenshots/<name>-laptop.png and -phone.png.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from callflows.models import Call
from masking.models import AuditEntry, MaskingSession, VirtualNumber
from masking.services.audit import API
from masking.services.sessions import session_close
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db(transaction=True)
A, B = "+6591230001", "+6591230002"
RED = "rgb(186, 33, 33)"  # Django's delete button


@pytest.fixture
def staff(settings):
    settings.TIME_ZONE = "Asia/Singapore"
    User.objects.create_superuser("ops", "ops@example.com", "correct horse battery")


def login(page, url):
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#dashboard")


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_retiring_a_number_asks_first_naming_its_sessions(live_server, sized_page, shoot, staff):
    page, url = sized_page, live_server.url
    number = VirtualNumberFactory(number="+6531500101", label="Singapore riders 1")
    for i in range(4):
        open_session(virtual_number=number, reference=f"booking-{8800 + i}")
    login(page, url)
    page.goto(f"{url}/admin/masking/virtualnumber/{number.pk}/change/")
    assert "retiring it ends every open session on it" in page.inner_text("#content")
    page.select_option("#id_status", "retired")
    page.click("input[name=_save]")
    page.wait_for_selector("#retire-summary")
    assert "4 open sessions" in page.inner_text("#retire-summary")
    assert page.locator("#retire-sessions tr").count() == 5  # header and the four
    assert overflow(page) <= 0
    shoot("number-retire-confirmation")
    assert MaskingSession.objects.filter(status="open").count() == 4  # nothing yet
    page.click("#retire-confirm")
    page.wait_for_selector(".messagelist")
    assert VirtualNumber.objects.get(pk=number.pk).status == "retired"
    assert MaskingSession.objects.filter(status="open").count() == 0


def test_csv_times_as_staff_type_them(live_server, sized_page, shoot, staff, tmp_path):
    page, url = sized_page, live_server.url
    VirtualNumberFactory(number="+6531500101")
    login(page, url)
    page.goto(f"{url}/admin/masking/maskingsession/import/")
    columns = page.inner_text("#csv-columns")
    assert "2026-12-06 18:00" in columns and "Asia/Singapore (UTC+08:00)" in columns
    assert overflow(page) <= 0
    shoot("csv-import-form")

    bad = tmp_path / "bad.csv"
    bad.write_text(f"participant_a,participant_b,expires_at\n{A},{A},next friday\n")
    page.set_input_files("#id_file", str(bad))
    page.click("#csv-upload input[type=submit]")
    page.wait_for_selector("#csv-bad")
    reasons = page.inner_text(".csv-bad-row")
    assert "next friday" in reasons and "different numbers" in reasons
    shoot("csv-import-bad-row")

    good = tmp_path / "good.csv"
    good.write_text(f"participant_a,participant_b,expires_at\n{A},{B},2099-12-06 18:00\n")
    page.set_input_files("#id_file", str(good))
    page.click("#csv-upload input[type=submit]")
    page.wait_for_selector("#csv-good")
    assert "6 Dec 2099, 18:00 +08" in page.inner_text("#csv-preview")
    assert overflow(page) <= 0
    shoot("csv-import-preview")
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist")
    expires = MaskingSession.objects.get().expires_at
    assert timezone.localtime(expires).strftime("%Y-%m-%d %H:%M") == "2099-12-06 18:00"


def test_replaying_a_past_call_from_its_page(live_server, sized_page, shoot, staff):
    page, url = sized_page, live_server.url
    PromptFactory(purpose="no_session", text="Sorry, no booking for this number.")
    number = VirtualNumberFactory(number="+6531500101")
    now = timezone.now()
    session = open_session(
        virtual_number=number, a=A, b=B, reference="booking-1", started_at=now - timedelta(hours=3)
    )
    session_close(session=session, reason="api", via=API)
    entries = AuditEntry.objects.filter(object_id=str(session.pk))
    entries.filter(action="opened").update(at=now - timedelta(hours=3))
    entries.filter(action="ended").update(at=now - timedelta(hours=1))
    MaskingSession.objects.filter(pk=session.pk).update(closed_at=now - timedelta(hours=1))
    calls = []
    for minutes, outcome, status in [(120, "connect", "NO_ANSWER"), (30, "no_session", "")]:
        call = Call.objects.create(
            provider_session_id=f"5e9b7c20-8d1e-11ef-8b11-0242ac12{minutes:04d}",
            caller=A,
            virtual_number="+6531500101",
            outcome=outcome,
            status=status,
        )
        Call.objects.filter(pk=call.pk).update(created_at=now - timedelta(minutes=minutes))
        calls.append(call)
    login(page, url)

    page.goto(f"{url}/admin/callflows/call/{calls[0].pk}/change/")
    page.click("#replay-call")
    page.wait_for_selector("#replay-heading")
    assert page.inner_text("#decision") == "connected"
    assert page.inner_text("#replay-provider") == "no answer"
    shoot("simulator-replay-no-answer")

    page.goto(f"{url}/admin/callflows/call/{calls[1].pk}/change/")
    page.click("#replay-call")
    page.wait_for_selector("#replay-heading")
    assert page.inner_text("#decision") == "no session"
    story = page.inner_text("#caller-sessions")
    assert "booking-1" in story and "through the API" in story
    assert overflow(page) <= 0
    shoot("simulator-replay-no-session")


def test_extend_by_hours_and_minutes_with_a_neutral_button(live_server, sized_page, shoot, staff):
    page, url = sized_page, live_server.url
    expiry = timezone.now() + timedelta(hours=1)
    session = open_session(reference="booking-1", expires_at=expiry)
    login(page, url)
    page.goto(f"{url}/admin/masking/maskingsession/{session.pk}/extend/")
    page.fill("#id_hours", "2")
    page.fill("#id_minutes", "30")
    colour = page.eval_on_selector(
        "#session-action-confirm", "e => getComputedStyle(e).backgroundColor"
    )
    assert colour != RED
    shoot("session-extend-hours-minutes")
    assert overflow(page) <= 0
    page.click("#session-action-confirm")
    page.wait_for_selector("text=Extended session booking-1.")
    session.refresh_from_db()
    assert session.expires_at == expiry + timedelta(hours=2, minutes=30)
    page.goto(f"{url}/admin/masking/maskingsession/{session.pk}/end/")
    end = page.eval_on_selector(
        "#session-action-confirm", "e => getComputedStyle(e).backgroundColor"
    )
    assert end == RED  # ending takes something away: red like Delete


def test_words_staff_read(live_server, sized_page, shoot, staff, settings, tmp_path):
    page, url = sized_page, live_server.url
    VirtualNumberFactory(number="+6531500101")
    login(page, url)
    page.goto(f"{url}/admin/settings/")
    lockout = page.inner_text("#caller-settings")
    assert "20 on one number" in lockout and "within 24 hours" in lockout
    shoot("settings-pin-lockout")
    page.goto(f"{url}/admin/masking/maskingsession/add/")
    assert "Generate PINs" in page.inner_text("#content")
    assert "6-digit PIN" in page.inner_text("#content")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        "participant_a,participant_b,reference\n+6591230001,+6591230002,né\n".encode("latin-1")
    )
    page.goto(f"{url}/admin/masking/maskingsession/import/")
    page.set_input_files("#id_file", str(latin))
    page.click("#csv-upload input[type=submit]")
    page.wait_for_selector(".errorlist")
    error = page.inner_text(".errorlist")
    assert "not UTF-8" in error and "codec" not in error
    shoot("csv-import-not-utf8")


def test_simulator_json_wraps_on_a_phone(live_server, sized_page, shoot, staff):
    page, url = sized_page, live_server.url
    PromptFactory(
        purpose="no_session",
        text="Sorry, we could not find a booking for the number you are calling from. "
        "Please check the number in your app and try again, or contact support.",
    )
    number = VirtualNumberFactory(number="+6531500101", label="pool 1")
    login(page, url)
    page.goto(f"{url}/admin/simulator/?virtual_number={number.pk}&caller=%2B6591239999")
    page.wait_for_selector("#callflow-json")
    cut = page.eval_on_selector("#callflow-json", "e => e.scrollWidth - e.clientWidth")
    assert cut <= 0, "the prompt text runs out of the JSON box"
    assert "or contact support." in page.inner_text("#callflow-json")
    assert overflow(page) <= 0
    shoot("simulator-json")
