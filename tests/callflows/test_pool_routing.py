"""Issue 31: 8x8's events routed by pool. Each pool's webhook credential opens only its webhooks;
an event naming a sub-account that is not its credential's pool's is stored, flagged, not acted
on; the deployment's WEBHOOK_AUTH_HEADER keeps working for its pool."""

import pytest
from rest_framework.test import APIClient

from callflows.models import Call, CallEvent, NumberEvent
from masking.models import Pool, VirtualNumber
from tests.callflows import payloads
from tests.callflows.conftest import AUTH, VN, A, B, call_action
from tests.factories import PoolFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
SG, MY = "acme-sg", "acme-my"
MY_NUMBER = "+60312345678"
MY_AUTH = "Bearer malaysia-webhook-secret-01"


@pytest.fixture
def two_pools(settings, prompts):
    settings.EIGHTX8_SUBACCOUNT_ID = SG
    settings.WEBHOOK_AUTH_HEADER = AUTH
    malaysia = PoolFactory(name="Malaysia", subaccount_id=MY)
    malaysia.set_webhook_credential(MY_AUTH)
    malaysia.save()
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    open_session(virtual_number=VirtualNumberFactory(number=MY_NUMBER, pool=malaysia), a=A, b=B)
    return malaysia


def client(authorization):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=authorization)
    return api


def call(authorization, dialled, subaccount, n):
    body = call_action(A, dialled, subAccountId=subaccount, eventId=f"e{n}", sessionId=f"s{n}")
    return client(authorization).post("/callflows/8x8/call-action/", body, format="json").json()


def test_each_pools_credential_connects_its_own_numbers_only(two_pools):
    assert call(AUTH, VN, SG, 1)["callflow"][-1]["action"] == "makeCall"
    assert call(MY_AUTH, MY_NUMBER, MY, 2)["callflow"][-1]["action"] == "makeCall"
    # Crossed: the other pool's number is another sub-account's call, not bridged.
    assert call(MY_AUTH, VN, MY, 3)["callflow"] == [{"action": "hangup"}]
    assert call(AUTH, MY_NUMBER, SG, 4)["callflow"] == [{"action": "hangup"}]
    crossed = Call.objects.filter(provider_session_id__in=["s3", "s4"])
    assert {(c.outcome, c.masking_session_id) for c in crossed} == {("other_account", None)}


def test_a_pools_credential_with_another_sub_account_named_acts_on_nothing(two_pools):
    assert call(MY_AUTH, MY_NUMBER, SG, 1)["clientActionId"] == "masking-other_account"
    body = payloads.summary()
    body["payload"]["subAccountId"] = "nobody-we-know"
    response = client(MY_AUTH).post("/callflows/8x8/session-summary/", body, format="json")
    assert response.json()["applied"] is False
    assert CallEvent.objects.get(kind="summary").foreign_subaccount == "nobody-we-know"


def test_a_credential_of_no_pool_is_refused(two_pools):
    response = client("Bearer nobody-s-secret-000001").post(
        "/callflows/8x8/call-action/", call_action(A, VN), format="json"
    )
    assert response.status_code == 401
    assert not Call.objects.exists()


def test_a_pools_number_update_adds_numbers_to_that_pool(two_pools):
    body = payloads.numbers("SNAPSHOT", payloads.number("+6531500199"))
    body["payload"]["subAccountId"] = MY
    response = client(MY_AUTH).post("/callflows/8x8/virtual-number-updated/", body, format="json")
    assert response.json()["result"] == "applied", response.json()
    assert VirtualNumber.objects.get(number="+6531500199").pool == two_pools
    # The same update under Singapore's sub-account, sent with Malaysia's credential: not applied.
    body = payloads.numbers("SNAPSHOT", payloads.number("+6531500198"))
    body["payload"]["subAccountId"] = SG
    response = client(MY_AUTH).post("/callflows/8x8/virtual-number-updated/", body, format="json")
    assert response.json()["applied"] is False
    assert not VirtualNumber.objects.filter(number="+6531500198").exists()
    assert NumberEvent.objects.get(msisdn="+6531500198").foreign_subaccount == SG


def test_a_credential_set_on_a_pool_opens_its_webhooks_at_once(two_pools):
    assert call(MY_AUTH, MY_NUMBER, MY, 1)["callflow"][-1]["action"] == "makeCall"
    malaysia = Pool.objects.get(name="Malaysia")
    malaysia.set_webhook_credential("Bearer malaysia-rotated-secret-02")
    malaysia.save()
    stale = client(MY_AUTH).post(
        "/callflows/8x8/call-action/", call_action(A, MY_NUMBER), format="json"
    )
    assert stale.status_code == 401
    answer = call("Bearer malaysia-rotated-secret-02", MY_NUMBER, MY, 2)
    assert answer["callflow"][-1]["action"] == "makeCall"


def test_a_pools_number_update_never_changes_another_pools_number(two_pools):
    body = payloads.numbers("UPDATES", payloads.number(VN, "Inactive"))
    body["payload"]["subAccountId"] = MY
    response = client(MY_AUTH).post("/callflows/8x8/virtual-number-updated/", body, format="json")
    assert response.json()["changed"] == 0
    assert VirtualNumber.objects.get(number=VN).status == "active"
    assert "another pool" in NumberEvent.objects.get(msisdn=VN).reason


def test_the_deployments_header_works_before_any_pool_exists(settings, prompts):
    """A database without pools (a fresh install's first call): the deployment's header is known
    from the environment alone, and a pool's credential is still refused."""
    Pool.objects.all().delete()
    settings.WEBHOOK_AUTH_HEADER = AUTH
    assert call(AUTH, VN, "", 1)["clientActionId"] == "masking-not_in_service"
    response = client(MY_AUTH).post(
        "/callflows/8x8/call-action/", call_action(A, VN), format="json"
    )
    assert response.status_code == 401
