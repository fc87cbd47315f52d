"""Issue 31 with issue 30: each pool's out-of-session behaviour (whether to ask the business,
its endpoint, its fallback line), unset meaning the deployment's; read with the call's facts."""

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook, WebhookVerificationError

from callflows.models import Call
from masking.models import Pool
from tests.callback_receiver import SECRET
from tests.callflows.conftest import call_action
from tests.callflows.test_out_of_session import PATH, Business
from tests.factories import PoolFactory, PromptFactory, VirtualNumberFactory
from tests.masking.test_pool_callbacks import MALAYSIA_SECRET

pytestmark = pytest.mark.django_db
URL = "/callflows/8x8/call-action/"
SG_NUMBER, MY_NUMBER = "+6531500101", "+60312345678"
MY_AUTH = "Bearer malaysia-webhook-secret-01"
STRANGER, SG_SUPPORT, MY_SUPPORT, DRIVER = (
    "+6591239999",
    "+6562220000",
    "+60322220000",
    "+6591237777",
)


@pytest.fixture
def pools(settings, prompts, httpserver):
    settings.EIGHTX8_SUBACCOUNT_ID = "acme_masking"
    settings.MASKING_OUT_OF_SESSION_URL = ""
    settings.MASKING_OUT_OF_SESSION_SECRET = SECRET
    settings.MASKING_FALLBACK_LINE = ""
    PromptFactory(purpose="fallback_line", text="[fallback_line]")
    malaysia = PoolFactory(name="Malaysia", subaccount_id="acme-my")
    malaysia.set_webhook_credential(MY_AUTH)
    malaysia.save()
    VirtualNumberFactory(number=SG_NUMBER)  # the deployment's pool
    VirtualNumberFactory(number=MY_NUMBER, pool=malaysia)
    return malaysia


@pytest.fixture
def business(httpserver):
    return Business(httpserver)


def calls(provider, dialled, *, n=[0]):  # noqa: B006 (a counter across calls)
    """A stranger's new call to `dialled`; the steps it hears and the call's outcome."""
    n[0] += 1
    client = provider
    subaccount = "acme_masking"
    if dialled == MY_NUMBER:
        client, subaccount = APIClient(), "acme-my"
        client.credentials(HTTP_AUTHORIZATION=MY_AUTH)
    body = call_action(
        STRANGER, dialled, eventId=f"e-{n[0]}", sessionId=f"s-{n[0]}", subAccountId=subaccount
    )
    flow = client.post(URL, body, format="json").json()["callflow"]
    outcome = Call.objects.get(provider_session_id=f"s-{n[0]}").outcome
    return [(s["action"], s.get("params", {}).get("destination")) for s in flow], outcome


def test_a_pool_asks_its_own_endpoint_and_the_other_pool_says_no_session(
    provider, pools, business, httpserver
):
    Pool.objects.filter(pk=pools.pk).update(out_of_session_url=httpserver.url_for(PATH))
    business.answers({"action": "connect", "number": DRIVER})
    assert calls(provider, MY_NUMBER) == (
        [("say", None), ("makeCall", "6591237777")],
        "connect_once",
    )
    assert calls(provider, SG_NUMBER) == ([("say", None), ("hangup", None)], "no_session")
    (asked,) = business.asked()
    assert asked["data"]["virtual_number"] == MY_NUMBER


def test_a_pool_that_says_never_ask_is_not_asked_whatever_the_deployment_says(
    provider, pools, business, httpserver, settings
):
    settings.MASKING_OUT_OF_SESSION_URL = httpserver.url_for(PATH)
    Pool.objects.filter(pk=pools.pk).update(out_of_session_ask=False, fallback_line=MY_SUPPORT)
    business.answers({"action": "refuse"})
    assert calls(provider, MY_NUMBER) == (
        [("say", None), ("makeCall", "60322220000")],
        "fallback",
    )
    assert calls(provider, SG_NUMBER)[1] == "refused"  # the deployment's pool asks
    assert [a["data"]["virtual_number"] for a in business.asked()] == [SG_NUMBER]


@pytest.mark.parametrize(
    "deployment_line, pool_line, sg_heard, my_heard",
    [
        ("", "", "hangup", "hangup"),
        (SG_SUPPORT, "", "6562220000", "6562220000"),  # unset: the deployment's
        (SG_SUPPORT, MY_SUPPORT, "6562220000", "60322220000"),
        ("", MY_SUPPORT, "hangup", "60322220000"),
    ],
)
def test_each_pool_bridges_to_its_fallback_line_else_the_deployments(
    provider, pools, settings, deployment_line, pool_line, sg_heard, my_heard
):
    settings.MASKING_FALLBACK_LINE = deployment_line
    Pool.objects.filter(pk=pools.pk).update(fallback_line=pool_line)
    for dialled, heard in [(SG_NUMBER, sg_heard), (MY_NUMBER, my_heard)]:
        steps, _outcome = calls(provider, dialled)
        assert (steps[-1][1] or steps[-1][0]) == heard


def test_a_pool_with_its_own_callback_secret_signs_its_out_of_session_requests_with_it(
    provider, pools, business, httpserver, settings
):
    """A pool's backend verifies with the one secret it was given (the pool's callback secret),
    not the deployment's: without MASKING_OUT_OF_SESSION_SECRET, the out-of-session request is
    signed like that pool's callbacks."""
    settings.MASKING_OUT_OF_SESSION_SECRET = ""
    settings.MASKING_CALLBACK_URL = httpserver.url_for("/deployment-events")
    settings.MASKING_CALLBACK_SECRET = SECRET
    pools.callback_url = httpserver.url_for("/malaysia-events")
    pools.out_of_session_url = httpserver.url_for(PATH)
    pools.set_callback_secret(MALAYSIA_SECRET)
    pools.save()
    business.answers({"action": "connect", "number": DRIVER})
    assert calls(provider, MY_NUMBER)[1] == "connect_once"
    ((request, _response),) = httpserver.log
    payload = Webhook(MALAYSIA_SECRET).verify(request.get_data(as_text=True), dict(request.headers))
    assert payload["data"]["virtual_number"] == MY_NUMBER
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.get_data(as_text=True), dict(request.headers))
