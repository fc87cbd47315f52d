"""Metrics in Prometheus' text format at `/metrics` (README, "Production"), for staff accounts
and API tokens of staff users, as the API is protected.

Two kinds:

- **counted in-process** on the request paths: Call Actions by decision, apologies by cause, the
  Call Action's latency, 8x8 requests by webhook and result. A counter costs no database round
  trip. Under gunicorn every worker writes its own (prometheus-client's multiprocess mode, its
  directory in PROMETHEUS_MULTIPROC_DIR, set by gunicorn.conf.py) and a scrape sums them.
- **read from the database at scrape time**: callbacks waiting, being delivered and failed and the
  oldest waiting one's age, active PIN lockouts, open sessions and headroom per virtual number.
"""

import os
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Min
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from psycopg import errors as pg_errors
from rest_framework.permissions import IsAdminUser
from rest_framework.views import APIView

CALL_ACTIONS = Counter(
    "masking_call_actions", "Call Actions answered, by the decision taken.", ["decision"]
)
APOLOGIES = Counter(
    "masking_call_action_apologies",
    "Call Actions answered with the apology, by cause: database_timeout (the Call Action's "
    "deadline or the statement timeout), lock_timeout, database_unavailable, error (anything "
    "else).",
    ["cause"],
)
CALL_ACTION_SECONDS = Histogram(
    "masking_call_action_seconds",
    "Time from a Call Action's parsed body to its answer, in seconds.",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 1.5, 2.0, 5.0),
)
PROVIDER_REQUESTS = Counter(
    "masking_provider_requests",
    "Requests from 8x8 by webhook and result: stored (2xx: answered and on record), refused "
    "(4xx: bad credentials, network, size or body), error (5xx).",
    ["webhook", "result"],
)


def apology_cause(failure: BaseException) -> str:
    """What made a Call Action answer the apology, as one of a few words."""
    from masking.postgres.base import DeadlineExceeded  # PostgreSQL's backend, loaded lazily

    cause = getattr(failure, "__cause__", None) or failure
    if isinstance(cause, pg_errors.LockNotAvailable):
        return "lock_timeout"
    if isinstance(cause, DeadlineExceeded | pg_errors.QueryCanceled):
        return "database_timeout"
    if isinstance(failure, DatabaseError):
        return "database_unavailable"
    return "error"


class ProviderMetricsMiddleware:
    """Counts every answer to 8x8 by webhook (its URL name) and result."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/callflows/8x8/"):
            match = request.resolver_match
            status = response.status_code
            result = "stored" if status < 400 else "refused" if status < 500 else "error"
            PROVIDER_REQUESTS.labels(match.url_name if match else "unknown", result).inc()
        return response


class DatabaseCollector:
    """The gauges read from the database, once per scrape (a few indexed aggregates)."""

    def collect(self):
        try:
            metrics = list(self.read())
        except DatabaseError:
            metrics = []
        up = GaugeMetricFamily(
            "masking_metrics_database_up", "1 if this scrape could read the database's gauges."
        )
        up.add_metric([], 1 if metrics else 0)
        yield up
        yield from metrics

    def read(self):
        from masking.models import (
            Callback,
            CallbackEndpointState,
            PinLockout,
            VirtualNumber,
        )

        now = timezone.now()
        waiting = GaugeMetricFamily(
            "masking_callbacks", "Callbacks not delivered, by status.", labels=["status"]
        )
        counts = dict(
            Callback.objects.exclude(status=Callback.Status.DELIVERED)
            .values_list("status")
            .annotate(n=Count("id"))
        )
        for status in (Callback.Status.PENDING, Callback.Status.DELIVERING, Callback.Status.FAILED):
            waiting.add_metric([status.value], counts.get(status.value, 0))
        yield waiting
        oldest = Callback.objects.filter(status=Callback.Status.PENDING).aggregate(
            at=Min("created_at")
        )["at"]
        yield GaugeMetricFamily(
            "masking_callback_oldest_pending_age_seconds",
            "Age of the oldest callback waiting to be delivered (0 when none waits).",
            value=(now - oldest).total_seconds() if oldest else 0,
        )
        yield GaugeMetricFamily(
            "masking_callback_endpoints_disabled",
            "Callback endpoints no longer sent to (410 Gone, or failing for "
            "MASKING_CALLBACK_DISABLE_AFTER_HOURS): staff enable them again.",
            value=CallbackEndpointState.objects.filter(disabled_at__isnull=False).count(),
        )
        lockouts = GaugeMetricFamily(
            "masking_pin_lockouts_active",
            "PIN lockouts refusing PIN entry now: of one caller, or of a whole number.",
            labels=["kind"],
        )
        active = PinLockout.objects.active(now)
        lockouts.add_metric(["caller"], active.of_callers().count())
        lockouts.add_metric(["number"], active.of_numbers().count())
        yield lockouts
        recent = GaugeMetricFamily(
            "masking_pin_lockouts_last_day", "PIN lockouts that began in the last 24 hours."
        )
        recent.add_metric(
            [], PinLockout.objects.filter(locked_at__gt=now - timedelta(days=1)).count()
        )
        yield recent
        open_sessions = GaugeMetricFamily(
            "masking_open_sessions",
            "Open sessions per virtual number in service.",
            labels=["virtual_number"],
        )
        headroom = GaugeMetricFamily(
            "masking_session_headroom",
            "Sessions a virtual number in service may still open (MASKING_NUMBER_CAPACITY).",
            labels=["virtual_number"],
        )
        capacity = settings.MASKING_NUMBER_CAPACITY
        for number, n in VirtualNumber.objects.in_service().values_list("number", "open_sessions"):
            open_sessions.add_metric([str(number)], n)
            headroom.add_metric([str(number)], max(capacity - n, 0))
        yield open_sessions
        yield headroom


def exposition() -> bytes:
    """Every metric, in Prometheus' text format."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
        counted = b""
    else:
        counted = generate_latest(REGISTRY)
    registry.register(DatabaseCollector())
    return counted + generate_latest(registry)


class MetricsView(APIView):
    """GET /metrics. Staff only, like the API: a staff login, or `Authorization: Token ...`."""

    permission_classes = [IsAdminUser]
    schema = None  # not part of the API's OpenAPI schema

    def get(self, request):
        return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
