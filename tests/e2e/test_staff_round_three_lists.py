"""Staff experience round three, in Chromium at 1366x768 and 390x844 (issue 28).

A pool of 300 numbers, as Support, Operations and a superuser: the call log's outcome column,
the dashboard at pool size, Operations' week's jobs, the PIN lockouts list, Support's refusals,
the session export and the pages a phone clipped. Screenshots in artifacts/screenshots/.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone

from callflows.models import Call
from masking.models import PinLockout, VirtualNumber
from masking.services.sessions import session_close, session_extend
from tests.e2e.test_staff_round_two import hidden_columns, overflow, pick_number
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"
POOL = 300


@pytest.fixture
def pool(settings):
    settings.TIME_ZONE = "Asia/Singapore"
    settings.MASKING_NUMBER_CAPACITY = 4
    numbers = [
        VirtualNumberFactory(number=f"+65315{i:05d}", label=f"Singapore riders pool {i}")
        for i in range(POOL)
    ]
    VirtualNumber.objects.filter(pk__in=[n.pk for n in numbers[:14]]).update(status="unhealthy")
    now = timezone.now()
    sessions = [
        open_session(
            virtual_number=numbers[20 + i % 3],
            a=f"+659123{i:04d}",
            b=f"+659876{i:04d}",
            reference=f"booking-{7700 + i}",
            expires_at=now + timedelta(hours=2 + i),
        )
        for i in range(9)
    ]
    for i, status in enumerate(["COMPLETED", "NO_ANSWER", "BUSY", "COMPLETED"]):
        Call.objects.create(
            provider_session_id=f"5e9b7c20-8d1e-11ef-8b11-0242ac12{i:04d}",
            caller=f"+659123{i:04d}",
            virtual_number=str(numbers[20].number),
            masking_session=sessions[0],
            outcome="connect",
            status=status,
            callee_seconds=12345 if status == "COMPLETED" else 0,
        )
    for i, number in enumerate(numbers[30:90]):
        PinLockout.objects.create(
            virtual_number=number,
            caller=f"+659555{i:04d}" if i % 2 else "",
            wrong_pins=5 if i % 2 else 20,
            locked_until=now + timedelta(hours=1),
        )
    call_command("setup_staff_groups", verbosity=0)
    for name in ["Support", "Operations"]:
        user = User.objects.create_user(name.lower(), password=PASSWORD, is_staff=True)
        user.groups.set([Group.objects.get(name=name)])
    User.objects.create_superuser("ops", "ops@example.com", PASSWORD)
    return {"numbers": numbers, "sessions": sessions}


def login(page, url, username="ops"):
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#dashboard")


def lines_of(page, selector: str) -> list[int]:
    """How many lines the text of each element matching `selector` takes (0: not shown)."""
    return page.eval_on_selector_all(
        selector,
        """els => els.map(e => {
            const tops = new Set();
            const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                if (!walker.currentNode.textContent.trim()) continue;
                const range = document.createRange();
                range.selectNodeContents(walker.currentNode);
                for (const r of range.getClientRects()) if (r.width) tops.add(Math.round(r.top));
            }
            return tops.size;
        })""",
    )


def outside_screen(page, selector: str) -> int:
    """How many elements matching `selector` end beyond the screen's right edge (cut)."""
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.getBoundingClientRect().right > innerWidth + 1).length"
    )


def test_the_call_log_shows_8x8s_outcome(live_server, sized_page, shoot, pool):
    page, url = sized_page, live_server.url
    login(page, url)
    page.goto(f"{url}/admin/callflows/call/")
    outcomes = page.eval_on_selector_all(
        "#result_list td.field-provider_outcome", "els => els.map(e => e.innerText.trim())"
    )
    assert sorted(outcomes) == ["busy", "completed", "completed", "no answer"]
    assert overflow(page) <= 0
    shoot("round3-call-log")


def test_the_dashboard_is_one_screen_of_figures_at_pool_size(live_server, sized_page, shoot, pool):
    page, url = sized_page, live_server.url
    login(page, url)
    shoot("round3-dashboard")
    assert overflow(page) <= 0
    rows = page.locator("#pool-use tbody tr, #pool-use tr.needs-attention")
    assert rows.count() == 10  # of 14 unhealthy, fullest first; the rest a link
    assert "4 more needing attention" in page.inner_text("#attention-more")
    assert f"{POOL} numbers in service" in page.inner_text("#pool-all")
    # "Open", not "Ope/n" (0: the label column, hidden on a phone).
    assert set(lines_of(page, "#pool-use th")) <= {0, 1}
    assert outside_screen(page, "#pool-use progress, #pool-use td") == 0
    # The links to the other pages are within the first screens, not 34,000 px down.
    links_at = page.eval_on_selector(".dash-links", "e => e.getBoundingClientRect().top")
    assert links_at < 3 * page.viewport_size["height"]
    page.click("#attention-more")
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == 14


def test_operations_clear_lockouts_and_write_prompts(live_server, sized_page, shoot, pool):
    page, url = sized_page, live_server.url
    login(page, url, "operations")
    page.goto(f"{url}/admin/masking/pinlockout/?state=active")
    page.locator("#result_list tbody input.action-select").first.check()
    page.select_option("select[name=action]", "clear_lockouts")
    page.click("button[name=index]")
    page.wait_for_selector("text=Cleared 1 lockout.")
    shoot("round3-operations-cleared")
    page.goto(f"{url}/admin/masking/prompt/add/")
    page.select_option("#id_purpose", "no_session")
    page.fill("#id_text", "Sorry, nobody to connect you to.")
    page.click("input[name=_save]")
    page.wait_for_selector("text=was added successfully")


def test_the_pin_lockouts_list_picks_numbers_and_fits(live_server, sized_page, shoot, pool):
    page, url = sized_page, live_server.url
    login(page, url)
    page.goto(f"{url}/admin/masking/pinlockout/")
    shoot("round3-pin-lockouts")
    assert page.locator("#changelist-filter a[href*='virtual_number']").count() == 0
    assert overflow(page) <= 0
    if page.viewport_name == "laptop":
        assert hidden_columns(page, "#result_list") == []
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 20 * page.viewport_size["height"]  # was 42,755 px with a link a number
    if page.viewport_name == "laptop":
        pick_number(page, "#changelist-filter", "+6531500031")
        page.click(".number-filter input[type=submit]")
        page.wait_for_selector("#result_list")
        assert page.locator("#result_list tbody tr").count() == 1


def test_support_is_refused_import_in_the_admins_page(live_server, sized_page, shoot, pool):
    page, url = sized_page, live_server.url
    login(page, url, "support")
    for model in ["maskingsession", "virtualnumber"]:
        page.goto(f"{url}/admin/masking/{model}/")
        assert page.locator("a.csv-import").count() == 0
        assert page.locator("a.csv-export").count() == 1
    response = page.goto(f"{url}/admin/masking/maskingsession/import/")
    assert response.status == 403
    assert page.locator("#site-name").count() == 1 and page.locator("#user-tools").count() == 1
    assert "You may not do this" in page.inner_text("#content")
    assert overflow(page) <= 0
    shoot("round3-support-refused")


def test_session_export_has_state_times_and_reason(live_server, sized_page, pool):
    page, url = sized_page, live_server.url
    session_close(session=pool["sessions"][1], reason="api")
    login(page, url)
    page.goto(f"{url}/admin/masking/maskingsession/")
    with page.expect_download() as download:
        page.click("a.csv-export")
    with open(download.value.path()) as exported:
        header, *rows = exported.read().splitlines()
    assert header.endswith("state,started_at,closed_at,close_reason")
    assert len(rows) == 9
    assert any(row.endswith(",closed through the API") for row in rows)


def test_lists_and_a_sessions_pages_fit_a_phone(live_server, sized_page, shoot, pool):
    page, url = sized_page, live_server.url
    session = pool["sessions"][0]
    admin = User.objects.get(username="ops")
    session_extend(
        session=session,
        expires_at=session.expires_at + timedelta(hours=5),
        actor=admin,
        via="admin",
    )
    login(page, url, "operations")  # numbers masked, "+65 •••• •000", as most staff see them
    for path in [
        "/admin/",
        "/admin/masking/maskingsession/",
        "/admin/callflows/call/",
        "/admin/masking/pinlockout/",
    ]:
        page.goto(f"{url}{path}")
        assert overflow(page) <= 0, path

    page.goto(f"{url}/admin/masking/maskingsession/{session.pk}/history/")
    assert overflow(page) <= 0
    clipped = page.eval_on_selector_all(
        "#session-history td, #session-history th",
        "els => els.filter(e => e.getBoundingClientRect().right > innerWidth + 1).length",
    )
    assert clipped == 0
    shoot("round3-session-history")

    page.goto(f"{url}/admin/masking/maskingsession/{session.pk}/change/")
    shoot("round3-session-page")
    numbers = lines_of(
        page, ".inline-group td.field-shown_number, .inline-group td.field-shown_caller"
    )
    assert numbers and max(numbers) == 1  # a number on one line, not three

    page.goto(f"{url}/admin/masking/maskingsession/import/")
    shoot("round3-import-page")
    assert overflow(page) <= 0
    assert outside_screen(page, "#content code, #content p") == 0  # the column list was 617 px
