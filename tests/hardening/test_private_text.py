"""Numbers inside text, secrets and locations: private on every page, by construction.

Findings 5 to 9 of issue 23: the audit trail kept a full number; the callback secret was shown to
every viewer; numbers written with separators passed the redactor (which also broke webhook ids);
a recording's location showed whole; the simulator masked our own virtual number.
"""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from callflows.models import Call
from masking.models import AuditEntry, Callback, CallbackAttempt, CallbackEndpoint, RecordingOptIn
from masking.privacy import numbers_in_text_for, redact_text
from masking.services.consent import consent_record
from tests.callflows.fake_8x8 import RECORDING_SESSION, fake_8x8  # noqa: F401 (fixture)
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

VN, A, B = "+6531500101", "+6598761301", "+6598761302"


def viewer(username, *codenames, groups=()):
    user = User.objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def digits_of(number: str) -> list[str]:
    local = number[3:]
    return [number, number[1:], local, f"{local[:4]} {local[4:]}", f"{local[:4]}-{local[4:]}"]


def shows_a_number(html: str, *numbers) -> list[str]:
    return [form for n in numbers for form in digits_of(n) if form in html]


# --- 5. the audit trail ---------------------------------------------------------------------


def test_changing_an_opt_ins_number_keeps_no_full_number_in_the_audit_trail(client):
    opt_in = consent_record(number=A, method="admin", evidence="form")
    lead = User.objects.create_superuser("lead", password="pw")
    client.force_login(lead)
    url = reverse("admin:masking_recordingoptin_change", args=[opt_in.pk])
    response = client.post(
        url,
        {"number": "+6591230099", "opted_in_at_0": "2026-01-01", "opted_in_at_1": "10:00:00"}
        | {"evidence": "form"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert str(RecordingOptIn.objects.get(pk=opt_in.pk).number) == "+6591230099"
    entry = AuditEntry.objects.filter(action="changed").get()
    assert "6591230099" not in str(entry.changes) and "91230099" not in str(entry.changes)
    support = viewer("support", "view_auditentry")
    html = page(client, support, reverse("admin:masking_auditentry_change", args=[entry.pk]))
    assert shows_a_number(html, "+6591230099") == []


def test_an_old_entry_holding_a_number_is_shown_masked(client):
    entry = AuditEntry.objects.create(
        via="admin", action="changed", object_type="x", object_id="1", changes={"number": A}
    )
    support = viewer("support", "view_auditentry")
    html = page(client, support, reverse("admin:masking_auditentry_change", args=[entry.pk]))
    assert shows_a_number(html, A) == []


# --- 6. the callback signing secret ---------------------------------------------------------


def test_the_signing_secret_is_shown_once_then_its_last_four_characters(client):
    lead = User.objects.create_superuser("lead", password="pw")
    endpoint = CallbackEndpoint.objects.create(url="https://backend.example.com/hooks")
    for url in (
        reverse("admin:masking_callbackendpoint_changelist"),
        reverse("admin:masking_callbackendpoint_change", args=[endpoint.pk]),
    ):
        html = page(client, lead, url)
        assert endpoint.secret not in html and endpoint.secret[6:20] not in html
        assert endpoint.secret[-4:] in html
    # Rotating answers the new secret once, on that page.
    response = client.post(
        reverse("admin:masking_callbackendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.secret in response.content.decode()
    html = page(client, lead, reverse("admin:masking_callbackendpoint_changelist"))
    assert endpoint.secret not in html


@pytest.mark.parametrize("group", ["Support", "Operations"])
def test_support_and_operations_cannot_open_the_callback_endpoint(client, group):
    call_command("setup_staff_groups", verbosity=0)
    CallbackEndpoint.objects.create(url="https://backend.example.com/hooks")
    client.force_login(viewer("staff", groups=[group]))
    response = client.get(reverse("admin:masking_callbackendpoint_changelist"))
    assert response.status_code == 403


# --- 7. numbers with separators, and ids ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "GET /admin/masking/maskingsession/?q=9876+1301 HTTP/1.1",
        "GET /api/sessions/?participant=%2B65+9876+1301 HTTP/1.1",
        "GET /admin/callflows/call/?q=%2B65-9876-1301 HTTP/1.1",
        "receiver said: unknown customer +65 9876 1301",
        "callee (65) 9876.1301 busy",
        "callee 65-9876-1301",
        "sftp://h/p/rec_6598761301_6598761302.wav",
        "s3://b/rec6598761301.wav",
    ],
)
def test_the_redactor_finds_numbers_however_they_are_written(text):
    redacted = redact_text(text)
    assert shows_a_number(redacted, A, B) == [] and "1301" not in redacted


@pytest.mark.parametrize(
    "identifier",
    [
        "msg_3f2a9b1c0d6598761301aa72f4c0ffee",
        "e35e3d0e-065a-11ec-b119-676cb2bc33ef",
        "a3f96598761301bc",
        "2026-12-04 13:31:14,123",
        "127.0.0.1:8000",
        "msg_3f2a9b1c0d6598761301aa72f4c0ffee  e35e3d0e-065a-11ec-b119-676cb2bc33ef",
        "a3f96598761301bc \u2009 2026-12-04  13:31:14",
    ],
)
def test_the_redactor_leaves_ids_times_and_addresses_alone(identifier):
    assert redact_text(f"delivered {identifier} ok") == f"delivered {identifier} ok"


WIDE_GAPS = [
    "GET /admin/masking/maskingsession/?q=%2B65%20%209876%20%201301 HTTP/1.1",
    "GET /api/sessions/?participant=%2B65++9876++1301 HTTP/1.1",
    "GET /api/sessions/?participant=%2B65%E2%80%899876%E2%80%891301 HTTP/1.1",
    "GET /api/sessions/%2B65%E2%80%899876%E2%80%891301/ HTTP/1.1",
    "receiver said: no such user +65 \u2009 9876 - 1301",
    "callee +65\u00a09876\u202f1301 busy",
    "callee (65)  9876 \u2013 1301",
]


@pytest.mark.parametrize("text", WIDE_GAPS)
def test_the_redactor_finds_numbers_written_with_wider_gaps(text):
    """Review: one separator at most between digits let "+65  9876  1301" (two spaces) or thin
    spaces through whole, while every lookup reads a term by its digits alone."""
    assert "1301" not in redact_text(text)


@pytest.mark.parametrize("text", WIDE_GAPS)
def test_restricted_staff_do_not_read_numbers_with_wider_gaps_whole(text):
    assert "1301" not in numbers_in_text_for(text)  # no viewer: masked


def test_a_receivers_error_body_and_8x8s_error_are_masked_on_their_pages(client):
    CallbackEndpoint.objects.create(url="https://backend.example.com/hooks")
    session = open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    callback = Callback.objects.filter(session=session).first()
    body = "HTTP 422: unknown customer +65 9876 1301 / 65-9876-1302"
    Callback.objects.filter(pk=callback.pk).update(last_error=body)
    CallbackAttempt.objects.create(
        callback=callback, number=1, error=body, status_code=422, started_at=timezone.now()
    )
    call = Call.objects.create(
        provider_session_id="err-1",
        caller=A,
        virtual_number=VN,
        error_message=f"callee {B[:3]} {B[3:7]} {B[7:]}",
    )
    support = viewer("support", "view_callback", "view_callbackattempt", "view_call")
    for url in (
        reverse("admin:masking_callback_changelist"),
        reverse("admin:masking_callback_change", args=[callback.pk]),
        reverse("admin:callflows_call_change", args=[call.pk]),
    ):
        html = page(client, support, url)
        assert shows_a_number(html, A, B) == [], url
    assert callback.webhook_id in page(
        client, support, reverse("admin:masking_callback_changelist")
    )


# --- 8. the recording's location ------------------------------------------------------------


def test_a_recordings_location_is_redacted_without_full_numbers(client, fake_8x8):  # noqa: F811
    url = f"sftp://h/p/rec_{A[1:]}_{B[1:]}.wav"
    fake_8x8.recordings["recordings"][0]["externalFileUrl"] = url
    call = Call.objects.create(provider_session_id=RECORDING_SESSION, recorded=True, caller=A)
    staff = viewer("recordings", "view_call", "view_recording_status")
    html = page(client, staff, reverse("admin:callflows_call_change", args=[call.pk]))
    assert "Landed at" in html
    assert shows_a_number(html, A, B) == []


@pytest.mark.parametrize("group", ["Support", "Operations"])
def test_support_and_operations_do_not_see_where_recordings_are(client, group):
    call_command("setup_staff_groups", verbosity=0)
    call = Call.objects.create(
        provider_session_id="rec-1", recorded=True, recording_path="s3://bucket/calls/rec-1.wav"
    )
    html = page(
        client,
        viewer("staff", groups=[group]),
        reverse("admin:callflows_call_change", args=[call.pk]),
    )
    assert "s3://bucket/calls/rec-1.wav" not in html and "recording path" not in html


# --- 9. virtual numbers are ours -------------------------------------------------------------


def test_the_simulator_shows_our_virtual_number_whole(client):
    session = open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    support = viewer("support", "view_maskingsession")
    client.force_login(support)
    response = client.get(
        "/admin/simulator/", {"virtual_number": session.virtual_number_id, "caller": A}
    )
    html = response.content.decode()
    shown_json = response.context["result"]["json"]
    assert f'"source": "{VN[1:]}"' in shown_json  # as 8x8 receives it
    assert shows_a_number(shown_json, A, B) == []
    assert shows_a_number(html.replace(f'value="{A}"', ""), A, B) == []


def test_a_model_serializer_masks_a_number_field_nobody_declared():
    """The API's serializers take the policy from the model: a field a new serializer lists
    without saying what it is is answered masked."""
    from masking.api.fields import PrivateModelSerializer
    from masking.privacy import mask

    class Probe(PrivateModelSerializer):
        class Meta:
            model = Call
            fields = ["caller", "virtual_number"]

    call = Call.objects.create(provider_session_id="probe", caller=A, virtual_number=VN)
    assert Probe(call).data == {"caller": mask(A), "virtual_number": VN}
