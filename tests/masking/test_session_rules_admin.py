"""Session rules in the admin: set when adding, changed later, bad values a form error, and the
rules in force on the session's page."""

import pytest
from django.urls import reverse

from masking.models import MaskingSession
from tests.masking.test_admin import add_url, number, session_form  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
HOURS = {
    "calling_hours_start": "08:00",
    "calling_hours_end": "20:00",
    "calling_hours_time_zone": "Asia/Singapore",
}


def test_rules_set_when_adding_show_on_the_session_page(admin_client, number):  # noqa: F811
    form = session_form(number, one_way="on", max_calls="3", **HOURS)
    response = admin_client.post(add_url(MaskingSession), form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    session = MaskingSession.objects.get()
    assert (session.one_way, session.max_calls) == (True, 3)
    page = admin_client.get(reverse("admin:masking_maskingsession_change", args=[session.pk]))
    text = page.content.decode()
    assert "one-way: only participant A may call B" in text
    assert "calls only 08:00 to 20:00 Asia/Singapore" in text
    assert "at most 3 connected calls" in text


def test_the_add_form_starts_with_the_settings_defaults(admin_client, settings):
    settings.MASKING_SESSION_ONE_WAY = True
    settings.MASKING_SESSION_MAX_CALLS = 4
    form = admin_client.get(add_url(MaskingSession)).context["adminform"].form
    assert (form.fields["one_way"].initial, form.fields["max_calls"].initial) == (True, 4)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({**HOURS, "calling_hours_time_zone": "Mars/Olympus"}, "calling_hours_time_zone"),
        ({"max_calls": "0"}, "max_calls"),
        ({"calling_hours_start": "08:00"}, "__all__"),  # hours need a start, an end and a zone
    ],
)
def test_bad_rules_are_a_form_error(admin_client, number, overrides, field):  # noqa: F811
    response = admin_client.post(add_url(MaskingSession), session_form(number, **overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not MaskingSession.objects.exists()
