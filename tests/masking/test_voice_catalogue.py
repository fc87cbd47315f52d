"""Voices checked against the 8x8 sub-account's catalogue in both dialects; unchecked without."""

import pytest
from django.core import checks
from django.urls import reverse

from callflows import voice_api
from masking.models import Prompt, SpeechProfile
from masking.services.voices import speech_profiles_replace
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:masking_prompt_changelist")
ADD = reverse("admin:masking_prompt_add")


def profiles(*codes):
    return [
        voice_api.SpeechProfile(code=code, locale=code[:5], description="", gender="F")
        for code in codes
    ]


@pytest.fixture
def catalogue():
    """8x8's documented example codes (provider document, sections 3.7 and 10.2)."""
    speech_profiles_replace(
        profiles=profiles("en-US-Standard-A", "da-DK-Naja", "en-US-ZiraRUS", "en-US-BenjaminRUS")
    )


def prompt_form(language, voice):
    return {"purpose": "connecting", "language": language, "voice_profile": voice,
            "text": "Please hold.", "repetition": 1}  # fmt: skip


def voice_messages():
    messages = checks.run_checks(databases=["default"])
    return [m for m in messages if m.id in ("masking.W010", "masking.W011")]


def test_without_a_catalogue_voices_are_unchecked_and_accepted(admin_client, settings):
    for dialect in ("seed", "current"):
        settings.MASKING_CALLFLOW_DIALECT = dialect
        PromptFactory(purpose="connecting", language="fr", voice_profile="generic-fr-female")
        page = admin_client.get(CHANGELIST)
        assert "Voices are unchecked" in page.content.decode()
        assert page.context["voice_check"]["refused"] == []
        response = admin_client.post(ADD, prompt_form("de", "generic-de-male"))
        assert response.status_code == 302
        Prompt.objects.filter(language="de").delete()
        assert voice_messages() == []


@pytest.mark.parametrize(
    ("dialect", "language", "voice", "refused_as"),
    [
        ("seed", "en", "generic-en-female", "generic-en-female"),
        ("seed", "da", "generic-da-female", "generic-da-female"),
        ("current", "fr", "generic-fr-female", "fr-FR-DeniseNeural"),
        ("current", "en", "generic-en-female", None),
        ("current", "da", "generic-da-female", None),  # da-DK-Naja is in 8x8's example
    ],
)
def test_prompt_list_and_form_say_what_8x8_would_refuse(
    admin_client, settings, catalogue, dialect, language, voice, refused_as
):
    settings.MASKING_CALLFLOW_DIALECT = dialect
    prompt = PromptFactory(purpose="no_session", language=language, voice_profile=voice)
    refused = admin_client.get(CHANGELIST).context["voice_check"]["refused"]
    assert [(row["prompt"], row["sent"]) for row in refused] == (
        [(prompt, refused_as)] if refused_as else []
    )
    response = admin_client.post(ADD, prompt_form(language, voice))
    if refused_as is None:
        assert response.status_code == 302
    else:
        error = " ".join(response.context["adminform"].form.errors["voice_profile"])
        assert f"does not offer {refused_as}" in error
        assert not Prompt.objects.filter(purpose="connecting").exists()


def test_seed_form_error_points_at_the_current_dialect(admin_client, settings, catalogue):
    settings.MASKING_CALLFLOW_DIALECT = "seed"
    response = admin_client.post(ADD, prompt_form("en", "generic-en-male"))
    error = " ".join(response.context["adminform"].form.errors["voice_profile"])
    assert "set MASKING_CALLFLOW_DIALECT=auto" in error


def test_system_check_warns_about_seed_voices_and_suggests_the_current_dialect(settings, catalogue):
    settings.MASKING_CALLFLOW_DIALECT = "seed"
    PromptFactory(purpose="connecting", language="en", voice_profile="generic-en-male")
    (warning,) = voice_messages()
    assert warning.id == "masking.W010"
    assert "generic-en-female, generic-en-male" in warning.msg
    assert "Set MASKING_CALLFLOW_DIALECT=auto (or current)" in warning.hint
    assert "sends speech profiles the catalogue lists for all of them" in warning.hint

    settings.MASKING_CALLFLOW_DIALECT = "current"
    assert voice_messages() == []
    PromptFactory(purpose="no_session", language="fr", voice_profile="generic-fr-female")
    (warning,) = voice_messages()
    assert warning.id == "masking.W011" and "fr-FR-DeniseNeural" in warning.msg


def test_system_check_reads_the_database_only_when_asked(settings, catalogue):
    settings.MASKING_CALLFLOW_DIALECT = "seed"
    plain = [m.id for m in checks.run_checks()]
    assert "masking.W010" not in plain
    assert SpeechProfile.objects.count() == 4
