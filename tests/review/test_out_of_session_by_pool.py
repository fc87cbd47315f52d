"""Review of issues 30 and 31 together: a call to another pool's number, arriving with a pool's
credential, is another sub-account's: the business is never asked about it (it would open a
session on a number the credential does not own), whatever the out-of-session settings say."""

import pytest
from rest_framework.test import APIClient

from masking.models import MaskingSession
from tests.callflows.conftest import call_action
from tests.factories import PoolFactory, VirtualNumberFactory

pytestmark = pytest.mark.django_db
STRANGER = "+6598761299"
MY_NUMBER, SG_NUMBER = "+60312345678", "+6531500101"
MY_AUTH = "Bearer malaysia-webhook-secret-01"


def test_a_pools_credential_never_asks_the_business_about_another_pools_number(
    settings, prompts, monkeypatch
):
    settings.EIGHTX8_SUBACCOUNT_ID = "acme-sg"
    settings.MASKING_OUT_OF_SESSION_URL = "https://backend.example/decide"
    settings.MASKING_FALLBACK_LINE = ""
    asked = []
    monkeypatch.setattr("callflows.views.call_action.ask_business", lambda **kw: asked.append(kw))
    malaysia = PoolFactory(name="Malaysia", subaccount_id="acme-my")
    malaysia.set_webhook_credential(MY_AUTH)
    malaysia.save()
    VirtualNumberFactory(number=MY_NUMBER, pool=malaysia)
    VirtualNumberFactory(number=SG_NUMBER)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=MY_AUTH)
    body = call_action(STRANGER, SG_NUMBER, subAccountId="acme-my", eventId="e1", sessionId="s1")
    answer = client.post("/callflows/8x8/call-action/", body, format="json").json()
    assert answer["clientActionId"] == "masking-other_account"
    assert asked == [] and not MaskingSession.objects.exists()
    # The same stranger on the pool's own number: the business is asked (the stub answers
    # nothing, so the call gets the no-session flow).
    body = call_action(STRANGER, MY_NUMBER, subAccountId="acme-my", eventId="e2", sessionId="s2")
    client.post("/callflows/8x8/call-action/", body, format="json")
    assert len(asked) == 1
