"""A call's page shows its recording's status at 8x8, for staff with the permission."""

import httpx
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from callflows.models import Call
from tests.callflows.fake_8x8 import RECORDING_SESSION

pytestmark = pytest.mark.django_db
SECTION = "Recording at 8x8"


@pytest.fixture
def recorded_call():
    return Call.objects.create(
        provider_session_id=RECORDING_SESSION, virtual_number="+6531500101", recorded=True
    )


def page(client, call):
    response = client.get(reverse("admin:callflows_call_change", args=[call.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_status_and_where_it_landed(admin_client, fake_8x8, recorded_call):
    html = page(admin_client, recorded_call)
    assert SECTION in html
    assert "CALLBACK_COMPLETED" in html and "8x8 notified our recording webhook" in html
    assert "https://yourRecordingsEndpoint.com/e35e3d0e-065a-11ec-b119-676cb2bc33ef/" in html


@pytest.mark.parametrize(
    ("status", "explained"),
    [
        ("PROCESSING", "still processing"),
        ("UPLOAD_FAILED", "could not push it to our storage"),
        ("PROCESSING_FAILED", "no file will arrive"),
    ],
)
def test_a_missing_recording_is_explained(admin_client, fake_8x8, recorded_call, status, explained):
    fake_8x8.recordings["recordings"][0]["status"] = status
    html = page(admin_client, recorded_call)
    assert status in html and explained in html


def test_8x8_down_or_off_is_said_and_the_page_still_works(
    admin_client, fake_8x8, recorded_call, settings
):
    fake_8x8.recordings_route.mock(side_effect=httpx.Response(500))
    assert "8x8 answered HTTP 500" in page(admin_client, recorded_call)
    settings.EIGHTX8_API_KEY = ""
    assert "8x8 is not connected" in page(admin_client, recorded_call)


def test_a_call_that_was_not_recorded_asks_8x8_nothing(admin_client, fake_8x8):
    call = Call.objects.create(provider_session_id=RECORDING_SESSION, recorded=False)
    assert "Not recorded" in page(admin_client, call)
    assert not fake_8x8.router.calls


def test_only_staff_with_the_permission_see_it(client, django_user_model, fake_8x8, recorded_call):
    user = django_user_model.objects.create_user("support", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_call"))
    client.force_login(user)
    assert SECTION not in page(client, recorded_call)
    assert not fake_8x8.router.calls
    user.user_permissions.add(Permission.objects.get(codename="view_recording_status"))
    client.force_login(django_user_model.objects.get(pk=user.pk))
    assert "CALLBACK_COMPLETED" in page(client, recorded_call)
