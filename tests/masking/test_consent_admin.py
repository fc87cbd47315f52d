"""Recording opt-ins in the admin: form errors instead of 500s, staff methods only, a default."""

import pytest

from masking.models import RecordingOptIn
from masking.services.consent import consent_record

pytestmark = pytest.mark.django_db
ADD = "/admin/masking/recordingoptin/add/"


def opt_in_form(**overrides):
    return {
        "number": "+6591230001",
        "method": "admin",
        "evidence": "signed form 7731",
        "opted_in_at_0": "2026-11-24",
        "opted_in_at_1": "10:00",
        **overrides,
    }


def test_a_second_opt_in_for_a_number_is_a_form_error_not_a_500(admin_client):
    consent_record(number="+6591230001", method="api")
    response = admin_client.post(ADD, opt_in_form())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "already opted in" in " ".join(errors["number"])
    assert RecordingOptIn.objects.count() == 1


def test_staff_are_offered_staff_methods_only_with_a_default(admin_client):
    form = admin_client.get(ADD).context["adminform"].form
    assert [value for value, _ in form.fields["method"].choices] == ["admin"]
    assert form["method"].value() == "admin"
    refused = admin_client.post(ADD, opt_in_form(method="keypad"))
    assert "method" in refused.context["adminform"].form.errors
    assert not RecordingOptIn.objects.exists()


def test_how_consent_was_given_cannot_be_changed_afterwards(admin_client):
    opt_in = consent_record(number="+6591230001", method="keypad", evidence="8x8 session s-1")
    page = admin_client.get(f"/admin/masking/recordingoptin/{opt_in.pk}/change/")
    assert "method" not in page.context["adminform"].form.fields
