"""Review of issues 29 and 30's settings: `manage.py check` names a value that would fail every
session opened or every callback signed, as it does for the settings before them."""

import pytest
from django.core.checks import run_checks

pytestmark = pytest.mark.django_db


def messages() -> str:
    return " ".join(message.msg for message in run_checks())


def test_a_negative_max_calls_default_is_named(settings):
    settings.MASKING_SESSION_MAX_CALLS = -1
    assert "MASKING_SESSION_MAX_CALLS" in messages()


def test_a_previous_callback_secret_that_cannot_sign_is_named(settings):
    settings.MASKING_CALLBACK_URL = "https://backend.example/hooks"
    settings.MASKING_CALLBACK_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    settings.MASKING_CALLBACK_SECRET_PREVIOUS = "not-a-secret"
    assert "MASKING_CALLBACK_SECRET_PREVIOUS" in messages()


def test_a_callback_deadline_of_no_time_is_named(settings):
    settings.MASKING_CALLBACK_DEADLINE_SECONDS = 0
    assert "MASKING_CALLBACK_DEADLINE_SECONDS" in messages()
