"""The admin as staff use it: each model's changelist, search, add (bad and good), and actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masking.models import MaskingSession, Prompt, RecordingOptIn, VirtualNumber
from masking.pins import pin_hash
from masking.services.consent import consent_record
from masking.services.sessions import session_close, session_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def number():
    return VirtualNumber.objects.create(number="+6531500101", label="Singapore riders 1")


@pytest.fixture
def session(number):
    return session_open(
        virtual_number=number,
        participant_a="+6591230001",
        participant_b="+6591230002",
        reference="booking-7731",
    )


def changelist(model):
    return reverse(f"admin:masking_{model._meta.model_name}_changelist")


def add_url(model):
    return reverse(f"admin:masking_{model._meta.model_name}_add")


@pytest.mark.parametrize("model", [VirtualNumber, MaskingSession, RecordingOptIn, Prompt])
def test_changelist_and_add_page_render(admin_client, session, model):
    assert admin_client.get(changelist(model)).status_code == 200
    assert admin_client.get(add_url(model)).status_code == 200


def test_changelist_needs_staff(client, session):
    response = client.get(changelist(MaskingSession))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- virtual numbers ---------------------------------------------------------------------------


def test_add_virtual_number_with_bad_number_shows_error(admin_client):
    response = admin_client.post(
        add_url(VirtualNumber), {"number": "not a number", "label": "x", "status": "active"}
    )
    assert response.status_code == 200
    assert "number" in response.context["adminform"].form.errors
    assert not VirtualNumber.objects.exists()


def empty_inline(prefix):
    """A read-only inline still posts its (empty) management form."""
    keys = ["TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"]
    return {f"{prefix}-{key}": "0" for key in keys}


def test_add_virtual_number_derives_country(admin_client):
    response = admin_client.post(
        add_url(VirtualNumber),
        {
            "number": "+6531500123",
            "label": "SG 2",
            "status": "active",
            "provider_reference": "r1",
            **empty_inline("provider_events"),
        },
    )
    assert response.status_code == 302
    number = VirtualNumber.objects.get()
    assert (str(number.number), number.country) == ("+6531500123", "SG")


def test_search_virtual_numbers(admin_client, number):
    VirtualNumber.objects.create(number="+6531500999", label="other")
    response = admin_client.get(changelist(VirtualNumber), {"q": "500101"})
    assert [n.pk for n in response.context["cl"].result_list] == [number.pk]


# --- sessions ----------------------------------------------------------------------------------


def session_form(number, **overrides):
    data = {
        "virtual_number": number.pk,
        "participant_a": "+6591230011",
        "participant_b": "+6591230012",
        "reference": "booking-1",
        "started_at_0": "",
        "started_at_1": "",
        "expires_at_0": "",
        "expires_at_1": "",
    }
    now = timezone.now()
    data["started_at_0"], data["started_at_1"] = now.strftime("%Y-%m-%d"), now.strftime("%H:%M:%S")
    data.update(overrides)
    return data


def test_add_session_opens_it_with_both_participants(admin_client, number):
    response = admin_client.post(add_url(MaskingSession), session_form(number))
    assert response.status_code == 302, response.context["adminform"].form.errors
    session = MaskingSession.objects.get()
    assert session.status == "open"
    assert sorted(str(p.number) for p in session.participants.all()) == [
        "+6591230011",
        "+6591230012",
    ]


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"participant_a": "12ab"}, "participant_a", "phone number"),
        ({"participant_b": "+6591230011"}, "participant_b", "different numbers"),
        ({"participant_a": "+6531500101"}, "participant_a", "virtual numbers"),
        ({"participant_a": "+6591230001"}, "participant_a", "already paired"),
    ],
)
def test_add_session_refuses_bad_pairings_with_a_form_error(
    admin_client, number, session, overrides, field, message
):
    before = MaskingSession.objects.count()
    response = admin_client.post(add_url(MaskingSession), session_form(number, **overrides))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert MaskingSession.objects.count() == before


def test_add_session_on_a_retired_number_is_refused(admin_client):
    retired = VirtualNumber.objects.create(number="+6531500199", status="retired")
    response = admin_client.post(add_url(MaskingSession), session_form(retired))
    assert response.status_code == 200
    assert "virtual_number" in response.context["adminform"].form.errors
    assert not MaskingSession.objects.exists()


@pytest.mark.parametrize(
    "query", ["booking-7731", "+6591230001", "6591230002", "31500101"], ids=str
)
def test_search_sessions_by_any_number_or_reference(admin_client, session, number, query):
    other = session_open(
        virtual_number=number, participant_a="+6591230088", participant_b="+6591230089"
    )
    response = admin_client.get(changelist(MaskingSession), {"q": query})
    found = [s.pk for s in response.context["cl"].result_list]
    assert session.pk in found
    if query != "31500101":
        assert other.pk not in found


def test_state_filter_tells_open_expired_and_closed_apart(admin_client, number, session):
    past = timezone.now() - timedelta(hours=2)
    expired = session_open(
        virtual_number=number,
        participant_a="+6591230021",
        participant_b="+6591230022",
        started_at=past,
        expires_at=past + timedelta(hours=1),
    )
    closed = session_open(
        virtual_number=number, participant_a="+6591230031", participant_b="+6591230032"
    )
    session_close(session=closed, reason="staff")
    for state, expected in [("open", session), ("expired", expired), ("closed", closed)]:
        response = admin_client.get(changelist(MaskingSession), {"state": state})
        assert [s.pk for s in response.context["cl"].result_list] == [expected.pk]
        assert f"session-state-{state}" in response.content.decode()


def test_end_sessions_action_closes_and_frees_routing_keys(admin_client, number, session):
    response = admin_client.post(
        changelist(MaskingSession),
        {"action": "end_sessions", "_selected_action": [session.pk], "post": "yes"},
        follow=True,
    )
    assert "Ended 1 session: booking-7731." in response.content.decode()
    session.refresh_from_db()
    assert (session.status, session.close_reason) == ("closed", "staff")
    assert not session.participants.filter(holds_routing_key=True).exists()
    # The same pair can now be paired again on the number.
    session_open(virtual_number=number, participant_a="+6591230001", participant_b="+6591230002")


def participant_inline(session):
    """The read-only participants inline still posts its management form and row ids."""
    data = {
        "participants-TOTAL_FORMS": "2",
        "participants-INITIAL_FORMS": "2",
        "participants-MIN_NUM_FORMS": "0",
        "participants-MAX_NUM_FORMS": "0",
    }
    data.update(empty_inline("calls"))
    for i, participant in enumerate(session.participants.all()):
        data[f"participants-{i}-id"] = participant.pk
        data[f"participants-{i}-session"] = session.pk
    return data


def test_change_session_edits_expiry_but_not_the_pairing(admin_client, session):
    url = reverse("admin:masking_maskingsession_change", args=[session.pk])
    page = admin_client.get(url)
    assert "participant_a" not in page.context["adminform"].form.fields
    expiry = timezone.now() + timedelta(days=1)
    response = admin_client.post(
        url,
        {
            "recording_requested": "on",
            "reference": "booking-7731b",
            "expires_at_0": expiry.strftime("%Y-%m-%d"),
            "expires_at_1": expiry.strftime("%H:%M:%S"),
            **participant_inline(session),
        },
    )
    assert response.status_code == 302, response.context["errors"]
    session.refresh_from_db()
    assert (session.reference, session.recording_requested) == ("booking-7731b", True)
    assert session.expires_at is not None


# --- recording opt-ins -------------------------------------------------------------------------


def test_add_opt_in_with_bad_number_shows_error(admin_client):
    response = admin_client.post(
        add_url(RecordingOptIn),
        {
            "number": "0000",
            "method": "admin",
            "opted_in_at_0": "2026-11-24",
            "opted_in_at_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "number" in response.context["adminform"].form.errors
    assert not RecordingOptIn.objects.exists()


def test_add_opt_in_records_who_recorded_it(admin_client, admin_user):
    response = admin_client.post(
        add_url(RecordingOptIn),
        {
            "number": "+6591230001",
            "method": "admin",
            "evidence": "form 7731",
            "opted_in_at_0": "2026-11-24",
            "opted_in_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    assert RecordingOptIn.objects.get().recorded_by == admin_user


def test_revoke_action_keeps_the_row_and_ends_consent(admin_client):
    opt_in = consent_record(number="+6591230001", method="admin")
    admin_client.post(
        changelist(RecordingOptIn), {"action": "revoke", "_selected_action": [opt_in.pk]}
    )
    opt_in.refresh_from_db()
    assert opt_in.revoked_at is not None
    assert not RecordingOptIn.objects.active().exists()
    response = admin_client.get(changelist(RecordingOptIn), {"q": "6591230001"})
    assert [o.pk for o in response.context["cl"].result_list] == [opt_in.pk]


# --- prompts -----------------------------------------------------------------------------------


def prompt_form(**overrides):
    data = {
        "purpose": "connecting",
        "language": "en",
        "voice_profile": "generic-en-female",
        "text": "Please hold.",
        "repetition": 1,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"language": "zh", "voice_profile": "generic-zn-male"}, "voice_profile"),
        ({"language": "zh", "voice_profile": "generic-en-female"}, "voice_profile"),
        ({"language": "ko", "voice_profile": "generic-sv-female"}, "language"),
        ({"repetition": 4}, "repetition"),
        ({"text": "x" * 3001}, "text"),
    ],
)
def test_add_prompt_refuses_what_the_catalog_does_not_offer(admin_client, overrides, field):
    response = admin_client.post(add_url(Prompt), prompt_form(**overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Prompt.objects.exists()


def test_korean_error_explains_why(admin_client):
    response = admin_client.post(
        add_url(Prompt), prompt_form(language="ko", voice_profile="generic-sv-female")
    )
    assert "Swedish" in " ".join(response.context["adminform"].form.errors["language"])


def test_add_prompt_in_chinese_female_voice(admin_client):
    response = admin_client.post(
        add_url(Prompt),
        prompt_form(language="zh", voice_profile="generic-zn-female", text="请稍候"),
    )
    assert response.status_code == 302
    assert Prompt.objects.get().language == "zh"


def test_search_prompts_by_text(admin_client):
    Prompt.objects.create(purpose="connecting", text="Please hold.")
    Prompt.objects.create(purpose="no_session", text="No booking found.")
    response = admin_client.get(changelist(Prompt), {"q": "booking"})
    assert [p.purpose for p in response.context["cl"].result_list] == ["no_session"]


def test_blank_virtual_number_is_allocated_by_the_same_service(admin_client, number, monkeypatch):
    import masking.admin.sessions as admin_sessions

    calls = []
    real = admin_sessions.session_create
    monkeypatch.setattr(
        admin_sessions, "session_create", lambda **kw: calls.append(kw) or real(**kw)
    )
    response = admin_client.post(add_url(MaskingSession), session_form(number, virtual_number=""))
    assert response.status_code == 302
    assert calls and calls[0]["virtual_number"] is None
    assert MaskingSession.objects.get().virtual_number == number


def test_blank_virtual_number_with_pool_exhausted_shows_the_apis_message(
    admin_client, number, session
):
    response = admin_client.post(
        add_url(MaskingSession),
        session_form(number, virtual_number="", participant_a="+6591230001"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["virtual_number"]
    assert "exhausted for these participants" in " ".join(errors)
    assert MaskingSession.objects.count() == 1


def test_prompt_list_shows_which_purposes_lack_a_prompt_in_which_language(admin_client):
    Prompt.objects.create(purpose="connecting", text="Hold on.")
    Prompt.objects.create(
        purpose="connecting", language="fr", voice_profile="generic-fr-female", text="Patientez."
    )
    rows = admin_client.get(changelist(Prompt)).context["missing_prompts"]
    by_code = {row["code"]: {m["purpose"]: m["instead"] for m in row["missing"]} for row in rows}
    assert set(by_code) == {"en", "fr"}
    assert "connecting" not in by_code["fr"] and "no session" in by_code["fr"]
    # What callers really hear: built-in texts where they apply, not "nothing".
    assert by_code["en"]["PIN request"] == "the built-in “Please enter your PIN.” (English)"
    assert by_code["en"]["wrong PIN"] == "the built-in “That PIN is not right.” (English)"
    assert by_code["fr"]["no session"] == "nothing, then the call ends"


def test_session_with_pins_shows_them_to_staff(admin_client, number):
    # Staff cannot type PINs (a refused one told which are live): they are generated, shown once.
    response = admin_client.post(
        add_url(MaskingSession), session_form(number, generate_pins="on", pin_a="482193")
    )
    assert response.status_code == 200  # the PINs' one showing: this answer
    session = MaskingSession.objects.get()
    stored = set(session.participants.values_list("pin_hash", flat=True))
    assert "" not in stored and pin_hash(virtual_number=number.number, pin="482193") not in stored
    assert "PIN for participant A" in response.content.decode()
    change = reverse("admin:masking_maskingsession_change", args=[session.pk])
    assert change in response.content.decode()
    assert "PIN for participant A" not in admin_client.get(change).content.decode()
    typed = admin_client.post(
        add_url(MaskingSession),
        session_form(number, participant_a="+6591230021", participant_b="+6591230022", pin_a="1"),
    )
    assert typed.status_code == 302
    assert (
        not MaskingSession.objects.exclude(pk=session.pk)
        .get()
        .participants.exclude(pin_hash="")
        .exists()
    )
