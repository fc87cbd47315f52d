"""Liveness and readiness probes for load balancers and orchestrators (README, "Production").

- `GET /healthz`: the process answers. Touches nothing else, so a database outage never gets the
  app servers killed and restarted (which would only add cold starts to the outage).
- `GET /readyz`: this process can answer calls: the database answers within the Call Action's
  own deadline, and every migration this code knows is applied (after a deploy that forgot
  `migrate`, new code must not take calls). 503 otherwise, naming which check failed.

Both are answered by the first middleware, before the host check, the HTTPS redirect, sessions
and authentication: a probe sends whatever Host it likes over plain HTTP, and needs no account.
They tell nothing about data: a status and the names of the checks.
"""

from functools import cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Q

from callflows.views.base import json_response
from masking.db import db_deadline

LIVENESS, READINESS = "/healthz", "/readyz"


@cache
def known_migrations() -> frozenset[tuple[str, str]]:
    """The last migration of each app, as this code's migration files say (read once)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def readiness() -> dict[str, str]:
    """Each check's result: "ok", "unavailable" or "behind"."""
    leaves = known_migrations()
    try:
        with db_deadline(settings.MASKING_CALL_ACTION_DB_DEADLINE_MS / 1000):
            # One statement answers both questions: is the database there, are we migrated?
            applied = MigrationRecorder.Migration.objects.using(DEFAULT_DB_ALIAS).filter(
                Q.create([Q(app=app, name=name) for app, name in leaves], connector=Q.OR)
            )
            count = applied.count()
    except Exception:
        if not connection.in_atomic_block:
            connection.close()  # whatever it was, the next probe starts afresh
        return {"database": "unavailable", "migrations": "unknown"}
    return {"database": "ok", "migrations": "ok" if count == len(leaves) else "behind"}


class HealthMiddleware:
    """Answers the probes; everything else passes through untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == LIVENESS and request.method in ("GET", "HEAD"):
            return json_response({"status": "ok"})
        if request.path == READINESS and request.method in ("GET", "HEAD"):
            checks = readiness()
            ready = all(result == "ok" for result in checks.values())
            return json_response(
                {"status": "ready" if ready else "not ready", "checks": checks},
                status=200 if ready else 503,
            )
        return self.get_response(request)
