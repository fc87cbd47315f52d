"""The API's throttles, counted atomically in the shared cache (CACHE_URL; README, "Production").

DRF's own throttles keep each client's request times as a list in the cache, read and written
back whole: two processes answering the same client at the same moment both read the old list,
and both requests pass. Here each client has one counter per window, raised with the cache's
atomic increment (Redis INCR), so a client's limit holds however many processes and hosts answer
it at once. Fixed windows: a client may spend its limit at the end of one window and again at the
start of the next, never more than twice the rate in any span of one window.
"""

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AtomicWindowMixin:
    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.key}:{window}"
        self.cache.add(key, 0, self.duration + 1)  # no-op when the window's counter exists
        try:
            count = self.cache.incr(key)
        except ValueError:  # it expired between add and incr: the window just ended
            self.cache.add(key, 1, self.duration + 1)
            count = 1
        self.retry_after = (window + 1) * self.duration - now
        return count <= self.num_requests

    def wait(self):
        return self.retry_after


class SharedAnonRateThrottle(AtomicWindowMixin, AnonRateThrottle):
    pass


class SharedUserRateThrottle(AtomicWindowMixin, UserRateThrottle):
    pass
