"""Review (issue 31): the prompt list's voice check ("Prompts 8x8 would refuse") per pool. A
pool's own prompt is spoken in its pool's dialect, to its pool's sub-account, so it is checked
against that pool's catalogue (as the prompt form checks it); and staff given pools see their
pools' prompts there only, as in the list below it."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from callflows import voice_api
from masking.services.voices import speech_profiles_replace
from tests.factories import PoolFactory, PromptFactory

pytestmark = pytest.mark.django_db
LIST = "/admin/masking/prompt/"


@pytest.fixture
def prompts(settings):
    """The deployment's sub-account speaks the current dialect and offers en-US-ZiraRUS (which
    the current dialect sends for generic-en-female). Malaysia's sub-account was read with the
    same catalogue, but its rule forces the seed's dialect: generic-en-female goes out as it is,
    and Malaysia's 8x8 refuses it. Indonesia's prompt is in French, which no catalogue offers."""
    settings.MASKING_CALLFLOW_DIALECT = "current"
    speech_profiles_replace(
        profiles=[
            voice_api.SpeechProfile(
                code="en-US-ZiraRUS", locale="en-US", description="", gender="F"
            )
        ]
    )
    malaysia = PoolFactory(
        name="Malaysia",
        callflow_dialect="seed",
        voice_catalogue=["en-US-ZiraRUS"],
        catalogue_dialect="current",
        catalogue_read_at=timezone.now(),
    )
    indonesia = PoolFactory(name="Indonesia")
    refused_in_malaysia = PromptFactory(
        purpose="connecting", language="en", voice_profile="generic-en-female", pool=malaysia
    )
    indonesian = PromptFactory(
        purpose="connecting", language="fr", voice_profile="generic-fr-female", pool=indonesia
    )
    return malaysia, refused_in_malaysia, indonesian


def refused(page) -> list:
    return [row["prompt"] for row in page.context["voice_check"]["refused"]]


def test_a_pools_prompt_is_checked_against_its_pools_catalogue_and_dialect(admin_client, prompts):
    _malaysia, refused_in_malaysia, indonesian = prompts
    page = admin_client.get(LIST)
    assert refused(page) == [refused_in_malaysia, indonesian]
    assert "generic-en-female" in page.content.decode()  # what Malaysia's dialect sends


def test_a_pools_staff_see_only_their_pools_prompts_in_the_voice_check(client, prompts):
    malaysia, refused_in_malaysia, _indonesian = prompts
    staff = User.objects.create_superuser("malaysia-lead", password="pw")
    malaysia.users.add(staff)
    client.force_login(staff)
    page = client.get(LIST)
    assert refused(page) == [refused_in_malaysia]
    assert "Indonesia" not in page.content.decode()
