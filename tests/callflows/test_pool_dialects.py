"""Issue 31: the dialect rule `auto` per pool. Each pool's `auto` follows its own sub-account's
voice catalogue, as connect_8x8 --pool read it (two fake 8x8 sub-accounts with different
catalogues), and reaches its calls with their facts: no other pool's read changes it."""

from io import StringIO
from itertools import count

import pytest
from django.core.management import call_command

from masking.models import Pool, Prompt
from tests.callflows.conftest import A, B, call_action
from tests.callflows.fake_8x8 import SUBACCOUNT, Fake8x8, listed_number
from tests.factories import PoolFactory, PromptFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
URL = "/callflows/8x8/call-action/"
BASE_URL = "https://masking.example.com"
GENERIC = {"speechProfileCode": "generic-en-female", "localeCode": "en", "gender": "F"}
SG_NUMBER, MY_NUMBER = "+6531500123", "+60321234567"
CALLS = count()


@pytest.fixture
def subaccounts(settings, fake_8x8):
    """Singapore (the fake's first sub-account, the deployment's: only current voices) and
    Malaysia (a second, whose catalogue lists the seed's generic voices too)."""
    settings.WEBHOOK_AUTH_HEADER = "Bearer deployment-secret-0001"
    settings.MASKING_PUBLIC_BASE_URL = BASE_URL
    settings.MASKING_CALLFLOW_DIALECT = "auto"
    malaysia_8x8 = Fake8x8(fake_8x8.router, subaccount="acme-my", api_key="malaysia-api-key-1")
    malaysia_8x8.numbers = [listed_number(MY_NUMBER)]
    malaysia_8x8.speech_profiles.append(GENERIC)
    malaysia = PoolFactory(name="Malaysia", subaccount_id="acme-my")
    malaysia.set_api_key("malaysia-api-key-1")
    malaysia.save()
    PromptFactory(purpose="connecting", text="Connecting you.")
    return fake_8x8, malaysia_8x8


def connect(pool=None) -> str:
    out = StringIO()
    call_command("connect_8x8", *(["--pool", pool] if pool else []), stdout=out)
    return out.getvalue()


def spoken(client, number, auth) -> dict:
    """The voice a caller in a session on `number` hears first."""
    n = next(CALLS)
    subaccount = "acme-my" if number == MY_NUMBER else SUBACCOUNT
    body = call_action(
        A, number, eventId=f"dialect-{n}", sessionId=f"dialect-{n}", subAccountId=subaccount
    )
    answer = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert answer.status_code == 200, answer.content
    return answer.json()["callflow"][0]["params"]


def test_each_pools_auto_follows_its_own_sub_accounts_catalogue(subaccounts, client):
    singapore_8x8, malaysia_8x8 = subaccounts
    assert "Callflow dialect: current" in connect()  # the deployment's: no generic voices
    assert "Callflow dialect: seed" in connect("Malaysia")  # Malaysia's lists them
    for number in (SG_NUMBER, MY_NUMBER):
        open_session(virtual_number=VirtualNumberFactory(number=number), a=A, b=B)
    malaysia_auth = malaysia_8x8.auth_headers["VCA"]
    singapore = spoken(client, SG_NUMBER, "Bearer deployment-secret-0001")
    malaysia = spoken(client, MY_NUMBER, malaysia_auth)
    assert singapore["voiceProfile"] == "en-US-ZiraRUS" and "language" not in singapore
    assert malaysia["voiceProfile"] == "generic-en-female" and malaysia["language"] == "en"


def test_a_pool_not_connected_yet_speaks_the_seeds_dialect_whatever_the_deployments(
    subaccounts, client
):
    connect()  # the deployment's catalogue: current
    malaysia_8x8 = subaccounts[1]
    malaysia = PoolFactory(name="Malaysia")
    malaysia.set_webhook_credential("Bearer malaysia-secret-000001")
    malaysia.save()
    number = VirtualNumberFactory(number=MY_NUMBER, pool=malaysia)
    open_session(virtual_number=number, a=A, b=B)
    assert malaysia_8x8.auth_headers == {}
    assert spoken(client, MY_NUMBER, "Bearer malaysia-secret-000001")["voiceProfile"] == (
        "generic-en-female"
    )


def test_reading_a_pools_catalogue_again_changes_its_calls_from_the_next_one(subaccounts, client):
    _, malaysia_8x8 = subaccounts
    connect("Malaysia")
    open_session(virtual_number=VirtualNumberFactory(number=MY_NUMBER), a=A, b=B)
    auth = malaysia_8x8.auth_headers["VCA"]
    assert spoken(client, MY_NUMBER, auth)["voiceProfile"] == "generic-en-female"
    malaysia_8x8.speech_profiles.remove(GENERIC)  # 8x8 withdrew the generic voices
    connect("Malaysia")
    auth = malaysia_8x8.auth_headers["VCA"]  # a new credential each run
    assert spoken(client, MY_NUMBER, auth)["voiceProfile"] == "en-US-ZiraRUS"


def test_a_pools_prompt_is_checked_against_its_own_sub_accounts_catalogue(
    subaccounts, admin_client
):
    connect()  # the deployment's: current voices only
    connect("Malaysia")  # generic voices listed: the seed's dialect
    malaysia = Pool.objects.get(name="Malaysia")
    form = {
        "purpose": "no_session", "language": "da", "voice_profile": "generic-da-female",
        "text": "Ingen.", "repetition": 1,
    }  # fmt: skip
    # Danish: the deployment's catalogue lists da-DK-Naja (current); Malaysia's no generic-da.
    deployment = admin_client.post("/admin/masking/prompt/add/", {**form, "pool": ""})
    assert deployment.status_code == 302
    refused = admin_client.post("/admin/masking/prompt/add/", {**form, "pool": malaysia.pk})
    assert refused.status_code == 200
    assert "does not offer generic-da-female" in str(refused.context["adminform"].form.errors)
    assert not Prompt.objects.filter(pool=malaysia).exists()
