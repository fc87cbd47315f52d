"""Issue 31: two pools with different rules; the Call Action for each pool's number follows its
pool's (PIN length, consent rule, default language, dialect), and opening follows its capacity."""

from itertools import count

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from masking.services.consent import consent_record
from tests.callflows.conftest import A, B, call_action
from tests.callflows.phone_calls import PIN_A, PIN_B, PhoneCall
from tests.factories import PoolFactory, PromptFactory, VirtualNumberFactory, open_session

URL = "/callflows/8x8/call-action/"
SG_NUMBER, MY_NUMBER = "+6531500101", "+60312345678"
CALLS = count()
MY_AUTH = "Bearer malaysia-webhook-secret-01"
INDONESIAN = "+6281234567890"  # a caller whose country names no language: the pool's default


@pytest.fixture
def pools(db, settings):
    settings.MASKING_PIN_LENGTH = 6
    settings.MASKING_RECORDING_CONSENT = "every_party"
    settings.MASKING_DEFAULT_LANGUAGE = "en"
    settings.MASKING_CALLFLOW_DIALECT = "seed"
    malaysia = PoolFactory(
        name="Malaysia",
        subaccount_id="acme-my",
        pin_length=4,
        pin_guess_one_in=100,
        recording_consent="caller_only",
        default_language="fr",
        callflow_dialect="current",
        number_capacity=1,
    )
    malaysia.set_webhook_credential(MY_AUTH)
    malaysia.save()
    singapore = VirtualNumberFactory(number=SG_NUMBER)  # the deployment's pool
    return singapore, VirtualNumberFactory(number=MY_NUMBER, pool=malaysia)


@pytest.fixture
def provider(provider):
    """8x8, with each pool's webhook credential: the deployment's for Singapore's numbers."""
    malaysia = APIClient()
    malaysia.credentials(HTTP_AUTHORIZATION=MY_AUTH)
    return {SG_NUMBER: provider, MY_NUMBER: malaysia}


class PoolCall(PhoneCall):
    """A phone call to a pool's number, its events naming the pool's sub-account."""

    def post(self, **payload):
        subaccount = "acme-my" if self.virtual_number == MY_NUMBER else "acme_masking"
        return super().post(subAccountId=subaccount, **payload)


def post(provider, caller, dialled):
    """A new call (its own event and session ids: not a redelivery of the one before)."""
    n = next(CALLS)
    body = call_action(
        caller,
        dialled,
        eventId=f"pool-event-{n}",
        sessionId=f"pool-call-{n}",
        subAccountId="acme-my" if dialled == MY_NUMBER else "acme_masking",
    )
    return provider[dialled].post(URL, body, format="json").json()


def test_each_pool_asks_for_pins_of_its_own_length(provider, prompts, pools):
    singapore, malaysia = pools
    open_session(virtual_number=singapore, a=A, b=B, pin_a=PIN_A, pin_b=PIN_B)
    open_session(virtual_number=malaysia, a=A, b=B, pin_a="4821", pin_b="9034")
    stranger = "+6591239999"
    for number, length in ((SG_NUMBER, 6), (MY_NUMBER, 4)):
        (step,) = post(provider, stranger, number)["callflow"]
        assert step["action"] in ("say&capture", "sayAndCapture")  # seed, current
        assert step["params"]["minDigits"] == length
    call = PoolCall(provider[MY_NUMBER], stranger, session_id="my-call", virtual_number=MY_NUMBER)
    call.start()
    flow = call.key("4821")["callflow"]
    assert flow[-1]["action"] == "makeCall"
    assert flow[-1]["params"]["destination"].endswith(B[1:])


def test_a_pin_of_the_deployments_length_is_refused_on_a_pool_of_another(pools):
    _, malaysia = pools
    with pytest.raises(ValidationError) as refused:
        open_session(virtual_number=malaysia, a=A, b=B, pin_a=PIN_A, pin_b=PIN_B)
    assert "A PIN is 4 digits" in str(refused.value)


def test_each_pool_applies_its_own_consent_rule(provider, prompts, recording_push, pools):
    for number in pools:
        open_session(virtual_number=number, a=A, b=B, recording_requested=True)
    consent_record(number=A, method="admin")  # only the caller opted in
    recorded = {
        number: post(provider, A, number)["callflow"][-1]["params"].get("callRecording", False)
        for number in (SG_NUMBER, MY_NUMBER)
    }
    assert recorded == {SG_NUMBER: False, MY_NUMBER: True}


def test_each_pool_speaks_its_default_language_in_its_dialect(provider, pools):
    PromptFactory(purpose="no_session", language="en", text="No session.")
    PromptFactory(
        purpose="no_session", language="fr", voice_profile="generic-fr-female", text="Aucune."
    )
    singapore = post(provider, INDONESIAN, SG_NUMBER)["callflow"][0]
    malaysia = post(provider, INDONESIAN, MY_NUMBER)["callflow"][0]
    assert singapore["params"]["text"] == "No session."
    assert singapore["params"]["voiceProfile"].startswith("generic-")  # the seed's dialect
    assert malaysia["params"]["text"] == "Aucune."
    assert not malaysia["params"]["voiceProfile"].startswith("generic-")  # the current dialect


def test_each_pool_holds_sessions_up_to_its_capacity(pools):
    singapore, malaysia = pools
    open_session(virtual_number=malaysia)
    with pytest.raises(ValidationError) as refused:
        open_session(virtual_number=malaysia)
    assert "full" in str(refused.value)
    open_session(virtual_number=singapore)
    open_session(virtual_number=singapore)  # the deployment's 1,000


def test_each_pool_locks_a_phone_out_after_its_own_number_of_wrong_pins(provider, prompts, pools):
    from masking.models import PinLockout, Pool

    singapore, malaysia = pools
    Pool.objects.filter(name="Malaysia").update(pin_lock_after=1, pin_lock_minutes=5)
    open_session(virtual_number=singapore, a=A, b=B, pin_a=PIN_A, pin_b=PIN_B)
    open_session(virtual_number=malaysia, a=A, b=B, pin_a="4821", pin_b="9034")
    for number, wrong in ((SG_NUMBER, "000000"), (MY_NUMBER, "0000")):
        call = PoolCall(
            provider[number], "+6591239999", session_id=f"wrong-{number}", virtual_number=number
        )
        call.start()
        call.key(wrong)
    (lockout,) = PinLockout.objects.all()  # Singapore allows 5 wrong PINs; Malaysia 1
    assert str(lockout.virtual_number.number) == MY_NUMBER
    assert (lockout.locked_until - lockout.locked_at).total_seconds() == 5 * 60
