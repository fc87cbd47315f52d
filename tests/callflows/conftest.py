import pytest
from rest_framework.test import APIClient

from tests.factories import PromptFactory, VirtualNumberFactory, open_session

AUTH = "Bearer test-webhook-secret"
VN, A, B = "+6531500101", "+6591230001", "+6591230002"


@pytest.fixture
def provider(settings):
    """A client that authenticates as 8x8 does."""
    settings.WEBHOOK_AUTH_HEADER = AUTH
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=AUTH)
    return client


@pytest.fixture
def prompts(db):
    for purpose in ["connecting", "recording_notice", "no_session", "not_in_service", "apology"]:
        PromptFactory(purpose=purpose, text=f"[{purpose}]")


@pytest.fixture
def recording_push(db):
    """8x8 has a recording push configuration, as connect_8x8 read it: calls can be recorded."""
    from callflows.dialects import SEED
    from callflows.provider_state import provider_connection_record

    return provider_connection_record(
        dialect=SEED,
        dialect_reason="the sub-account's voice catalogue lists the seed's voices (generic-*)",
        recording_push=True,
        recording_push_described="SFTP 172.30.2.61:22 as myusername into /my-recordings-path/",
    )


@pytest.fixture
def pin_session(db, prompts):
    """A, B paired on VN with PINs, and the keypad prompts written."""
    from tests.callflows.phone_calls import PIN_A, PIN_B

    for purpose in ["pin_request", "wrong_pin", "goodbye"]:
        PromptFactory(purpose=purpose, text=f"[{purpose}]")
    return open_session(
        virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, pin_a=PIN_A, pin_b=PIN_B
    )


@pytest.fixture
def pairing(db):
    """A, B paired on VN."""
    return open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)


def call_action(source, destination, **payload):
    """The CALL_ACTION envelope as 8x8 composes it (provider document, section 2)."""
    return {
        "namespace": "VOICE",
        "eventType": "CALL_ACTION",
        "description": "Action request of a call",
        "payload": {
            "eventId": "b8e9c3a4-5e31-11ee-9f6b-0123456789ab",
            "callId": "c5f0e2c2-5e31-11ee-9f6b-0123456789ab",
            "sessionId": "d2a1c1b0-5e31-11ee-9f6b-0123456789ab",
            "subAccountId": "acme_masking",
            "callStatus": "CALL_RECEIVED",
            "callDirection": "INBOUND",
            "callType": "PSTN",
            "source": source,
            "destination": destination,
            "sourceCountryCode": "SG",
            "destinationCountryCode": "SG",
            "eventTimestamp": 1700000000000,
            **payload,
        },
    }
