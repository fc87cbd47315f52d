"""Issue 31, in Chromium at 1366x768 and 390x844: a pool's connect page, reached from the pool's
own page, previews then connects its 8x8 sub-account (a fake one, at the HTTP layer) and shows
its state, never its secrets.

Screenshots land in artifacts/screenshots/pool-connect-<viewport>.png.
"""

import pytest
from django.contrib.auth.models import User

from masking.models import VirtualNumber
from tests.callflows.fake_8x8 import API_KEY
from tests.factories import PoolFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def malaysia(settings, fake_8x8):
    settings.EIGHTX8_SUBACCOUNT_ID = "acme-sg"
    settings.WEBHOOK_AUTH_HEADER = "Bearer deployment-secret-0001"
    settings.MASKING_PUBLIC_BASE_URL = "https://masking.example.com"
    User.objects.create_superuser("ops", "ops@example.com", "correct horse battery")
    pool = PoolFactory(name="Malaysia", subaccount_id=fake_8x8.subaccount)
    pool.set_api_key(API_KEY)
    pool.save()
    return pool


def test_a_pools_connect_page_previews_then_connects(
    live_server, sized_page, shoot, malaysia, fake_8x8
):
    page, url = sized_page, live_server.url
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#dashboard")
    page.goto(f"{url}/admin/masking/pool/{malaysia.pk}/change/")
    page.click("#connect-pool")
    state = page.inner_text("#connection-state")
    assert "Pool Malaysia and its 8x8 sub-account" in state
    assert "Voices are unchecked" in state
    page.click("input[name=preview]")
    report = page.inner_text("#connect-report")
    assert "Dry run: nothing changed" in report and "would create the VCA webhook" in report
    assert fake_8x8.writes == []
    page.click("input[name=connect]")
    report = page.inner_text("#connect-report")
    assert report.startswith("Done.")
    assert "4 speech profiles" in page.inner_text("#connection-state")
    assert "stored (as a hash)" in page.inner_text("#connection-state")
    html = page.content()
    for secret in (API_KEY, fake_8x8.auth_headers["VCA"]):
        assert secret not in html
    assert VirtualNumber.objects.get().pool == malaysia
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shoot("pool-connect")
