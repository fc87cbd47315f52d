"""A refusal that tells whether a whole number is known ("+65... is already paired on ...",
"already opted in") is a whole-number lookup for a viewer without `masking.view_full_numbers`:
limited and audited like search, so opening a session (admin or API) or an opt-in is no free
oracle. Both participants with the same number keep the probes from ever opening anything."""

import pytest
from django.contrib.auth.models import Permission, User

from masking.models import AuditEntry, MaskingSession
from masking.services.sessions import session_create
from tests.factories import VirtualNumberFactory
from tests.masking.api.conftest import client_for

VN = "+6531500101"


@pytest.mark.django_db
def test_opening_a_session_is_no_uncounted_number_lookup(settings):
    settings.MASKING_NUMBER_LOOKUPS_PER_HOUR = 1
    number = VirtualNumberFactory(number=VN)
    session_create(virtual_number=number, participant_a="+6591230001", participant_b="+6591230002")
    user = User.objects.create_user("partner")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="masking").exclude(
            codename="view_full_numbers"
        )
    )
    api = client_for(user)

    def probe(candidate):
        answer = api.post(
            "/api/sessions/",
            {"participant_a": candidate, "participant_b": candidate, "virtual_number": VN},
            format="json",
        )
        assert answer.status_code == 400, answer.content
        return "already paired" in answer.content.decode()

    told = {n: probe(n) for n in ("+6591230009", "+6591230001")}
    assert MaskingSession.objects.count() == 1
    lookups = AuditEntry.objects.filter(actor=user, action="looked up").count()
    assert told["+6591230001"] == told["+6591230009"] or lookups >= 1, told


@pytest.mark.django_db
def test_recording_an_opt_in_is_no_uncounted_number_lookup(settings):
    from masking.models import RecordingOptIn
    from masking.services.consent import consent_record

    settings.MASKING_NUMBER_LOOKUPS_PER_HOUR = 1
    consent_record(number="+6591230001", method=RecordingOptIn.Method.API, evidence="x")
    user = User.objects.create_user("partner")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="masking").exclude(
            codename="view_full_numbers"
        )
    )
    api = client_for(user)
    answers = {
        n: api.post(
            "/api/recording-opt-ins/", {"number": n, "evidence": "x"}, format="json"
        ).status_code
        for n in ("+6591230009", "+6591230001")
    }
    lookups = AuditEntry.objects.filter(actor=user, action="looked up").count()
    assert 404 not in answers.values()
    assert answers["+6591230001"] == answers["+6591230009"] or lookups >= 1, answers


@pytest.mark.django_db
def test_session_form_is_no_uncounted_whole_number_lookup(client, settings):
    """Admin search by whole number is limited and audited (masking.services.lookups); the add
    form answers the same question ("is +65... in a session on this number?") for free."""
    settings.MASKING_NUMBER_LOOKUPS_PER_HOUR = 1
    number = VirtualNumberFactory(number=VN)
    session_create(virtual_number=number, participant_a="+6591230001", participant_b="+6591230002")
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["add_maskingsession", "view_maskingsession"])
    )
    client.force_login(clerk)

    def probe(candidate: str) -> str:
        page = client.post(
            "/admin/masking/maskingsession/add/",
            {
                "virtual_number": number.pk,
                "participant_a": candidate,
                "participant_b": candidate,  # invalid on purpose: nothing is ever saved
                "started_at_0": "2026-01-01",
                "started_at_1": "00:00:00",
            },
        )
        assert page.status_code == 200
        return page.content.decode()

    answers = {n: probe(n) for n in ("+6591230009", "+6591230008", "+6591230001")}
    told = {n: "already paired on" in page for n, page in answers.items()}
    lookups = AuditEntry.objects.filter(actor=clerk, action="looked up").count()
    assert not told["+6591230001"] or lookups >= 1, (
        f"the add form told which number is in a session, uncounted: {told}"
    )
