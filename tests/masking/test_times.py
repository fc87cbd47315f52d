"""Times in the operations time zone: shown with minutes and the zone, typed in that zone."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from callflows.models import Call
from masking.models import MaskingSession
from masking.services.sessions import session_close
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def singapore(settings):
    settings.TIME_ZONE = "Asia/Singapore"


def test_lists_show_times_in_the_operations_zone_with_minutes_and_the_zone(admin_client, singapore):
    session = open_session(
        reference="booking-1", expires_at=datetime(2099, 11, 24, 21, 0, tzinfo=UTC)
    )
    session_close(session=session, reason="staff")
    html = admin_client.get("/admin/masking/maskingsession/").content.decode()
    assert "until 25 Nov 2099, 05:00 +08" in html  # 21:00 UTC, not "5 a.m."
    assert "Times in Asia/Singapore (UTC+08:00)" in html
    page = admin_client.get(f"/admin/masking/maskingsession/{session.pk}/change/")
    closed_at = timezone.localtime(session.closed_at)
    assert f"{closed_at:%-d %b %Y, %H:%M} +08" in page.content.decode()


def test_every_admin_page_names_the_zone(admin_client, singapore):
    for url in ["/admin/", "/admin/masking/virtualnumber/", "/admin/simulator/"]:
        assert "Times in Asia/Singapore (UTC+08:00)" in admin_client.get(url).content.decode()


def test_times_typed_in_the_admin_are_read_in_the_operations_zone(admin_client, singapore):
    number = VirtualNumberFactory()
    response = admin_client.post(
        "/admin/masking/maskingsession/add/",
        {
            "virtual_number": number.pk,
            "participant_a": "+6591230011",
            "participant_b": "+6591230012",
            "started_at_0": "2099-11-24",
            "started_at_1": "10:00",
            "expires_at_0": "2099-11-24",
            "expires_at_1": "18:30",
        },
    )
    assert response.status_code == 302
    session = MaskingSession.objects.get()
    assert session.started_at == datetime(2099, 11, 24, 2, 0, tzinfo=UTC)
    assert session.expires_at == datetime(2099, 11, 24, 10, 30, tzinfo=UTC)


def test_report_days_are_days_in_the_operations_zone(singapore):
    call = Call.objects.create(provider_session_id="late", outcome="connect")
    # 17:00 UTC on the 24th is 01:00 on the 25th in Singapore.
    Call.objects.filter(pk=call.pk).update(created_at=datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    assert Call.objects.between(date(2026, 11, 25), date(2026, 11, 25)).count() == 1
    assert Call.objects.between(date(2026, 11, 24), date(2026, 11, 24)).count() == 0
    assert [row["day"] for row in Call.objects.all().per_day()] == [date(2026, 11, 25)]


def test_the_setting_feeds_djangos_time_zone():
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.TIME_ZONE)"
    )
    env = {**os.environ, "MASKING_OPERATIONS_TIME_ZONE": "Asia/Singapore"}
    env.setdefault("DJANGO_SETTINGS_MODULE", "masking.settings")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "Asia/Singapore"
