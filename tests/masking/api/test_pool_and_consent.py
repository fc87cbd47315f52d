import pytest

from masking.models import MaskingSession, RecordingOptIn, VirtualNumber
from tests.factories import open_session

pytestmark = pytest.mark.django_db


def test_add_and_list_numbers(api):
    response = api.post(
        "/api/virtual-numbers/",
        {"number": "+6531500177", "label": "SG 7", "provider_reference": "sg-pool-a"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["country"] == "SG"
    listed = api.get("/api/virtual-numbers/", {"status": "active"}).json()["results"]
    assert [n["number"] for n in listed] == ["+6531500177"]
    assert listed[0]["open_sessions"] == 0


@pytest.mark.parametrize(
    "body, field",
    [({"number": "x"}, "number"), ({"number": "+6531500177", "status": "sleeping"}, "status")],
)
def test_bad_number_is_400(api, body, field):
    response = api.post("/api/virtual-numbers/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not VirtualNumber.objects.exists()


def test_duplicate_number_is_400(api, sg_pool):
    response = api.post("/api/virtual-numbers/", {"number": "+6531500101"}, format="json")
    assert response.status_code == 400
    assert "number" in response.json()["fields"]


def test_retiring_through_the_api_closes_sessions(api, sg_pool):
    session = open_session(virtual_number=sg_pool[0])
    response = api.patch(
        f"/api/virtual-numbers/{sg_pool[0].pk}/",
        {"status": "retired", "end_open_sessions": True},
        format="json",
    )
    assert response.json()["status"] == "retired"
    assert MaskingSession.objects.get(pk=session.pk).close_reason == "number_retired"


def test_record_and_revoke_consent(api):
    response = api.post(
        "/api/recording-opt-ins/",
        {"number": "+6591230001", "evidence": "app checkbox"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["method"] == "api"
    again = api.post("/api/recording-opt-ins/", {"number": "+6591230001"}, format="json")
    assert again.status_code == 400
    assert "number" in again.json()["fields"]
    revoked = api.post(f"/api/recording-opt-ins/{response.json()['id']}/revoke/")
    assert revoked.json()["revoked_at"] is not None
    assert not RecordingOptIn.objects.active().exists()
