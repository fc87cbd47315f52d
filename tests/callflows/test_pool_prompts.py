"""Issue 31: prompts per pool. A pool's own prompt is what its callers hear; where it has none for
a purpose, the deployment's (the caller's language first, then the pool's default language)."""

from itertools import count

import pytest
from rest_framework.test import APIClient

from masking.models import Prompt
from masking.services.prompts import prompt_save
from tests.callflows.conftest import call_action
from tests.factories import PoolFactory, PromptFactory, VirtualNumberFactory

URL = "/callflows/8x8/call-action/"
SG_NUMBER, MY_NUMBER = "+6531500101", "+60312345678"
MY_AUTH = "Bearer malaysia-webhook-secret-01"
CALLS = count()
SINGAPOREAN, FRENCH, INDONESIAN = "+6591239999", "+33612345678", "+6281234567890"
GERMAN = "+4915112345678"


@pytest.fixture
def pools(db, settings, provider):
    settings.MASKING_DEFAULT_LANGUAGE = "en"
    settings.MASKING_CALLFLOW_DIALECT = "seed"
    malaysia = PoolFactory(name="Malaysia", subaccount_id="acme-my", default_language="de")
    malaysia.set_webhook_credential(MY_AUTH)
    malaysia.save()
    VirtualNumberFactory(number=SG_NUMBER)  # the deployment's pool
    VirtualNumberFactory(number=MY_NUMBER, pool=malaysia)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=MY_AUTH)
    return malaysia, {SG_NUMBER: provider, MY_NUMBER: client}


def heard(clients, caller, dialled) -> str:
    """What a caller in no session hears first: the no-session prompt's text."""
    n = next(CALLS)
    body = call_action(
        caller,
        dialled,
        eventId=f"prompt-event-{n}",
        sessionId=f"prompt-call-{n}",
        subAccountId="acme-my" if dialled == MY_NUMBER else "acme_masking",
    )
    flow = clients[dialled].post(URL, body, format="json").json()["callflow"]
    return flow[0]["params"]["text"] if flow[0]["action"] == "say" else ""


def no_session(text, *, language="en", pool=None):
    voices = {"en": "generic-en-female", "fr": "generic-fr-female", "de": "generic-de-female"}
    return PromptFactory(
        purpose="no_session",
        language=language,
        voice_profile=voices[language],
        text=text,
        pool=pool,
    )


# (caller, number dialled, what they hear): the deployment has English and French, Malaysia its
# own English and German (its default language).
ROWS = [
    (SINGAPOREAN, SG_NUMBER, "Deployment, English."),
    (FRENCH, SG_NUMBER, "Deployment, French."),
    (INDONESIAN, SG_NUMBER, "Deployment, English."),  # no language: the deployment's default
    (SINGAPOREAN, MY_NUMBER, "Malaysia, English."),  # the pool's own, in the caller's language
    (FRENCH, MY_NUMBER, "Deployment, French."),  # the caller's language before the pool's
    (INDONESIAN, MY_NUMBER, "Malaysia, German."),  # no language: the pool's default, its own
    (GERMAN, SG_NUMBER, "Deployment, English."),  # Malaysia's German is Malaysia's only
]


@pytest.mark.parametrize("caller, dialled, expected", ROWS)
def test_a_pools_callers_hear_its_own_prompts_else_the_deployments(
    pools, caller, dialled, expected
):
    malaysia, clients = pools
    no_session("Deployment, English.")
    no_session("Deployment, French.", language="fr")
    no_session("Malaysia, English.", pool=malaysia)
    no_session("Malaysia, German.", language="de", pool=malaysia)
    assert heard(clients, caller, dialled) == expected


def test_a_pool_without_a_prompt_in_its_default_language_falls_back_to_the_deployments(pools):
    malaysia, clients = pools
    no_session("Deployment, English.")
    # Malaysia's default language is German; nobody wrote a German prompt.
    assert heard(clients, INDONESIAN, MY_NUMBER) == "Deployment, English."


def test_a_pools_prompt_written_while_calls_are_answered_is_heard_from_the_next_call(pools):
    """The prompts are cached per process; the version read with the facts covers every pool's
    prompts, so a pool's new, changed or removed prompt is heard from the next call on."""
    malaysia, clients = pools
    no_session("Deployment, English.")
    assert heard(clients, SINGAPOREAN, MY_NUMBER) == "Deployment, English."  # cached now
    own = prompt_save(
        prompt=Prompt(pool=malaysia, purpose="no_session", language="en", text="Malaysia, new.")
    )
    assert heard(clients, SINGAPOREAN, MY_NUMBER) == "Malaysia, new."
    assert heard(clients, SINGAPOREAN, SG_NUMBER) == "Deployment, English."
    own.text = "Malaysia, changed."
    prompt_save(prompt=own)
    assert heard(clients, SINGAPOREAN, MY_NUMBER) == "Malaysia, changed."
    own.delete()
    assert heard(clients, SINGAPOREAN, MY_NUMBER) == "Deployment, English."


def test_a_pool_and_the_deployment_each_have_one_prompt_per_purpose_and_language(pools):
    from django.core.exceptions import ValidationError

    malaysia, _ = pools
    no_session("Deployment, English.")
    no_session("Malaysia, English.", pool=malaysia)  # beside the deployment's: allowed
    for pool in (None, malaysia):
        with pytest.raises(ValidationError):
            prompt_save(
                prompt=Prompt(pool=pool, purpose="no_session", language="en", text="Twice.")
            )
    assert Prompt.objects.count() == 2
