"""Operations staff's day, in Chromium: the acceptance path of the staff-experience issue."""

import re

import pytest
from django.contrib.auth.models import User

from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db(transaction=True)
A, B = "+6591230001", "+6591230002"


@pytest.fixture
def staff_login(live_server, page):
    User.objects.create_superuser("ops", "ops@example.com", "correct horse battery")
    PromptFactory(purpose="no_session", text="Sorry, no booking for this number.")
    PromptFactory(purpose="connecting", text="Connecting you now.")

    def login():
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "ops")
        page.fill("#id_password", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_selector("#dashboard")

    return login


def simulate(page, url, caller):
    page.goto(f"{url}/admin/simulator/")
    page.click("#simulator .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "SG pool 1")
    page.click(".select2-results__option:has-text('SG pool 1')")
    page.fill("#id_caller", caller)
    page.click("input[value='Simulate call']")
    return page.inner_text("#decision"), page.inner_text("#callflow-json")


def test_staff_journey(live_server, page, staff_login, screenshot, tmp_path):
    url = live_server.url
    staff_login()

    # A virtual number with a bad number shows the error; a valid one is added.
    page.goto(f"{url}/admin/masking/virtualnumber/add/")
    page.fill("#id_number", "not a number")
    page.fill("#id_label", "SG pool 1")
    page.click("input[name=_save]")
    assert "Enter a valid phone number" in page.inner_text(".errorlist")
    page.fill("#id_number", "+6531500101")
    page.click("input[name=_save]")
    page.wait_for_selector("text=was added successfully")

    # A session with the number left blank gets one allocated.
    page.goto(f"{url}/admin/masking/maskingsession/add/")
    page.fill("#id_participant_a", A)
    page.fill("#id_participant_b", B)
    page.fill("#id_reference", "booking-e2e")
    page.click("input[name=_save]")
    page.wait_for_selector("text=was added successfully")
    assert "+6531500101" in page.inner_text("#result_list")

    # The dashboard counts it.
    page.goto(f"{url}/admin/")
    assert page.inner_text("#open-sessions") == "1"
    # The pool's figures count it; the table lists only numbers needing attention (issue 28).
    assert "1 open sessions" in page.inner_text("#pool-figures")
    screenshot("dashboard")

    # The simulator connects a participant.
    decision, flow = simulate(page, url, A)
    assert decision == "connected" and '"makeCall"' in flow
    screenshot("simulator")

    # End the session with the admin action; the simulator now answers the no-session flow.
    page.goto(f"{url}/admin/masking/maskingsession/")
    page.check("input.action-select")
    page.select_option("select[name=action]", "end_sessions")
    page.click("button[name=index]")
    page.click("#session-action-confirm")  # asked first, like Django's delete
    page.wait_for_selector("text=Ended 1 session: booking-e2e.")
    decision, flow = simulate(page, url, A)
    assert decision == "no session" and '"hangup"' in flow and "makeCall" not in flow

    # A CSV with one bad row: the preview reports it and nothing is imported.
    csv_file = tmp_path / "numbers.csv"
    csv_file.write_text("number,label\n+6531500102,two\nnot-a-number,bad\n+6531500103,three\n")
    page.goto(f"{url}/admin/masking/virtualnumber/import/")
    page.set_input_files("#id_file", str(csv_file))
    page.click("input[value='Check file']")
    page.wait_for_selector("#csv-bad")
    assert re.search(r"1 bad row \(2 good\)", page.inner_text("#csv-bad"))
    assert "not-a-number" in page.inner_text(".csv-bad-row")
    screenshot("csv-import")
    page.goto(f"{url}/admin/masking/virtualnumber/")
    assert "+6531500102" not in page.inner_text("#result_list")
