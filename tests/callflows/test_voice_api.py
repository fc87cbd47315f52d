"""The 8x8 client: what it reads from 8x8's documented bodies, and how it fails."""

import logging

import httpx
import pytest

from callflows.voice_api import (
    NotConfigured,
    Refused,
    Unavailable,
    VoiceApi,
    VoiceApiError,
    configured,
)
from tests.callflows.fake_8x8 import API_KEY, PREFIX, RECORDING_SESSION


def test_without_credentials_it_is_off(settings):
    settings.EIGHTX8_API_KEY = ""
    settings.EIGHTX8_SUBACCOUNT_ID = ""
    assert configured() is False
    with pytest.raises(NotConfigured, match="EIGHTX8_API_KEY"):
        VoiceApi.from_settings()


def test_reads_8x8s_documented_bodies(fake_8x8):
    fake_8x8.recording_config = {"protocol": "SFTP", "host": "172.30.2.61", "port": 22,
                                 "username": "myusername", "passwordSet": True,
                                 "path": "/my-recordings-path/"}  # fmt: skip
    with VoiceApi.from_settings() as api:
        assert [n["msisdn"] for n in api.numbers()] == ["+6531500123"]
        assert [p.code for p in api.speech_profiles()][:2] == ["en-US-Standard-A", "da-DK-Naja"]
        assert api.recording_push_config().password_set is True
        (recording,) = api.recordings(RECORDING_SESSION)
        assert recording.status == "CALLBACK_COMPLETED"
        assert recording.external_file_url.startswith("https://yourRecordingsEndpoint.com/")
        api.webhook_create(type="VCA", url="https://m.example.com/x/", auth_header="Bearer s")
        hook = api.webhooks()["VCA"]
        assert (hook.url, hook.enabled, hook.auth_header_set) == (
            "https://m.example.com/x/",
            True,
            True,
        )


def test_reads_the_guides_active_flag_and_sessionid_spelling(fake_8x8):
    fake_8x8.router.get(f"{PREFIX}/webhooks").mock(
        return_value=httpx.Response(200, json={"webhooks": [
            {"type": "VSS", "url": "https://a/", "active": False, "httpAuthHeaderAvailable": False}
        ]})
    )  # fmt: skip
    fake_8x8.recordings["recordings"][0]["sessionid"] = fake_8x8.recordings["recordings"][0].pop(
        "sessionId"
    )
    with VoiceApi.from_settings() as api:
        assert api.webhooks()["VSS"].enabled is False
        assert api.recordings(RECORDING_SESSION)[0].recording_id


@pytest.mark.parametrize(
    ("answer", "error", "message", "tries"),
    [
        (httpx.Response(401), Refused, "refused the API key: check EIGHTX8_API_KEY", 1),
        (httpx.Response(404), Refused, "check EIGHTX8_SUBACCOUNT_ID", 1),
        (httpx.Response(503), Unavailable, r"HTTP 503 to GET numbers \(3 tries\)", 3),
        (httpx.ReadTimeout("slow"), Unavailable, "did not answer GET numbers in time", 3),
        (httpx.ConnectError("refused"), Unavailable, "Could not reach 8x8", 3),
    ],
)
def test_failures_are_clear_and_retried_only_when_worth_it(fake_8x8, answer, error, message, tries):
    route = fake_8x8.router.get(f"{PREFIX}/numbers").mock(side_effect=answer)
    with VoiceApi.from_settings() as api, pytest.raises(error, match=message):
        api.numbers()
    assert route.call_count == tries


def test_a_transient_failure_is_retried_then_succeeds(fake_8x8):
    route = fake_8x8.router.get(f"{PREFIX}/numbers")
    route.side_effect = [httpx.Response(502), httpx.Response(429, headers={"Retry-After": "0"}),
                         httpx.Response(200, json={"numbers": []})]  # fmt: skip
    with VoiceApi.from_settings() as api:
        assert api.numbers() == []
    assert route.call_count == 3


def test_a_create_is_retried_like_a_read_and_the_message_counts_the_tries(fake_8x8):
    route = fake_8x8.router.post(f"{PREFIX}/webhooks").mock(side_effect=httpx.ReadTimeout("slow"))
    with VoiceApi.from_settings() as api, pytest.raises(Unavailable, match=r"\(3 tries, ") as e:
        api.webhook_create(type="VCA", url="https://m.example.com/", auth_header="Bearer s")
    assert route.call_count == 3 == e.value.tries


def test_a_refusal_counts_the_one_try_it_took(fake_8x8):
    route = fake_8x8.router.post(f"{PREFIX}/webhooks").mock(return_value=httpx.Response(422))
    with VoiceApi.from_settings() as api, pytest.raises(Refused) as caught:
        api.webhook_create(type="VCA", url="https://m.example.com/", auth_header="Bearer s")
    assert route.call_count == 1 == caught.value.tries


def test_secrets_are_never_in_errors_or_logs(fake_8x8, caplog):
    fake_8x8.router.post(f"{PREFIX}/webhooks").mock(
        return_value=httpx.Response(422, json={"errorId": "1aa1fc32-8e07-11ea-864e-1961d882f548",
                                               "statusCode": "1001",
                                               "statusMessage": "Invalid JSON request body",
                                               "timestamp": "2026-03-02T09:00:00Z"})
    )  # fmt: skip
    fake_8x8.router.get(f"{PREFIX}/numbers").mock(side_effect=httpx.Response(500))
    caplog.set_level(logging.DEBUG)
    messages = []
    with VoiceApi.from_settings() as api:
        for call in (
            lambda: api.webhook_create(
                type="VCA", url="https://m/", auth_header="Bearer hook-s3cret"
            ),
            api.numbers,
        ):
            with pytest.raises(VoiceApiError) as caught:
                call()
            messages.append(str(caught.value))
    assert "Invalid JSON request body" in messages[0]
    assert "HTTP 500" in messages[1]
    for secret in (API_KEY, "hook-s3cret"):
        assert secret not in caplog.text
        assert all(secret not in message for message in messages)
