"""Issue 23, finding 4: PINs are secrets, shown once and never again, to anyone.

A PIN the API returned "once" was shown to Support on the session's page, with its partner's.
Now only a keyed hash (HMAC over the number and the PIN) is stored; the API's answer to the
opening, or the admin's message after saving, is the only place the digits ever appear.
"""

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from masking.models import AuditEntry, MaskingSession, Participant
from masking.pins import pin_hash
from tests.callflows.conftest import AUTH
from tests.callflows.phone_calls import PhoneCall, actions
from tests.factories import VirtualNumberFactory
from tests.masking.api.conftest import client_for

VN = "+6531500101"


@pytest.fixture
def backend(db):
    user = User.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    return client_for(user)


def everything_staff_and_the_api_can_read(admin_client, backend, session) -> str:
    """The session through every exit, as a superuser and as the backend."""
    pages = [
        admin_client.get(f"/admin/masking/maskingsession/{session.pk}/change/"),
        admin_client.get(f"/admin/masking/maskingsession/{session.pk}/history/"),
        admin_client.get("/admin/masking/maskingsession/"),
        admin_client.get("/admin/masking/participant/"),
        admin_client.post(
            "/admin/masking/maskingsession/",
            {"action": "export_csv", "_selected_action": [session.pk]},
        ),
        backend.get(f"/api/sessions/{session.pk}/"),
        backend.get("/api/sessions/"),
    ]
    audit = json.dumps(list(AuditEntry.objects.values("changes", "object_repr")))
    return "".join(page.getvalue().decode() for page in pages) + audit


@pytest.mark.django_db
def test_generated_pins_are_shown_once_by_the_api_and_never_again(admin_client, backend, settings):
    settings.WEBHOOK_AUTH_HEADER = AUTH
    provider = APIClient()
    provider.credentials(HTTP_AUTHORIZATION=AUTH)
    VirtualNumberFactory(number=VN)
    opened = backend.post(
        "/api/sessions/",
        {
            "participant_a": "+6591230001",
            "participant_b": "+6591230002",
            "virtual_number": VN,
            "generate_pins": True,
        },
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    pins = opened.json()["pin_a"], opened.json()["pin_b"]
    assert all(len(pin) == 6 and pin.isdigit() for pin in pins)
    session = MaskingSession.objects.get(pk=opened.json()["id"])
    # Stored: their keyed hashes, never the digits.
    stored = list(Participant.objects.values_list("pin_hash", flat=True))
    assert sorted(stored) == sorted(pin_hash(virtual_number=VN, pin=pin) for pin in pins)
    read = everything_staff_and_the_api_can_read(admin_client, backend, session)
    assert not any(pin in read for pin in pins)
    # And the PIN still works: matched by its hash.
    call = PhoneCall(provider, "+6591239999")
    assert actions(call.start()) == ["say&capture"]
    assert actions(call.key(pins[0]))[-1] == "makeCall"


@pytest.mark.django_db
def test_generated_pins_are_shown_once_on_the_admins_answer(admin_client, backend):
    number = VirtualNumberFactory(number=VN)
    saved = admin_client.post(
        "/admin/masking/maskingsession/add/",
        {
            "virtual_number": number.pk,
            "participant_a": "+6591230001",
            "participant_b": "+6591230002",
            "started_at_0": "2026-01-01",
            "started_at_1": "00:00:00",
            "generate_pins": "on",
        },
    )
    assert saved.status_code == 200
    pins = [saved.context["pins"]["a"], saved.context["pins"]["b"]]
    assert all(pin in saved.content.decode() for pin in pins)
    assert "shown <strong>once</strong>" in saved.content.decode()
    session = MaskingSession.objects.get()
    read = everything_staff_and_the_api_can_read(admin_client, backend, session)
    assert not any(pin in read for pin in pins)
    assert not any(pin in str(list(Participant.objects.values())) for pin in pins)


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_the_pins_already_stored():
    executor = MigrationExecutor(connection)
    before, after = (
        [("masking", "0012_pin_lockout_one_current_per_scope")],
        [("masking", "0013_pins_stored_as_keyed_hashes")],
    )
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    number = old.get_model("masking", "VirtualNumber").objects.create(number=VN)
    session = old.get_model("masking", "MaskingSession").objects.create(
        virtual_number=number, status="open"
    )
    participants = old.get_model("masking", "Participant").objects
    participants.create(
        session=session, role="a", number="+6591230001", virtual_number=number, pin="482193"
    )
    participants.create(session=session, role="b", number="+6591230002", virtual_number=number)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    hashes = dict(Participant.objects.values_list("role", "pin_hash"))
    assert hashes == {"a": pin_hash(virtual_number=VN, pin="482193"), "b": ""}
