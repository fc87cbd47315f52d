"""A number's open-session counter never disagrees with its open sessions, after every path that
opens, closes, reopens, retires, imports or deletes. The dashboard, pool use and allocation all
read the counter, never a count.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from masking.models import MaskingSession, VirtualNumber
from masking.services.sessions import session_close, session_reopen
from tests.callflows import payloads
from tests.callflows.conftest import AUTH
from tests.factories import VirtualNumberFactory, open_session, participant_number

pytestmark = pytest.mark.django_db
A, B = "+6591230001", "+6591230002"


def counters_disagree() -> dict:
    """{number: (counter, open sessions)} for every number where the two differ."""
    counted = dict(
        MaskingSession.objects.open()
        .values("virtual_number")
        .annotate(n=Count("id"))
        .values_list("virtual_number", "n")
    )
    return {
        str(n.number): (n.open_sessions, counted.get(n.pk, 0))
        for n in VirtualNumber.objects.all()
        if n.open_sessions != counted.get(n.pk, 0)
    }


@pytest.fixture
def pool(db):
    return [VirtualNumberFactory(number=f"+653150010{i}") for i in range(1, 4)]


def api_client(django_user_model):
    from django.contrib.auth.models import Permission
    from rest_framework.test import APIClient

    user = django_user_model.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_every_path_keeps_the_counter_equal_to_the_rows(
    pool, admin_client, django_user_model, settings
):
    api = api_client(django_user_model)
    steps = []

    def step(name):
        steps.append((name, counters_disagree()))

    # API: open with allocation, with a chosen number, close, reopen, a refused reopen.
    created = api.post("/api/sessions/", {"participant_a": A, "participant_b": B}, format="json")
    step("api open (allocated)")
    chosen = api.post(
        "/api/sessions/",
        {"participant_a": A, "participant_b": "+6591230003", "virtual_number": "+6531500102"},
        format="json",
    )
    step("api open (chosen number)")
    api.post(f"/api/sessions/{created.json()['id']}/close/")
    step("api close")
    api.post(f"/api/sessions/{created.json()['id']}/reopen/")
    step("api reopen")
    api.post(
        "/api/sessions/",
        {"participant_a": A, "participant_b": B, "virtual_number": "+6531500101"},
        format="json",
    )  # refused: the routing key is held
    step("api open refused")

    # Admin: add, end by action, a refused delete (sessions are closed, never deleted).
    now = timezone.now()
    added = admin_client.post(
        reverse("admin:masking_maskingsession_add"),
        {
            "virtual_number": pool[2].pk,
            "participant_a": "+6591230005",
            "participant_b": "+6591230006",
            "started_at_0": now.strftime("%Y-%m-%d"),
            "started_at_1": now.strftime("%H:%M:%S"),
            "reference": "admin-1",
        },
    )
    assert added.status_code == 302
    step("admin add")
    added = MaskingSession.objects.get(reference="admin-1")
    admin_client.post(
        reverse("admin:masking_maskingsession_changelist"),
        {"action": "end_sessions", "_selected_action": [added.pk]},
    )
    step("admin end action")
    kept = open_session(virtual_number=pool[2])
    admin_client.post(
        reverse("admin:masking_maskingsession_delete", args=[kept.pk]), {"post": "yes"}
    )
    step("admin delete (refused)")
    admin_client.post(
        reverse("admin:masking_maskingsession_changelist"),
        {"action": "delete_selected", "_selected_action": [kept.pk], "post": "yes"},
    )
    step("admin bulk delete (refused)")

    # CSV import of sessions, one allocated.
    upload = SimpleUploadedFile(
        "rows.csv", b"participant_a,participant_b\n+6591230007,+6591230008\n"
    )
    url = "/admin/masking/maskingsession/import/"
    page = admin_client.post(url, {"file": upload})
    admin_client.post(url, {"confirm": "1", "payload": page.context["payload"]})
    step("csv import")

    # Expiry: the sweep, and an opening that frees a key an expired session still held.
    past = timezone.now() - timedelta(hours=2)
    expired = open_session(
        virtual_number=pool[0], started_at=past, expires_at=past + timedelta(hours=1)
    )
    open_session(
        virtual_number=pool[0],
        a=str(expired.participants.get(role="a").number),
        b=participant_number(),
    )
    step("open releasing an expired key")
    open_session(virtual_number=pool[1], started_at=past, expires_at=past + timedelta(hours=1))
    call_command("close_expired_sessions", verbosity=0)
    step("sweep")

    # A full number refuses, and the refusal counts nothing.
    settings.MASKING_NUMBER_CAPACITY = VirtualNumber.objects.get(pk=pool[2].pk).open_sessions
    with pytest.raises(ValidationError):
        open_session(virtual_number=VirtualNumber.objects.get(pk=pool[2].pk))
    settings.MASKING_NUMBER_CAPACITY = 1000
    step("open refused (full)")

    # Retirement: by the API, by the admin, by 8x8's number event.
    api.patch(
        f"/api/virtual-numbers/{pool[0].pk}/",
        {"status": "retired", "end_open_sessions": True},
        format="json",
    )
    step("api retire")
    number = VirtualNumber.objects.get(pk=pool[1].pk)
    page = admin_client.get(reverse("admin:masking_virtualnumber_change", args=[number.pk]))
    inline = page.context["inline_admin_formsets"][0].formset.management_form
    retired = admin_client.post(
        reverse("admin:masking_virtualnumber_change", args=[number.pk]),
        {
            "number": str(number.number),
            "label": number.label,
            "status": "retired",
            "confirm_retire": "yes",
            **{f"{inline.prefix}-{k}": v for k, v in inline.initial.items()},
        },
    )
    assert retired.status_code == 302
    step("admin retire")
    settings.WEBHOOK_AUTH_HEADER = AUTH
    admin_client.post(
        "/callflows/8x8/virtual-number-updated/",
        payloads.numbers("UPDATES", payloads.number(str(pool[2].number), status="Inactive")),
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    step("8x8 retires a number")

    # Reopening a session of a retired number is refused and counts nothing.
    with pytest.raises(ValidationError):
        session_reopen(session=MaskingSession.objects.closed().first())
    step("reopen refused")

    assert [name for name, problems in steps if problems] == [], steps
    assert MaskingSession.objects.filter(pk=kept.pk).exists(), "sessions are never deleted"
    assert VirtualNumber.objects.filter(status="retired").count() == 3
    assert not MaskingSession.objects.open().exists()
    assert chosen.status_code == 201


def test_the_session_admin_offers_no_delete(admin_client, pool):
    session = open_session(virtual_number=pool[0])
    session_close(session=session, reason="staff")
    change = admin_client.get(reverse("admin:masking_maskingsession_change", args=[session.pk]))
    assert b"deletelink" not in change.content
    changelist = admin_client.get(reverse("admin:masking_maskingsession_changelist"))
    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"].choices)
    delete = admin_client.get(reverse("admin:masking_maskingsession_delete", args=[session.pk]))
    assert delete.status_code == 403
