"""Staff experience round two, in Chromium at 1366x768 and 390x844 (issue 16).

One walk per screen size, through the pages staff named: the dashboard, the sessions list, a
session's page and its actions, the call log, the reports and the simulator. Screenshots of each
land in artifacts/screenshots/ (README, "The two commands").
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from callflows.models import Call
from masking.models import MaskingSession
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db(transaction=True)
UUID = "5e9b7c20-8d1e-11ef-8b11-0242ac120002"


@pytest.fixture
def seeded(settings):
    settings.TIME_ZONE = "Asia/Singapore"
    PromptFactory(purpose="no_session", text="Sorry, no booking for this number.")
    numbers = [
        VirtualNumberFactory(number=f"+65315{i:05d}", label=f"Singapore riders pool {i}")
        for i in range(101, 131)
    ]
    now = timezone.now()
    sessions = [
        open_session(
            virtual_number=numbers[i % 3],
            a=f"+659123{i:04d}",
            b=f"+659876{i:04d}",
            reference=f"booking-{7700 + i}",
            expires_at=now + timedelta(minutes=30 + 90 * i),
            pin_a=f"{400000 + i}",
            pin_b=f"{500000 + i}",
        )
        for i in range(6)
    ]
    for i, outcome in enumerate(["connect"] * 5 + ["no_session"] * 2 + ["ask_pin"]):
        call = Call.objects.create(
            provider_session_id=f"{UUID[:-4]}{i:04d}",
            caller=f"+659123{i % 6:04d}",
            virtual_number=str(numbers[0].number),
            masking_session=sessions[0] if outcome == "connect" else None,
            outcome=outcome,
            status="COMPLETED" if outcome == "connect" else "",
            callee_seconds=75 if outcome == "connect" else None,
        )
        Call.objects.filter(pk=call.pk).update(created_at=now - timedelta(days=i % 4))
    User.objects.create_superuser("ops", "ops@example.com", "correct horse battery")
    return {"numbers": numbers, "sessions": sessions}


def login(page, url):
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#dashboard")


def overflow(page) -> int:
    """How many pixels the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def hidden_columns(page, table: str) -> list[str]:
    """The headers of `table` whose right edge is beyond its scroll container's visible box."""
    return page.evaluate(
        """(selector) => {
            const table = document.querySelector(selector);
            const box = (table.closest('.results') || table.parentElement).getBoundingClientRect();
            const right = Math.min(box.right, window.innerWidth);
            return [...table.querySelectorAll('thead th')]
                .filter(th => th.getBoundingClientRect().right > right + 1)
                .map(th => th.innerText.trim());
        }""",
        table,
    )


def pick_number(page, container: str, text: str):
    """Choose a virtual number in a select2 autocomplete by typing part of it."""
    page.click(f"{container} .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.wait_for_selector(f".select2-results__option:has-text('{text}')")
    page.click(f".select2-results__option:has-text('{text}')")


def test_staff_pages_fit_lead_and_act(live_server, sized_page, shoot, seeded):
    page, url = sized_page, live_server.url
    laptop = page.viewport_name == "laptop"
    login(page, url)

    # Dashboard: no sideways scrolling, readable chart labels, counts that lead to their lists.
    assert "Times in Asia/Singapore (UTC+08:00)" in page.inner_text("#ops-zone")
    assert overflow(page) <= 0
    sizes = page.eval_on_selector_all(
        ".chart-y span, .chart-x span",
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))",
    )
    assert sizes and min(sizes) >= 11
    card = page.eval_on_selector(
        "#calls-today", "e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight"
    )
    assert card, "the calls-today card spills out of its box"
    shoot("dashboard")
    page.click("#open-sessions-link")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 6

    # Sessions list: the key columns in view at 1366 px, without scrolling sideways.
    page.goto(f"{url}/admin/masking/maskingsession/")
    if laptop:
        assert hidden_columns(page, "#result_list") == []
        assert overflow(page) <= 0
    shoot("sessions-list")

    # A session's page: End, with a confirmation like Django's delete confirmation.
    session = seeded["sessions"][0]
    page.goto(f"{url}/admin/masking/maskingsession/{session.pk}/change/")
    shoot("session-page")
    page.click("#session-extend")
    page.fill("#id_hours", "24")
    shoot("session-extend-confirmation")
    page.click("#session-action-confirm")
    page.wait_for_selector("text=Extended session booking-7700.")
    page.click("#session-end")
    page.fill("#id_note", "rider cancelled")
    shoot("session-end-confirmation")
    page.click("#session-action-confirm")
    page.wait_for_selector("text=Ended session booking-7700.")
    assert MaskingSession.objects.get(pk=session.pk).status == "closed"
    page.click("a.historylink")
    history = page.inner_text("#session-history")
    assert "ended" in history and "rider cancelled" in history and "extended" in history
    assert "+08" in history  # times in the operations zone
    shoot("session-history")

    # Call log: session and provider ids in view at 1366 px; CSV of the filtered list.
    page.goto(f"{url}/admin/callflows/call/?outcome__exact=connect")
    if laptop:
        assert hidden_columns(page, "#result_list") == []
        assert overflow(page) <= 0
    shoot("call-log")
    with page.expect_download() as download:
        page.click("#call-csv")
    assert download.value.suggested_filename == "calls.csv"

    # Reports: Export CSV from the default view downloads every table.
    page.goto(f"{url}/admin/reports/")
    assert "no session" in page.inner_text("#report-decisions")
    shoot("reports")
    with page.expect_download() as download:
        page.click("#report-csv")
    with open(download.value.path()) as exported:
        text = exported.read()
    assert "By our decision" in text and "Pool use now" in text

    # Simulator: the number by autocomplete; a caller paired elsewhere is told where.
    page.goto(f"{url}/admin/simulator/")
    pick_number(page, "#simulator", "pool 129")
    page.fill("#id_caller", "+6591230001")
    page.click("input[value='Simulate call']")
    assert page.inner_text("#decision") == "no session"
    assert "booking-7701" in page.inner_text("#elsewhere")
    shoot("simulator")
    if not laptop:
        assert overflow(page) <= 0

    # The settings that change what callers hear, one click from the dashboard.
    page.goto(f"{url}/admin/")
    page.click("#settings-link")
    assert "every party must have opted in" in page.inner_text("#caller-settings")
    shoot("settings")

    # A second opt-in for a number is a form error, with staff's method chosen already.
    for _attempt in range(2):
        page.goto(f"{url}/admin/masking/recordingoptin/add/")
        assert page.input_value("#id_method") == "admin"
        page.fill("#id_number", "+6591230009")
        page.click("input[name=_save]")
    assert "already opted in" in page.inner_text(".errorlist")
