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


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def refusal_reason(request) -> str:
    """Which check a refused Authorization header failed, in words safe to log: never the
    secret, nor what was sent, only its shape (issue 27, finding 8). 8x8 documents
    `httpAuthHeader` only as "an authentication header": when its delivery differs from our
    exact value, this says how, so the fix (what to register) is plain."""
    expected = settings.WEBHOOK_AUTH_HEADER
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if not expected:
        return "WEBHOOK_AUTH_HEADER is not set here, so every provider request is refused"
    if not given:
        return "no Authorization header (is httpAuthHeader set on the 8x8 webhook?)"
    scheme, _, token = expected.partition(" ")
    given_scheme = given.split(" ", 1)[0]
    if _same(given.strip(), expected):
        return "the expected value with whitespace around it"
    if token and _same(given, f"{scheme} {expected}"):
        return (
            f"the scheme twice ({scheme} {scheme} …): the header arrives with a scheme added to "
            f"the registered value, so register httpAuthHeader as the token alone"
        )
    if token and _same(given, token):
        return (
            f"the token without its scheme {scheme!r}: register httpAuthHeader as the whole value"
        )
    if token and given_scheme.lower() != scheme.lower():
        shown = given_scheme if given_scheme.isalpha() and len(given_scheme) <= 20 else "?"
        return f"another scheme ({shown!r} where {scheme!r} is expected)"
    return (
        f"a wrong value ({len(given)} characters where {len(expected)} are expected"
        + (", same scheme" if token else "")
        + "): WEBHOOK_AUTH_HEADER and the webhook's httpAuthHeader differ"
    )


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
