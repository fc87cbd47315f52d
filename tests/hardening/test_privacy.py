"""Numbers stay private: masked for staff without the permission, absent from logs, audited."""

import io
import logging
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.utils import timezone

from callflows.models import Call, CallAction
from masking.models import AuditEntry, PinLockout
from masking.privacy import mask
from masking.services.consent import consent_record
from tests.callflows import payloads
from tests.callflows.conftest import VN, A, B, call_action
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
FULL = re.compile(r"\+?65(9123000[12]|31500101)")


@pytest.mark.parametrize(
    "number, shown",
    [("+6591230001", "+65 •••• •001"), ("+12025550101", "+1 •••• •••101"), ("", "-")],
)
def test_mask(number, shown):
    assert mask(number) == shown


def staff(full_numbers: bool):
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    codenames = [
        "view_maskingsession",
        "change_maskingsession",
        "view_recordingoptin",
        "change_recordingoptin",
        "view_call",
        "view_pinlockout",
    ]
    if full_numbers:
        codenames.append("view_full_numbers")
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize("full_numbers", [False, True])
def test_admin_shows_numbers_only_to_staff_with_the_permission(client, full_numbers):
    session = open_session(
        virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, reference="booking-1"
    )
    opt_in = consent_record(number=A, method="admin")
    Call.objects.create(
        provider_session_id="s1",
        caller=A,
        masking_session=session,
        answer={
            "callflow": [
                {
                    "action": "makeCall",
                    "params": {"source": "6531500101", "destination": "6591230002"},
                }
            ]
        },
    )
    CallAction.objects.create(
        event_id="e1",
        call=Call.objects.get(),
        outcome="connect",
        answer=Call.objects.get().answer,
        answered_at=timezone.now(),
    )
    lockout = PinLockout.objects.create(
        virtual_number=session.virtual_number,
        caller=A,
        wrong_pins=5,
        locked_until=timezone.now() + timedelta(hours=1),
    )
    client.force_login(staff(full_numbers))
    pages = [
        "/admin/masking/pinlockout/",
        f"/admin/masking/pinlockout/{lockout.pk}/change/",
        "/admin/masking/maskingsession/",
        f"/admin/masking/maskingsession/{session.pk}/change/",
        "/admin/masking/recordingoptin/",
        f"/admin/masking/recordingoptin/{opt_in.pk}/change/",
        "/admin/callflows/call/",
        f"/admin/callflows/call/{Call.objects.get().pk}/change/",
    ]
    for page in pages:
        html = client.get(page).content.decode()
        people = re.findall(r"\+?659123000[12]", html)
        if full_numbers:
            assert people, page
        else:
            assert not people, page
            assert "•••• •00" in html, page
    # Searching by a full number still finds the pairing (the searcher typed it).
    found = client.get("/admin/masking/maskingsession/", {"q": A})
    assert [s.pk for s in found.context["cl"].result_list] == [session.pk]


def test_logs_never_carry_a_full_number(provider, prompts, pairing, admin_client, monkeypatch):
    """Run the main flows with the configured console handler writing to a buffer, then search."""
    handler = logging.getLogger().handlers[0]
    buffer = io.StringIO()
    monkeypatch.setattr(handler, "stream", buffer)
    monkeypatch.setattr(logging.getLogger(), "level", logging.DEBUG)
    provider.post("/callflows/8x8/call-action/", call_action(A, VN), format="json")
    provider.post("/callflows/8x8/call-action/", call_action("+6591239999", VN), format="json")
    provider.post("/callflows/8x8/call-action/", call_action("bad", VN), format="json")
    provider.post("/callflows/8x8/session-summary/", payloads.summary(), format="json")
    monkeypatch.setattr("callflows.answer.decide", lambda *a, **k: 1 / 0)
    provider.post("/callflows/8x8/call-action/", call_action(A, VN), format="json")
    admin_client.post("/admin/masking/maskingsession/add/", {"participant_a": A})
    admin_client.get(f"/admin/masking/maskingsession/?q={B}")
    admin_client.get("/api/sessions/", {"participant": A})
    provider.credentials(HTTP_AUTHORIZATION="wrong")
    provider.post("/callflows/8x8/call-action/", call_action(B, VN), format="json")
    output = buffer.getvalue()
    assert "answering apology" in output  # the flows did log
    assert not re.search(r"\+?\d{8,15}", output), output


def test_consent_changes_are_audited_with_who_and_how(admin_client, admin_user):
    admin_client.post(
        "/admin/masking/recordingoptin/add/",
        {
            "number": A,
            "method": "admin",
            "evidence": "form 1",
            "opted_in_at_0": "2026-11-24",
            "opted_in_at_1": "10:00:00",
        },
    )
    from masking.models import RecordingOptIn

    opt_in = RecordingOptIn.objects.get()
    admin_client.post(
        "/admin/masking/recordingoptin/", {"action": "revoke", "_selected_action": [opt_in.pk]}
    )
    trail = list(AuditEntry.objects.order_by("id").values_list("actor", "via", "action"))
    assert trail == [(admin_user.pk, "admin", "opted in"), (admin_user.pk, "admin", "revoked")]
    assert not FULL.search(str(list(AuditEntry.objects.values("object_repr", "changes"))))


def test_retention_is_audited():
    from datetime import timedelta

    from django.utils import timezone

    call = Call.objects.create(provider_session_id="old", caller=A)
    Call.objects.filter(pk=call.pk).update(created_at=timezone.now() - timedelta(days=200))
    call_command("purge_call_records", stdout=io.StringIO())
    entry = AuditEntry.objects.get()
    assert (entry.via, entry.action, entry.object_id, entry.actor) == (
        "retention",
        "anonymised",
        str(call.pk),
        None,
    )
