"""Who may call the provider endpoints: 8x8, recognised by its Authorization header and network.

8x8 signs nothing (provider document, section 10, item 24): it sends the webhook's configured
`httpAuthHeader` as `Authorization`, from its published address ranges.
"""

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings

# The challenge a 401 carries.
AUTHENTICATE_HEADER = 'Bearer realm="8x8 webhooks"'


def is_provider(request) -> bool:
    """Whether the request's Authorization header is WEBHOOK_AUTH_HEADER (or, during a rotation,
    WEBHOOK_AUTH_HEADER_PREVIOUS).

    Compared in constant time, against every accepted value without stopping early, so the header
    cannot be guessed byte by byte. An empty setting accepts nobody: a forgotten configuration
    fails closed.
    """
    given = request.META.get("HTTP_AUTHORIZATION", "").encode("utf-8", "replace")
    accepted = [
        value.encode()
        for value in (settings.WEBHOOK_AUTH_HEADER, settings.WEBHOOK_AUTH_HEADER_PREVIOUS)
        if value
    ]
    matches = [hmac.compare_digest(given, value) for value in accepted]
    return any(matches)


@lru_cache(maxsize=8)
def _networks(ranges: tuple[str, ...]):
    return tuple(ipaddress.ip_network(r.strip(), strict=False) for r in ranges if r.strip())


def client_ip(request, *, trusted_proxies: int) -> str | None:
    """The address that connected to the nearest proxy we do not operate.

    With no trusted proxy that is the socket's address. Each trusted proxy appends the address it
    received from to X-Forwarded-For, so the client is the `trusted_proxies`-th entry from the
    right; anything further left was written by the client and may be forged. Too few entries
    means the request did not come through our proxies: no address, no entry.
    """
    if trusted_proxies <= 0:
        return request.META.get("REMOTE_ADDR")
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [p for p in forwarded if p]
    if len(forwarded) < trusted_proxies:
        return None
    return forwarded[-trusted_proxies]


def from_provider_network(request) -> bool:
    """Whether the request comes from MASKING_PROVIDER_IP_ALLOWLIST's networks (any, when unset)."""
    ranges = tuple(settings.MASKING_PROVIDER_IP_ALLOWLIST)
    if not ranges:
        return True
    address = client_ip(request, trusted_proxies=settings.MASKING_TRUSTED_PROXIES)
    try:
        ip = ipaddress.ip_address(address) if address else None
    except ValueError:
        return False
    return ip is not None and any(ip in network for network in _networks(ranges))
