"""Provider endpoints refuse strangers: wrong credential, wrong network, oversized bodies."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callflows.models import Call
from tests.callback_receiver import SECRET
from tests.callflows.conftest import AUTH, VN, A, call_action

pytestmark = pytest.mark.django_db
URL = "/callflows/8x8/call-action/"
ENDPOINTS = [
    "call-action",
    "call-status",
    "session-summary",
    "recording-uploaded",
    "virtual-number-updated",
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "trusted, remote, forwarded, allowed",
    [
        (0, "203.0.113.5", "", True),
        (0, "198.51.100.7", "", False),
        # A client writing the allowed address into X-Forwarded-For is not believed.
        (0, "198.51.100.7", "203.0.113.5", False),
        (1, "10.0.0.2", "203.0.113.5", True),
        (1, "10.0.0.2", "198.51.100.7", False),
        # Forged left-most entry, real client appended by our proxy on the right.
        (1, "10.0.0.2", "203.0.113.5, 198.51.100.7", False),
        (2, "10.0.0.3", "203.0.113.5, 10.0.0.2", True),
        (2, "10.0.0.3", "198.51.100.7, 203.0.113.9, 10.0.0.2", True),
        (2, "10.0.0.3", "203.0.113.5", False),  # skipped our outer proxy
        (1, "10.0.0.2", "", False),
        (1, "10.0.0.2", "not-an-ip", False),
    ],
)
def test_ip_allow_list(provider, settings, trusted, remote, forwarded, allowed):
    settings.MASKING_PROVIDER_IP_ALLOWLIST = ["203.0.113.0/24", "2001:db8::/32"]
    settings.MASKING_TRUSTED_PROXIES = trusted
    response = provider.post(
        URL, call_action(A, VN), format="json", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert response.json()["error"] == "permission_denied"
        assert not Call.objects.exists()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_provider_endpoint_checks_the_network(provider, settings, endpoint):
    settings.MASKING_PROVIDER_IP_ALLOWLIST = ["203.0.113.0/24"]
    response = provider.post(
        f"/callflows/8x8/{endpoint}/", {}, format="json", REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_oversized_bodies_are_refused_unread(provider, settings, endpoint):
    settings.MASKING_PROVIDER_MAX_BODY_BYTES = 1000
    settings.MASKING_NUMBER_UPDATE_MAX_BODY_BYTES = 1000  # number updates have their own cap
    body = call_action(A, VN, padding="x" * 2000)
    response = provider.post(f"/callflows/8x8/{endpoint}/", body, format="json")
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "given, previous, status",
    [
        (AUTH, "", 200),
        ("Bearer old", "Bearer old", 200),
        ("Bearer older", "Bearer old", 401),
        ("", "", 401),
    ],
)
def test_credential_rotation_accepts_the_previous_value(
    provider, settings, given, previous, status
):
    settings.WEBHOOK_AUTH_HEADER_PREVIOUS = previous
    provider.credentials(HTTP_AUTHORIZATION=given)
    assert provider.post(URL, call_action(A, VN), format="json").status_code == status


def test_api_is_throttled_and_the_provider_never_is(
    provider, prompts, monkeypatch, django_user_model
):
    from django.core.cache import cache
    from rest_framework.test import APIClient
    from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

    from masking.api.views import SessionViewSet

    for kind in (AnonRateThrottle, UserRateThrottle):
        assert any(issubclass(throttle, kind) for throttle in SessionViewSet.throttle_classes)
    assert UserRateThrottle().get_rate() == "6000/min"
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "3/min"})
    cache.clear()
    backend = APIClient()
    backend.force_authenticate(django_user_model.objects.create_superuser("backend"))
    assert [backend.get("/api/sessions/").status_code for _ in range(4)] == [200] * 3 + [429]
    # 8x8 retries what we refuse: throttling the provider would drop callers.
    answers = [
        provider.post(URL, call_action(A, VN, eventId=f"e{i}", sessionId=f"s{i}"), format="json")
        for i in range(10)
    ]
    assert [a.status_code for a in answers] == [200] * 10
    cache.clear()


def test_a_forged_forwarded_for_does_not_make_a_new_anonymous_client(monkeypatch):
    """Review: DRF's get_ident keys anonymous clients by the X-Forwarded-For the client sent
    (REST_FRAMEWORK has no NUM_PROXIES): a new value per request was a new client, never
    throttled. The throttles read the client as MASKING_TRUSTED_PROXIES says (0: the socket)."""
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from masking.api.throttles import SharedAnonRateThrottle

    cache.clear()
    monkeypatch.setattr(SharedAnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": None})
    client = APIClient()
    codes = [
        client.get("/api/schema/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(6)
    ]
    assert codes == [200] * 3 + [429] * 3
    cache.clear()


def test_behind_one_trusted_proxy_the_throttle_keys_by_the_address_it_saw(settings, monkeypatch):
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from masking.api.throttles import SharedAnonRateThrottle

    settings.MASKING_TRUSTED_PROXIES = 1
    cache.clear()
    monkeypatch.setattr(SharedAnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": None})
    client = APIClient()
    # The client forges the left entries; our proxy appends the address it saw (203.0.113.7).
    codes = [
        client.get("/api/schema/", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 203.0.113.7").status_code
        for i in range(4)
    ]
    assert codes == [200] * 3 + [429]
    # Another client behind the same proxy has its own count.
    assert client.get("/api/schema/", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200
    cache.clear()


def deploy_check(**env):
    production = {
        "PATH": os.environ["PATH"],
        "DEBUG": "false",
        "SECRET_KEY": "k3y-" + "9f8a7b6c5d4e3f2a1b0c" * 3,
        "ALLOWED_HOSTS": "masking.example.com",
        "DATABASE_URL": "sqlite:////tmp/masking-deploy-check.sqlite3",
        "WEBHOOK_AUTH_HEADER": "Bearer 5b2f7c1d9e3a4b6c8d0e1f2a3b4c5d6e",
        "MASKING_MANAGEMENT_COMMAND": "true",
    }
    production.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = deploy_check(
        MASKING_CALLBACK_URL="https://backend.example.com/hook", MASKING_CALLBACK_SECRET=SECRET
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "env, message",
    [
        ({"WEBHOOK_AUTH_HEADER": ""}, "masking.E001"),
        ({"SECRET_KEY": "short"}, "security.W009"),
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"WEBHOOK_AUTH_HEADER": "x"}, "masking.E007"),
        ({"WEBHOOK_AUTH_HEADER": "Bearer 5b2f7c1d9e3a4b6c8d0e1f2a3b4c5d6"}, "masking.E007"),
        ({"WEBHOOK_AUTH_HEADER_PREVIOUS": "Bearer old"}, "masking.E007"),
        (
            {
                "MASKING_CALLBACK_URL": "http://backend.example.com/hook",
                "MASKING_CALLBACK_SECRET": SECRET,
            },
            "masking.E022",
        ),
        (
            {"MASKING_CALLBACK_URL": "https://10.0.0.5/hook", "MASKING_CALLBACK_SECRET": SECRET},
            "masking.E022",
        ),
        ({"MASKING_OUTBOUND_ALLOW_PRIVATE": "true"}, "masking.W030"),
    ],
)
def test_check_deploy_fails_on_unsafe_settings(env, message):
    result = deploy_check(**env)
    assert result.returncode != 0
    assert message in result.stderr + result.stdout
