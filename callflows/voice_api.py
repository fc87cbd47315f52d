"""8x8's Voice REST API: the one module through which the product talks to 8x8.

The provider document's section 10 describes each endpoint; the calls here follow its "We do"
column where 8x8's documents disagree (section 10.6). Every request carries the sub-account's API
key as a bearer token, has explicit timeouts, and is retried by tenacity when retrying is safe:

- every request, reads, deletes and creates alike: on a timeout, a connection error, 429
  (honouring a short Retry-After) or a 5xx answer.

Creates may be repeated because what they create is keyed by what the request names, not by the
request: a sub-account has one webhook per type (8x8's DELETE takes only the type, and its VSS
guide deletes "before re-registering with a new URL") and one recording push configuration (its
path has no id). A repeated create therefore aims at the same end state; if the first try did
land, the repeat re-creates it with the same values or is refused, and `callflows.connection`
reads the webhooks back to tell which, rather than trusting either answer.

Failures come out as `VoiceApiError`, with a message a person can act on. Neither the messages nor
the logs carry the API key, a webhook's auth header or a recording password: only the method,
the path and 8x8's status.

No 8x8 credentials (`EIGHTX8_API_KEY`, `EIGHTX8_SUBACCOUNT_ID`): `configured()` is False and
`VoiceApi.from_settings()` raises `NotConfigured`; callers say the feature is off.
"""

import logging
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import tenacity
from django.conf import settings

from masking import outbound

logger = logging.getLogger(__name__)

WEBHOOK_TYPES = ("VCA", "VCS", "VSS", "VRU", "VNU")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 30


class VoiceApiError(Exception):
    """8x8 could not be asked, or refused; the message says what happened and what to check.
    `tries`: how many requests were actually sent before giving up."""

    tries: int = 1


class NotConfigured(VoiceApiError):
    pass


class Refused(VoiceApiError):
    """8x8 answered 4xx: retrying will not help."""


class Unavailable(VoiceApiError):
    """8x8 timed out, could not be reached, or kept answering 429/5xx."""


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response):
        self.response = response


@dataclass(frozen=True)
class Webhook:
    type: str
    url: str
    enabled: bool
    auth_header_set: bool  # 8x8 never returns the value, only whether one is set


@dataclass(frozen=True)
class SpeechProfile:
    code: str
    locale: str
    description: str
    gender: str


@dataclass(frozen=True)
class RecordingPushConfig:
    protocol: str
    host: str
    port: int | None
    username: str
    path: str
    password_set: bool


@dataclass(frozen=True)
class Recording:
    recording_id: str
    status: str
    external_file_url: str
    duration: int | None
    started_at: str


def configured() -> bool:
    return bool(settings.EIGHTX8_API_KEY and settings.EIGHTX8_SUBACCOUNT_ID)


def _get(item: dict, key: str, default=None):
    """A key read case-insensitively (8x8 writes `sessionId` and `sessionid`, section 10.6 #12)."""
    if key in item:
        return item[key]
    lowered = key.lower()
    return next((v for k, v in item.items() if k.lower() == lowered), default)


class VoiceApi:
    def __init__(
        self,
        *,
        api_key: str,
        subaccount_id: str,
        base_url: str = "https://voice.8x8.com",
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        attempts: int = 3,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ):
        self.subaccount_id = subaccount_id
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.read_timeout = read_timeout
        self.last_tries = 0  # requests sent for the last call, retries included
        # Guarded like every outbound request (masking/outbound.py): https to public addresses,
        # no redirects (our bearer key would follow them), answers capped.
        self._http = outbound.client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, *, check: bool = True, **overrides) -> "VoiceApi":
        if check and not configured():
            raise NotConfigured(
                "8x8 is not connected: set EIGHTX8_API_KEY and EIGHTX8_SUBACCOUNT_ID "
                "(README, “Pointing 8x8 at it”)."
            )
        options = {
            "api_key": settings.EIGHTX8_API_KEY,
            "subaccount_id": settings.EIGHTX8_SUBACCOUNT_ID,
            "base_url": settings.EIGHTX8_API_BASE_URL,
            "connect_timeout": settings.EIGHTX8_CONNECT_TIMEOUT,
            "read_timeout": settings.EIGHTX8_READ_TIMEOUT,
            "attempts": settings.EIGHTX8_ATTEMPTS,
            "backoff": settings.EIGHTX8_RETRY_BACKOFF,
        }
        return cls(**{**options, **overrides})

    @classmethod
    def for_pool(cls, pool, **overrides) -> "VoiceApi":
        """The API as `pool`'s sub-account, with its own key (masking.models.Pool.api_key)."""
        api_key, subaccount = pool.api_key(), pool.effective_subaccount_id
        if not (api_key and subaccount):
            raise NotConfigured(
                f"8x8 is not connected for pool {pool.name}: give it a sub-account id and an API "
                "key (stored, or from its environment variable)."
            )
        return cls.from_settings(
            **{"api_key": api_key, "subaccount_id": subaccount, **overrides}, check=False
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # --- the endpoints ---------------------------------------------------------------------

    def webhooks(self) -> dict[str, Webhook]:
        """The sub-account's webhooks by type."""
        body = self._request("GET", "webhooks")
        hooks = {}
        for item in body.get("webhooks") or []:
            # The create schema says `enabled`, two guides `active` (section 10.6 #1).
            enabled = _get(item, "enabled", _get(item, "active", True))
            hooks[str(item.get("type", "")).upper()] = Webhook(
                type=str(item.get("type", "")).upper(),
                url=str(item.get("url") or ""),
                enabled=enabled is not False,
                auth_header_set=bool(_get(item, "httpAuthHeaderAvailable", False)),
            )
        return hooks

    def webhook_create(self, *, type: str, url: str, auth_header: str | None) -> None:
        body = {"type": type, "url": url, "httpAuthHeader": auth_header or None, "enabled": True}
        self._request("POST", "webhooks", json=body)

    def webhook_delete(self, *, type: str) -> None:
        self._request("DELETE", f"webhooks/{quote(type, safe='')}")

    def numbers(self) -> list[dict]:
        """Every virtual number of the sub-account, as 8x8 lists them (no pagination exists)."""
        return list(self._request("GET", "numbers").get("numbers") or [])

    def speech_profiles(self) -> list[SpeechProfile]:
        body = self._request("GET", "speech-profiles")
        return [
            SpeechProfile(
                code=str(item.get("speechProfileCode") or ""),
                locale=str(item.get("localeCode") or ""),
                description=str(item.get("localeDescription") or ""),
                gender=str(item.get("gender") or ""),
            )
            for item in body.get("speechProfiles") or []
            if item.get("speechProfileCode")
        ]

    def recording_push_config(self) -> RecordingPushConfig | None:
        """Where 8x8 pushes recordings, or None when nothing is configured (404)."""
        try:
            body = self._request("GET", "recording-push-config")
        except Refused as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise
        if not body.get("protocol"):
            return None
        return RecordingPushConfig(
            protocol=str(body.get("protocol") or ""),
            host=str(body.get("host") or ""),
            port=body.get("port"),
            username=str(body.get("username") or ""),
            path=str(body.get("path") or ""),
            password_set=bool(body.get("passwordSet")),
        )

    def recording_push_config_set(
        self, *, protocol: str, host: str, port: int, username: str, password: str, path: str
    ) -> None:
        body = {
            "protocol": protocol,
            "host": host,
            "port": port,
            "username": username,
            "password": password,
            "path": path,
        }
        self._request("POST", "recording-push-config", json=body)

    def recordings(self, session_id: str) -> list[Recording]:
        """The recordings of one 8x8 session (its `sessionId`, a UUID)."""
        body = self._request("GET", f"recordings/{quote(session_id, safe='')}")
        return [
            Recording(
                recording_id=str(_get(item, "recordingId") or ""),
                status=str(_get(item, "status") or "UNKNOWN").upper(),
                external_file_url=str(_get(item, "externalFileUrl") or ""),
                duration=_get(item, "duration"),
                started_at=str(_get(item, "startRecordingTime") or ""),
            )
            for item in body.get("recordings") or []
        ]

    # --- one request, retried -----------------------------------------------------------------

    def _path(self, tail: str) -> str:
        return f"/api/v1/subaccounts/{quote(self.subaccount_id, safe='')}/{tail}"

    def _worth_retrying(self, exc: BaseException) -> bool:
        if isinstance(exc, outbound.OutboundRefused):
            return False  # our own rule: another try is refused the same way
        return isinstance(exc, _RetryableStatus | httpx.TransportError)

    def _wait(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _RetryableStatus):
            retry_after = exc.response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                return min(float(retry_after), MAX_RETRY_AFTER_SECONDS)
        return self.backoff * 2 ** (retry_state.attempt_number - 1)

    def _log_retry(self, method: str, tail: str, retry_state: tenacity.RetryCallState) -> None:
        exc = retry_state.outcome.exception()
        what = (
            f"HTTP {exc.response.status_code}"
            if isinstance(exc, _RetryableStatus)
            else type(exc).__name__
        )
        logger.warning(
            "8x8 %s %s failed (%s), try %d of %d",
            method,
            tail,
            what,
            retry_state.attempt_number,
            self.attempts,
        )

    def _request(self, method: str, tail: str, *, json: dict | None = None) -> dict:
        where = f"{method} {tail}"
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(self._worth_retrying),
            before_sleep=lambda state: self._log_retry(method, tail, state),
            reraise=True,
        )
        self.last_tries = 0
        try:
            for attempt in retrying:
                with attempt:
                    self.last_tries += 1
                    response = self._http.request(method, self._path(tail), json=json)
                    if response.status_code in RETRY_STATUSES:
                        raise _RetryableStatus(response)
        except _RetryableStatus as exc:
            raise self._counted(
                Unavailable(
                    f"8x8 answered HTTP {exc.response.status_code} to {where} "
                    f"({self._tries_text()}): try again later."
                )
            ) from None
        except outbound.OutboundRefused as exc:
            raise Unavailable(
                f"Refused to ask 8x8 for {where}: {exc}. Check EIGHTX8_API_BASE_URL."
            ) from None
        except httpx.TimeoutException:
            raise self._counted(
                Unavailable(
                    f"8x8 did not answer {where} in time ({self._tries_text()}, "
                    f"{self.read_timeout:g} s each): try again later."
                )
            ) from None
        except httpx.TransportError as exc:
            raise self._counted(
                Unavailable(
                    f"Could not reach 8x8 for {where} ({type(exc).__name__}, "
                    f"{self._tries_text()}): check EIGHTX8_API_BASE_URL and the network."
                )
            ) from None
        if response.status_code >= 300:  # a redirect is not followed: our key would go along
            raise self._counted(self._refusal(where, response))
        if not response.content:
            return {}
        try:
            body = response.json()
        except ValueError:
            raise Unavailable(f"8x8 answered {where} with something that is not JSON.") from None
        return body if isinstance(body, dict) else {}

    def _tries_text(self) -> str:
        return "1 try" if self.last_tries == 1 else f"{self.last_tries} tries"

    def _counted(self, error: VoiceApiError) -> VoiceApiError:
        error.tries = self.last_tries
        return error

    def _refusal(self, where: str, response: httpx.Response) -> Refused:
        status = response.status_code
        hints = {
            401: "8x8 refused the API key: check EIGHTX8_API_KEY.",
            403: "the API key may not use this sub-account: check EIGHTX8_SUBACCOUNT_ID.",
            404: "not found: check EIGHTX8_SUBACCOUNT_ID.",
        }
        detail = hints.get(status)
        if detail is None:
            try:
                detail = str(response.json().get("statusMessage") or "")[:200]
            except (ValueError, AttributeError):
                detail = ""
            detail = detail or "refused."
        error = Refused(f"8x8 answered HTTP {status} to {where}: {detail}")
        error.status = status
        return error
