"""The disclosure policy's edges: search is no oracle, the API checks the right permission before
anything is looked up, and a person's number can never become a caller ID."""

import contextlib
from datetime import timedelta
from itertools import combinations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from callflows.models import Call
from callflows.pool import number_updates_ingest
from masking.models import MaskingSession, PinLockout, RecordingOptIn, VirtualNumber
from masking.services.consent import consent_record
from tests.callflows import payloads
from tests.callflows.conftest import call_action
from tests.factories import VirtualNumberFactory, open_session
from tests.masking.api.conftest import client_for

pytestmark = pytest.mark.django_db

VN, A, B = "+6531500101", "+6598761201", "+6598761202"
LOCAL = A[3:]  # the 8 local digits: "98761201"


@pytest.fixture
def restricted_staff(client):
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__regex=r"^(view|change|add)_").exclude(
            codename="view_full_numbers"
        )
    )
    client.force_login(user)
    return client


@pytest.fixture
def paired(db):
    session = open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    consent_record(number=A, method="admin")
    Call.objects.create(provider_session_id="call-1", caller=A, virtual_number=VN)
    PinLockout.objects.create(
        virtual_number=session.virtual_number,
        caller=A,
        wrong_pins=5,
        locked_until=timezone.now() + timedelta(hours=1),
    )
    return session


CHANGELISTS = [
    "/admin/masking/maskingsession/",
    "/admin/callflows/call/",
    "/admin/masking/recordingoptin/",
    "/admin/masking/pinlockout/",
]


def found(client, changelist, query) -> int:
    response = client.get(changelist, query)
    assert response.status_code == 200
    return response.context["cl"].result_count


def partial_searches() -> list[str]:
    """Every way to type 7 of the 8 local digits, and a few prefixes with the country code."""
    sevens = {"".join(keep) for keep in combinations(LOCAL, 7)}
    return sorted(sevens | {f"+65{LOCAL[:7]}", f"65{LOCAL[:7]}", f"{LOCAL[:4]} {LOCAL[4:7]}"})


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_part_of_a_number_finds_nothing_for_restricted_staff(restricted_staff, paired, changelist):
    assert [q for q in partial_searches() if found(restricted_staff, changelist, {"q": q})] == []


@pytest.mark.parametrize("changelist", CHANGELISTS)
@pytest.mark.parametrize("typed", [A, A[1:], LOCAL, f"{LOCAL[:4]} {LOCAL[4:]}", "+65 9876 1201"])
def test_the_whole_number_finds_the_person(restricted_staff, paired, changelist, typed):
    assert found(restricted_staff, changelist, {"q": typed}) == 1


@pytest.mark.parametrize(
    "changelist, lookup",
    [
        ("/admin/callflows/call/", "caller__startswith"),
        ("/admin/callflows/call/", "caller__contains"),
        ("/admin/masking/recordingoptin/", "number__startswith"),
        ("/admin/masking/recordingoptin/", "number__regex"),
        ("/admin/masking/maskingsession/", "participants__number__startswith"),
    ],
)
def test_query_string_lookups_on_numbers_are_refused(restricted_staff, paired, changelist, lookup):
    response = restricted_staff.get(changelist, {lookup: A[:8]})
    assert response.status_code == 400


def test_staff_with_the_permission_find_by_any_digits(client, paired):
    client.force_login(User.objects.create_superuser("lead", password="pw"))
    assert found(client, "/admin/masking/maskingsession/", {"q": LOCAL[2:6]}) == 1
    # Query-string lookups the list does not offer are refused for everyone (masking.admin.base).
    assert client.get("/admin/callflows/call/", {"caller__startswith": A[:8]}).status_code == 400


def test_text_search_still_works_for_restricted_staff(restricted_staff, db):
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, reference="bk-7731")
    assert found(restricted_staff, "/admin/masking/maskingsession/", {"q": "bk-7731"}) == 1


# --- the API's permission matrix -------------------------------------------------------------

# (method, path, the permission it needs); {s} a session id, {n} a number's, {o} an opt-in's.
ENDPOINTS = [
    ("get", "/api/sessions/", "view_maskingsession"),
    ("head", "/api/sessions/?participant=%2B6598761201", "view_maskingsession"),
    ("options", "/api/sessions/", "view_maskingsession"),
    ("get", "/api/sessions/{s}/", "view_maskingsession"),
    ("head", "/api/sessions/{s}/", "view_maskingsession"),
    ("options", "/api/sessions/{s}/", "view_maskingsession"),
    ("post", "/api/sessions/", "add_maskingsession"),
    ("patch", "/api/sessions/{s}/", "change_maskingsession"),
    ("post", "/api/sessions/{s}/close/", "change_maskingsession"),
    ("post", "/api/sessions/{s}/reopen/", "change_maskingsession"),
    ("get", "/api/virtual-numbers/", "view_virtualnumber"),
    ("head", "/api/virtual-numbers/{n}/", "view_virtualnumber"),
    ("options", "/api/virtual-numbers/", "view_virtualnumber"),
    ("post", "/api/virtual-numbers/", "add_virtualnumber"),
    ("patch", "/api/virtual-numbers/{n}/", "change_virtualnumber"),
    ("get", "/api/recording-opt-ins/", "view_recordingoptin"),
    ("head", "/api/recording-opt-ins/{o}/", "view_recordingoptin"),
    ("options", "/api/recording-opt-ins/", "view_recordingoptin"),
    ("post", "/api/recording-opt-ins/", "add_recordingoptin"),
    ("post", "/api/recording-opt-ins/{o}/revoke/", "change_recordingoptin"),
]
BODIES = {
    ("post", "/api/sessions/"): {"participant_a": "+6598761203", "participant_b": "+6598761204"},
    ("patch", "/api/sessions/{s}/"): {"reference": "changed"},
    ("post", "/api/virtual-numbers/"): {"number": "+6531500199"},
    ("patch", "/api/virtual-numbers/{n}/"): {"label": "changed"},
    ("post", "/api/recording-opt-ins/"): {"number": "+6598761209"},
}
KINDS = ["view", "add", "change", "none"]


def token_with(kind: str) -> APIClient:
    user = User.objects.create_user(f"token-{kind}")
    if kind != "none":
        user.user_permissions.set(
            Permission.objects.filter(codename__startswith=f"{kind}_").exclude(
                codename="view_full_numbers"
            )
        )
    return client_for(user)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("method, template, needed", ENDPOINTS)
def test_api_permission_matrix(paired, kind, method, template, needed):
    client = token_with(kind)
    opt_in = RecordingOptIn.objects.get()
    path = template.format(s=paired.pk, n=paired.virtual_number_id, o=opt_in.pk)
    before = snapshot()
    response = getattr(client, method)(path, BODIES.get((method, template)), format="json")
    allowed = needed.startswith(f"{kind}_")
    if allowed:
        assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code == 403
        # Refused before anything is looked up: the same bytes whatever the request names.
        assert response.content in (
            b"",
            b'{"error":"permission_denied","detail":'
            b'"You do not have permission to perform this action."}',
        )
        assert snapshot() == before


def snapshot():
    return (
        list(MaskingSession.objects.values_list("id", "status", "reference", "closed_at")),
        list(VirtualNumber.objects.values_list("id", "number", "label", "status")),
        list(RecordingOptIn.objects.values_list("id", "revoked_at")),
    )


@pytest.mark.parametrize("participant", [A, "+6598761299"])
def test_a_token_without_view_cannot_tell_who_is_paired(paired, participant):
    response = token_with("none").head("/api/sessions/", {"participant": participant})
    assert (response.status_code, response.get("Content-Length")) == (403, None) or (
        response.status_code == 403 and response.content == b""
    )


def test_a_restricted_token_finds_a_session_by_the_whole_number_only(paired):
    client = token_with("view")
    whole = client.get("/api/sessions/", {"participant": A}).json()
    assert [s["id"] for s in whole["results"]] == [paired.pk]
    assert whole["results"][0]["participant_a"] == "+65 •••• •201"
    partial = client.get("/api/sessions/", {"participant": A[:-1]}).json()
    assert partial["results"] == []


def test_the_backend_user_with_the_permission_gets_numbers_whole(paired):
    user = User.objects.create_user("backend")
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_maskingsession", "view_full_numbers"])
    )
    session = client_for(user).get(f"/api/sessions/{paired.pk}/").json()
    assert (session["participant_a"], session["participant_b"]) == (A, B)


# --- renumbering ---------------------------------------------------------------------------


def test_api_cannot_renumber_a_number_that_has_held_sessions(paired, api_full):
    before = snapshot()
    response = api_full.patch(
        f"/api/virtual-numbers/{paired.virtual_number_id}/", {"number": A}, format="json"
    )
    assert response.status_code == 400
    assert "number" in response.json()["fields"]
    assert snapshot() == before


def test_api_cannot_add_a_participants_number_to_the_pool(paired, api_full):
    response = api_full.post("/api/virtual-numbers/", {"number": B}, format="json")
    assert response.status_code == 400
    assert "person's real number" in response.json()["fields"]["number"][0]
    assert not VirtualNumber.objects.filter(number=B).exists()


def test_a_number_that_never_held_a_session_may_still_be_corrected(api_full, db):
    number = VirtualNumberFactory(number="+6531500177")
    response = api_full.patch(
        f"/api/virtual-numbers/{number.pk}/", {"number": "+6531500178"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["number"] == "+6531500178"


def test_admin_cannot_renumber_a_number_that_has_held_sessions(client, paired):
    client.force_login(User.objects.create_superuser("lead", password="pw"))
    vn = paired.virtual_number
    response = client.post(
        f"/admin/masking/virtualnumber/{vn.pk}/change/",
        {
            "number": A,
            "label": vn.label,
            "status": vn.status,
            "provider_reference": "",
            "numberevent_set-TOTAL_FORMS": 0,
            "numberevent_set-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "cannot change" in str(response.context["adminform"].form.errors["number"])
    vn.refresh_from_db()
    assert str(vn.number) == VN


def test_csv_import_refuses_a_participants_number(client, paired):
    client.force_login(User.objects.create_superuser("lead", password="pw"))
    upload = SimpleUploadedFile("pool.csv", f"number,label\n{A},oops\n".encode())
    response = client.post("/admin/masking/virtualnumber/import/", {"file": upload})
    assert "paired in an open session" in response.content.decode()
    assert not VirtualNumber.objects.filter(number=A).exists()


def test_an_8x8_snapshot_listing_a_participants_number_does_not_add_it(paired):
    update = {"msisdn": A, "operationalStatus": "ACTIVE"}
    # Refused whole (an error) is acceptable; adding it is not.
    with contextlib.suppress(ValidationError):
        number_updates_ingest(update_type="SNAPSHOT", numbers=[update], raw_numbers=[update])
    assert not VirtualNumber.objects.filter(number=A).exists()


def test_renumbering_attack_does_not_change_the_callflow(paired, api_full, provider, prompts):
    api_full.patch(
        f"/api/virtual-numbers/{paired.virtual_number_id}/", {"number": A}, format="json"
    )
    body = provider.post("/callflows/8x8/call-action/", call_action(B, VN), format="json").json()
    make_call = body["callflow"][-1]["params"]
    assert A[1:] not in (make_call["source"], make_call.get("source", "").lstrip("+"))
    assert make_call["destination"].lstrip("+") == A[1:]


@pytest.fixture
def api_full(db):
    user = User.objects.create_user("backend-full")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    return client_for(user)


@pytest.mark.parametrize("full, shown", [(True, A), (False, "+65 •••• •201")])
def test_the_backend_user_is_set_up_by_one_command(paired, full, shown):
    call_command("setup_api_user", "backend", *(["--full-numbers"] if full else []))
    client = client_for(User.objects.get(username="backend"))
    assert client.get(f"/api/sessions/{paired.pk}/").json()["participant_a"] == shown
    closed = client.post(f"/api/sessions/{paired.pk}/close/")
    assert closed.status_code == 200
    assert client.patch(f"/api/virtual-numbers/{paired.virtual_number_id}/", {}).status_code == 403


def test_an_8x8_snapshot_with_a_participants_number_is_answered_and_applied_around_it(
    paired, provider
):
    body = payloads.numbers("SNAPSHOT", payloads.number(A), payloads.number("+6531500155"))
    response = provider.post("/callflows/8x8/virtual-number-updated/", body, format="json")
    assert response.status_code == 200
    assert not VirtualNumber.objects.filter(number=A).exists()
    # The rest of the snapshot still applies; refusing it whole would make 8x8 redeliver forever.
    assert VirtualNumber.objects.filter(number="+6531500155").exists()
