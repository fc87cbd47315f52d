"""The read-only page of the settings that change what callers hear."""

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_the_settings_page_shows_each_setting_in_words_and_is_linked_from_the_dashboard(
    admin_client, settings
):
    settings.MASKING_RECORDING_CONSENT = "caller_only"
    settings.MASKING_NUMBER_CAPACITY = 1500
    settings.MASKING_DEFAULT_LANGUAGE = "fr"
    settings.MASKING_CALLFLOW_DIALECT = "current"
    settings.MASKING_PIN_LENGTH = 6
    settings.MASKING_PIN_TRIES = 2
    settings.WEBHOOK_AUTH_HEADER = "Bearer very-secret-value"
    assert 'href="/admin/settings/"' in admin_client.get("/admin/").content.decode()
    page = admin_client.get("/admin/settings/")
    rows = {row.name: row.value for row in page.context["settings_rows"]}
    assert rows["Who must agree to recording"] == "only the caller must have opted in"
    assert rows["Capacity of a virtual number"] == "1,500 open sessions"
    assert rows["Default language"] == "French (fr)"
    assert rows["Callflow dialect in force"].startswith("current")
    assert "set by MASKING_CALLFLOW_DIALECT" in rows["Callflow dialect in force"]
    assert rows["PIN length"] == "6 digits"
    assert rows["PIN tries per call"] == "2"
    assert rows["Built-in wrong-PIN sentence"] == "That PIN is not right."
    html = page.content.decode()
    assert "very-secret-value" not in html and rows["8x8 webhook credential"] == "set"


def test_the_settings_page_is_for_staff_only(client):
    User.objects.create_user("someone", password="pw")
    client.login(username="someone", password="pw")
    assert client.get("/admin/settings/").status_code == 302
