"""The sessions API as the business backend uses it, bad inputs included."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masking.models import MaskingSession, Participant
from tests.factories import VirtualNumberFactory, open_session

URL = "/api/sessions/"
A, B = "+6591230001", "+6591230002"
pytestmark = pytest.mark.django_db


def test_open_with_allocation_answers_201_with_number_and_expiry(api, sg_pool):
    response = api.post(
        URL,
        {"participant_a": A, "participant_b": B, "ttl_seconds": 3600, "reference": "booking-7"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["virtual_number"] == "+6531500101"
    assert (body["participant_a"], body["participant_b"], body["state"]) == (A, B, "open")
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=59) < expires - timezone.now() <= timedelta(hours=1)


def test_open_on_a_chosen_number(api, sg_pool):
    response = api.post(
        URL,
        {
            "participant_a": A,
            "participant_b": B,
            "virtual_number": "+6531500103",
            "recording_requested": True,
            "expires_at": "2099-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["virtual_number"] == "+6531500103"
    assert response.json()["recording_requested"] is True


def test_pool_exhausted_is_409(api, db):
    vn = VirtualNumberFactory(number="+6531500101")
    open_session(virtual_number=vn, a=A, b="+6591230009")
    response = api.post(URL, {"participant_a": A, "participant_b": B}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == "pool_exhausted"
    assert "exhausted for these participants" in response.json()["detail"]
    assert MaskingSession.objects.count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"participant_a": A, "participant_b": A}, "participant_b"),
        ({"participant_a": A, "participant_b": "+6531500102"}, "participant_b"),
        ({"participant_a": "12ab", "participant_b": B}, "participant_a"),
        ({"participant_a": "91230001", "participant_b": B}, "participant_a"),
        ({"participant_b": B}, "participant_a"),
        (
            {"participant_a": A, "participant_b": B, "virtual_number": "+6531509999"},
            "virtual_number",
        ),
        (
            {"participant_a": A, "participant_b": B, "expires_at": "2001-01-01T00:00:00Z"},
            "expires_at",
        ),
        ({"participant_a": A, "participant_b": B, "ttl_seconds": -5}, "ttl_seconds"),
        ({"participant_a": A, "participant_b": B, "ttl_seconds": "soon"}, "ttl_seconds"),
        ({"participant_a": A, "participant_b": B, "ttl": 60}, "ttl"),
        (
            {"participant_a": A, "participant_b": B, "recording_requested": "maybe"},
            "recording_requested",
        ),
        ({"participant_a": 6591230001, "participant_b": B, "reference": ["x"]}, "reference"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(api, sg_pool, body, field):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    assert not MaskingSession.objects.exists()


def test_retired_number_chosen_is_400(api, sg_pool):
    sg_pool[0].status = "retired"
    sg_pool[0].save()
    response = api.post(
        URL,
        {"participant_a": A, "participant_b": B, "virtual_number": "+6531500101"},
        format="json",
    )
    assert response.status_code == 400
    assert "virtual_number" in response.json()["fields"]


def test_not_json_is_400(api, sg_pool):
    response = api.post(URL, "participant_a=1", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"


def test_list_filters_and_paginates(api, sg_pool):
    mine = open_session(virtual_number=sg_pool[0], a=A, b=B, reference="booking-1")
    other = open_session(virtual_number=sg_pool[1], reference="booking-2")
    closed = open_session(virtual_number=sg_pool[2], a=A, reference="booking-3")
    api.post(f"{URL}{closed.pk}/close/")
    for query, expected in [
        ({}, {mine.pk, other.pk, closed.pk}),
        ({"participant": A}, {mine.pk, closed.pk}),
        ({"status": "open"}, {mine.pk, other.pk}),
        ({"reference": "booking-2"}, {other.pk}),
        ({"virtual_number": "+6531500101"}, {mine.pk}),
    ]:
        body = api.get(URL, query).json()
        assert {s["id"] for s in body["results"]} == expected, query
        assert body["count"] == len(expected)


def test_detail_close_and_patch(api, sg_pool):
    session = open_session(virtual_number=sg_pool[0], a=A, b=B)
    assert api.get(f"{URL}{session.pk}/").json()["participant_b"] == B
    patched = api.patch(
        f"{URL}{session.pk}/", {"ttl_seconds": 60, "recording_requested": True}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["recording_requested"] is True
    assert patched.json()["expires_at"] is not None
    assert (
        api.patch(f"{URL}{session.pk}/", {"expires_at": None}, format="json").json()["expires_at"]
        is None
    )
    closed = api.post(f"{URL}{session.pk}/close/")
    assert (closed.json()["status"], closed.json()["close_reason"]) == ("closed", "api")
    assert not Participant.objects.filter(session=session, holds_routing_key=True).exists()
    assert api.post(f"{URL}{session.pk}/close/").status_code == 200  # idempotent


def test_patch_cannot_change_the_pairing(api, sg_pool):
    session = open_session(virtual_number=sg_pool[0], a=A, b=B)
    response = api.patch(f"{URL}{session.pk}/", {"participant_a": "+6591230005"}, format="json")
    assert response.status_code == 400
    assert "participant_a" in response.json()["fields"]


def test_reopen_is_409_when_a_key_was_taken(api, sg_pool):
    session = open_session(virtual_number=sg_pool[0], a=A, b=B)
    api.post(f"{URL}{session.pk}/close/")
    open_session(virtual_number=sg_pool[0], a=A)
    response = api.post(f"{URL}{session.pk}/reopen/")
    assert response.status_code == 409
    assert response.json()["error"] == "routing_key_taken"


@pytest.mark.parametrize("why", ["expired", "number_inactive", "number_full"])
def test_reopen_refusals_are_409_as_readme_says(api, sg_pool, settings, why):
    session = open_session(virtual_number=sg_pool[0], a=A, b=B)
    api.post(f"{URL}{session.pk}/close/")
    if why == "expired":
        past = timezone.now() - timedelta(minutes=1)
        MaskingSession.objects.filter(pk=session.pk).update(
            started_at=past - timedelta(hours=1), expires_at=past
        )
    elif why == "number_inactive":
        sg_pool[0].status = "unhealthy"
        sg_pool[0].save()
    else:
        settings.MASKING_NUMBER_CAPACITY = 1
        open_session(virtual_number=sg_pool[0])
    response = api.post(f"{URL}{session.pk}/reopen/")
    assert response.status_code == 409
    assert response.json()["error"] == why
    assert MaskingSession.objects.get(pk=session.pk).status == "closed"


def test_unknown_session_is_404_json(api, sg_pool):
    response = api.get(f"{URL}99999/")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_missing_token_is_401(client, sg_pool):
    response = client.post(URL, {"participant_a": A, "participant_b": B})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


def test_token_without_permission_is_403_and_changes_nothing(reader, sg_pool):
    assert reader.get(URL).status_code == 200
    response = reader.post(URL, {"participant_a": A, "participant_b": B}, format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"
    assert not MaskingSession.objects.exists()


def test_schema_and_docs(api, admin_client):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/sessions/{id}/close/" in schema.content
    assert admin_client.get("/api/docs/").status_code == 200


def test_generated_pins_are_returned_once(api, sg_pool, settings):
    settings.MASKING_PIN_LENGTH = 6
    created = api.post(
        URL, {"participant_a": A, "participant_b": B, "generate_pins": True}, format="json"
    ).json()
    assert len(created["pin_a"]) == 6 and created["pin_a"].isdigit()
    assert created["pin_a"] != created["pin_b"]
    later = api.get(f"{URL}{created['id']}/").json()
    assert "pin_a" not in later and "pin_b" not in later
