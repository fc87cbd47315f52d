"""The API's throttles, counted atomically in the shared cache (CACHE_URL; README, "Production").

DRF's own throttles keep each client's request times as a list in the cache, read and written
back whole: two processes answering the same client at the same moment both read the old list,
and both requests pass. Here each client has one counter per window, raised with the cache's
atomic increment (Redis INCR), so a client's limit holds however many processes and hosts answer
it at once. A window opens with the client's first request and lasts the rate's period; a client
may spend its limit at the end of one window and again at the start of the next.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from callflows.authentication import client_ip


class AtomicWindowMixin:
    def get_ident(self, request):
        """The client's address by the project's one rule (MASKING_TRUSTED_PROXIES; 0: the
        socket's). DRF's own, with REST_FRAMEWORK["NUM_PROXIES"] unset, is the X-Forwarded-For
        the client sent: a new value per request would be a new client, never throttled."""
        meta = request.META
        address = client_ip(request, trusted_proxies=settings.MASKING_TRUSTED_PROXIES)
        # Fewer entries than trusted proxies: it did not come through them; the socket's address
        # is the one the client cannot choose.
        return address or meta.get("REMOTE_ADDR") or "unknown"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        # No-ops while the window is open: the first request of a window opens it, and its
        # expiry closes it (incrementing keeps the expiry).
        self.cache.add(self.key, 0, self.duration)
        self.cache.add(f"{self.key}:opened", now, self.duration)
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # it expired between add and incr: a new window
            self.cache.add(self.key, 1, self.duration)
            count = 1
        opened = self.cache.get(f"{self.key}:opened", now)
        self.retry_after = max(opened + self.duration - now, 0)
        return count <= self.num_requests

    def wait(self):
        return self.retry_after


class SharedAnonRateThrottle(AtomicWindowMixin, AnonRateThrottle):
    pass


class SharedUserRateThrottle(AtomicWindowMixin, UserRateThrottle):
    pass
