"""Issue 31: connect_8x8 --pool NAME connects one pool's sub-account with its own API key and a
webhook credential of its own, kept only as a hash; other pools' numbers are left alone."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from callflows.models import ProviderConnection
from masking.models import Pool, VirtualNumber
from tests.callflows import payloads
from tests.callflows.conftest import call_action
from tests.callflows.fake_8x8 import API_KEY, SUBACCOUNT
from tests.factories import PoolFactory, VirtualNumberFactory

pytestmark = pytest.mark.django_db
BASE_URL = "https://masking.example.com"


@pytest.fixture
def malaysia(settings, fake_8x8):
    settings.EIGHTX8_SUBACCOUNT_ID = "acme-sg"  # the deployment's; the fake is Malaysia's
    settings.EIGHTX8_API_KEY = "the-deployments-key"
    settings.WEBHOOK_AUTH_HEADER = "Bearer deployment-secret-0001"
    settings.MASKING_PUBLIC_BASE_URL = BASE_URL
    pool = PoolFactory(name="Malaysia", subaccount_id=SUBACCOUNT)
    pool.set_api_key(API_KEY)
    pool.save()
    return pool


def test_connecting_a_pool_registers_its_own_credential_and_syncs_its_numbers(
    malaysia, fake_8x8, client
):
    singapore = VirtualNumberFactory(number="+6531500999")  # the deployment's, not listed there
    out = StringIO()
    call_command("connect_8x8", "--pool", "Malaysia", stdout=out)
    assert SUBACCOUNT in out.getvalue()
    (registered,) = set(fake_8x8.auth_headers.values())
    assert registered != "Bearer deployment-secret-0001"
    malaysia.refresh_from_db()
    assert registered not in malaysia.webhook_credential_hash
    assert malaysia.accepts_webhook(registered)
    listed = VirtualNumber.objects.get(number="+6531500123")
    assert listed.pool == malaysia
    singapore.refresh_from_db()
    assert (singapore.status, singapore.unlisted_since) == ("active", None)
    assert not ProviderConnection.objects.exists()  # the deployment's catalogue read: untouched
    # 8x8's webhooks for Malaysia now reach us with the registered credential.
    answer = client.post(
        "/callflows/8x8/call-action/",
        call_action("+6591230001", "+6531500123", subAccountId=SUBACCOUNT),
        content_type="application/json",
        HTTP_AUTHORIZATION=registered,
    )
    assert answer.status_code == 200
    assert answer.json()["clientActionId"] != "masking-other_account"


def test_an_unknown_pool_is_named_and_nothing_changes(malaysia, fake_8x8):
    with pytest.raises(CommandError, match="No pool is named 'Atlantis'"):
        call_command("connect_8x8", "--pool", "Atlantis", stdout=StringIO())
    assert not fake_8x8.webhooks
    assert Pool.objects.get(name="Malaysia").webhook_credential_hash == ""


def test_connecting_again_keeps_number_updates_reaching_us(malaysia, fake_8x8, client):
    """Each run registers a new credential, but 8x8 will not delete a VNU webhook, so the one
    registered first keeps the credential of that run, which nobody can type in the portal: the
    pool's number updates were refused (401) from the second run on. The pool now keeps
    accepting that credential for number updates, and for nothing else."""
    call_command("connect_8x8", "--pool", "Malaysia", stdout=StringIO())
    first = fake_8x8.auth_headers["VNU"]
    out = StringIO()
    call_command("connect_8x8", "--pool", "Malaysia", stdout=out)
    second = fake_8x8.auth_headers["VCA"]
    assert second != first and fake_8x8.auth_headers["VNU"] == first
    assert "WEBHOOK_AUTH_HEADER" not in out.getvalue()  # nothing a person could type

    update = payloads.numbers(
        "UPDATES", payloads.number("+6531500123", status="Active", reference="my-pool")
    )
    update["payload"]["subAccountId"] = SUBACCOUNT

    def post(path, body, credential):
        return client.post(path, body, content_type="application/json",
                           HTTP_AUTHORIZATION=credential)  # fmt: skip

    for credential in (first, second):
        answer = post("/callflows/8x8/virtual-number-updated/", update, credential)
        assert answer.status_code == 200, answer.content
        assert answer.json().get("applied", True) is True
    assert VirtualNumber.objects.get(number="+6531500123").pool == malaysia
    # The old credential opens nothing else.
    call = call_action("+6591230001", "+6531500123", subAccountId=SUBACCOUNT)
    assert post("/callflows/8x8/call-action/", call, first).status_code == 401
    assert post("/callflows/8x8/call-action/", call, second).status_code == 200
