"""A fake 8x8 sub-account at the HTTP layer (respx), answering with 8x8's documented bodies.

The bodies are the provider document's section 10 examples (8x8's own where it has one, composed
from the schema where 8x8 gives none, as the document says). The fake keeps state, so a test can
connect, change what 8x8 lists, and connect again.
"""

import copy
import json

import httpx
import pytest
import respx

BASE = "https://voice.8x8.com"
SUBACCOUNT = "acme_nm_01"
API_KEY = "test-api-key-do-not-log-7f3a9c"
PREFIX = f"{BASE}/api/v1/subaccounts/{SUBACCOUNT}"

# Section 8.1 / 10.1 (composed from the schema; 8x8's OAS announces an example but gives none).
NUMBER_123 = {
    "msisdn": "+6531500123",
    "dateCreated": "2025-11-03T02:00:00Z",
    "dateUpdated": "2026-03-01T22:40:00Z",
    "countryCode": "SG",
    "operationalStatus": "Active",
    "referenceId": "sg-pool-a",
    "rentalPrice": 4.5,
    "incomingRate": 0.04,
    "billingUnit": 60,
    "uri": "/api/v1/subaccounts/acme_nm_01/numbers/6531500123",
    "numberHealthCheckEnabled": True,
    "billingCurrency": "USD",
    "numberType": "LOCAL",
    "numberHealth": {"isHealthy": True, "status": "OK", "lastCheckedTime": "2026-03-01T22:40:00Z"},
}


def listed_number(msisdn, *, status="Active", healthy=True):
    number = copy.deepcopy(NUMBER_123)
    digits = msisdn.lstrip("+")
    number.update(
        msisdn=msisdn,
        operationalStatus=status,
        uri=f"/api/v1/subaccounts/{SUBACCOUNT}/numbers/{digits}",
    )
    number["numberHealth"]["isHealthy"] = healthy
    return number


# Section 10.2, VOAS's example verbatim, plus 8x8's other example codes (section 3.7).
SPEECH_PROFILES = [
    {"speechProfileCode": code, "localeCode": locale, "localeDescription": name, "gender": gender}
    for code, locale, name, gender in [
        ("en-US-Standard-A", "en-US", "EnglishUS", "F"),
        ("da-DK-Naja", "da-DK", "Danish", "F"),
        ("en-US-ZiraRUS", "en-US", "EnglishUS", "F"),
        ("en-US-BenjaminRUS", "en-US", "EnglishUS", "M"),
    ]
]

# Section 10.4, the guide's example verbatim.
RECORDING_CONFIG = {
    "subAccountId": "yourSubAccountId",
    "protocol": "SFTP",
    "host": "172.30.2.61",
    "port": 22,
    "username": "myusername",
    "passwordSet": True,
    "path": "/my-recordings-path/",
    "statusCode": 0,
    "statusMessage": "ok",
}
RECORDING_SESSION = "e35e3d0e-065a-11ec-b119-676cb2bc33ef"
RECORDINGS = {
    "recordings": [
        {
            "recordingId": "eef54fc2-065a-11ec-bce9-ed1000154345",
            "sessionId": RECORDING_SESSION,
            "subAccountId": "yourSubAccountId",
            "status": "CALLBACK_COMPLETED",
            "externalFileUrl": "https://yourRecordingsEndpoint.com/e35e3d0e-065a-11ec-b119-676cb2bc33ef/eef54fc2-065a-11ec-bce9-ed1000154345_2021-08-26T10%3A46%3A56.535Z.mp3",
            "startRecordingTime": "1969-12-31T23:59:59.999Z",
        }
    ],
    "statusCode": 0,
    "statusMessage": "ok",
}  # fmt: skip


# The delete endpoint's `webhook-type` enum (VOAS): no VNU, which 8x8 will not delete.
DELETABLE = ("VCS", "VCA", "VSS", "VRU")
LANDED_500 = "landed, then 500"


class Fake8x8:
    """One sub-account: its webhooks, numbers, speech profiles and recording push config."""

    def __init__(self, router: respx.Router, *, subaccount=SUBACCOUNT, api_key=API_KEY):
        """Another sub-account beside the first (a second pool's): its own id and API key."""
        self.router = router
        self.subaccount, self.api_key = subaccount, api_key
        prefix = f"{BASE}/api/v1/subaccounts/{subaccount}"
        self.webhooks: dict[str, dict] = {}
        self.auth_headers: dict[str, str] = {}
        self.numbers = [copy.deepcopy(NUMBER_123)]
        self.speech_profiles = copy.deepcopy(SPEECH_PROFILES)
        self.recording_config: dict | None = None
        self.recordings = copy.deepcopy(RECORDINGS)
        self.writes: list[str] = []  # "POST webhooks VCA", "DELETE webhooks VCA", ...
        # Answers to give before behaving normally, per write ("POST webhooks VCA"): an
        # httpx.Response (the write does not happen), or LANDED_500 (it happens, then 500).
        self.answers: dict[str, list] = {}
        router.get(f"{prefix}/webhooks").mock(side_effect=self._list_webhooks)
        router.post(f"{prefix}/webhooks").mock(side_effect=self._create_webhook)
        router.delete(url__regex=rf"{prefix}/webhooks/(?P<kind>\w+)$").mock(
            side_effect=self._delete_webhook
        )
        router.get(f"{prefix}/numbers").mock(side_effect=self._numbers)
        router.get(f"{prefix}/speech-profiles").mock(side_effect=self._profiles)
        router.get(f"{prefix}/recording-push-config").mock(side_effect=self._get_recording)
        router.post(f"{prefix}/recording-push-config").mock(side_effect=self._set_recording)
        self.recordings_route = router.get(url__regex=rf"{prefix}/recordings/(?P<session>[^/]+)$")
        self.recordings_route.mock(side_effect=self._recordings)

    def _injected(self, write: str):
        queue = self.answers.get(write)
        return queue.pop(0) if queue else None

    def _authorised(self, request):
        return request.headers.get("Authorization") == f"Bearer {self.api_key}"

    def _list_webhooks(self, request):
        if not self._authorised(request):
            return httpx.Response(401)
        hooks = list(self.webhooks.values())
        return httpx.Response(
            200,
            json={
                "subAccountId": self.subaccount,
                "count": len(hooks),
                "webhooks": hooks,
                "statusCode": 0,
                "statusMessage": "ok",
            },
        )

    def _create_webhook(self, request):
        if not self._authorised(request):
            return httpx.Response(401)
        body = json.loads(request.content)
        write = f"POST webhooks {body['type']}"
        self.writes.append(write)
        injected = self._injected(write)
        if isinstance(injected, httpx.Response):
            return injected
        self.auth_headers[body["type"]] = body.get("httpAuthHeader") or ""
        self.webhooks[body["type"]] = {
            "type": body["type"],
            "url": body["url"],
            "enabled": body.get("enabled", True),
            "httpAuthHeaderAvailable": bool(body.get("httpAuthHeader")),
        }
        if injected == LANDED_500:
            return httpx.Response(500)
        return self._list_webhooks(request)

    def _delete_webhook(self, request, kind):
        if not self._authorised(request):
            return httpx.Response(401)
        self.writes.append(f"DELETE webhooks {kind}")
        injected = self._injected(f"DELETE webhooks {kind}")
        if injected is not None:
            return injected
        if kind not in DELETABLE:
            # VOAS `delete-a-specific-type-of-webhook`: `webhook-type` enum VCS, VCA, VSS, VRU.
            return httpx.Response(404)
        hook = self.webhooks.pop(kind, None)
        if hook is None:
            return httpx.Response(404)
        deleted = {**hook, "enabled": False, "statusCode": 0, "statusMessage": "deleted"}
        return httpx.Response(200, json={"subAccountId": self.subaccount, **deleted})

    def _numbers(self, request):
        if not self._authorised(request):
            return httpx.Response(401)
        return httpx.Response(
            200,
            json={
                "totalNumbers": len(self.numbers),
                "lastUpdatedAt": "2026-03-01T22:40:00Z",
                "numbers": self.numbers,
                "statusCode": 0,
                "statusMessage": "ok",
            },
        )

    def _profiles(self, request):
        if not self._authorised(request):
            return httpx.Response(401)
        return httpx.Response(200, json={"speechProfiles": self.speech_profiles})

    def _get_recording(self, request):
        if not self._authorised(request):
            return httpx.Response(401)
        if self.recording_config is None:
            return httpx.Response(404)
        return httpx.Response(200, json=self.recording_config)

    def _set_recording(self, request):
        if not self._authorised(request):
            return httpx.Response(401)
        body = json.loads(request.content)
        self.writes.append("POST recording-push-config")
        self.recording_config = {
            "subAccountId": self.subaccount,
            **{k: v for k, v in body.items() if k != "password"},
            "passwordSet": bool(body.get("password")),
            "statusCode": 0,
            "statusMessage": "ok",
        }
        return httpx.Response(200, json={**self.recording_config, "delete": False})

    def _recordings(self, request, session):
        if not self._authorised(request):
            return httpx.Response(401)
        if session != RECORDING_SESSION:
            return httpx.Response(
                200, json={"recordings": [], "statusCode": 0, "statusMessage": "ok"}
            )
        return httpx.Response(200, json=self.recordings)


@pytest.fixture
def fake_8x8(settings):
    """8x8 credentials in the settings and a fake sub-account behind them; no real network."""
    settings.EIGHTX8_API_KEY = API_KEY
    settings.EIGHTX8_SUBACCOUNT_ID = SUBACCOUNT
    settings.EIGHTX8_API_BASE_URL = BASE
    settings.EIGHTX8_ATTEMPTS = 3
    settings.EIGHTX8_RETRY_BACKOFF = 0
    with respx.mock(assert_all_called=False) as router:
        yield Fake8x8(router)
