"""`manage.py check` names an unusable rules default, fallback line or business endpoint."""

import pytest

from masking.checks import out_of_session_setting_errors


def ids() -> list[str]:
    return [error.id for error in out_of_session_setting_errors()]


def test_nothing_set_is_fine(settings):
    settings.MASKING_SESSION_CALLING_HOURS = ""
    settings.MASKING_SESSION_TIME_ZONE = ""
    settings.MASKING_FALLBACK_LINE = ""
    settings.MASKING_OUT_OF_SESSION_URL = ""
    assert ids() == []


@pytest.mark.parametrize(
    "name, value, check",
    [
        ("MASKING_SESSION_CALLING_HOURS", "8am-8pm", "masking.E040"),
        ("MASKING_SESSION_TIME_ZONE", "Mars/Olympus", "masking.E040"),
        ("MASKING_FALLBACK_LINE", "support", "masking.E041"),
        ("MASKING_OUT_OF_SESSION_URL", "ftp://backend.example", "masking.E042"),
    ],
)
def test_a_bad_setting_is_named(settings, name, value, check):
    settings.MASKING_SESSION_CALLING_HOURS = "08:00-20:00"
    setattr(settings, name, value)
    assert check in ids()
