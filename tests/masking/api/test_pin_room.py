"""The guessing bound through the API: a number without PIN room refuses, allocation moves on."""

import pytest

pytestmark = pytest.mark.django_db
A, B = "+6591230001", "+6591230002"


@pytest.fixture
def bound(settings):
    settings.MASKING_PIN_LENGTH = 6


def test_api_refuses_generated_pins_on_a_number_without_room(api, sg_pool, bound, settings):
    settings.MASKING_PIN_GUESS_ONE_IN = 500_000  # room for 2 PINs: one PIN session
    body = {"virtual_number": str(sg_pool[0].number), "generate_pins": True}
    first = api.post("/api/sessions/", {**body, "participant_a": A, "participant_b": B})
    assert first.status_code == 201
    again = api.post(
        "/api/sessions/", {**body, "participant_a": "+6591230011", "participant_b": "+6591230012"}
    )
    assert again.status_code == 400
    assert "guessing bound" in " ".join(again.json()["fields"]["virtual_number"])
    moved = api.post(
        "/api/sessions/",
        {"participant_a": "+6591230011", "participant_b": "+6591230012", "generate_pins": True},
    )
    assert moved.status_code == 201 and moved.json()["virtual_number"] != body["virtual_number"]
