"""`manage.py db_worker`: django-tasks-db's task worker (README, "Callbacks"), made to outlive the
database going away.

The library's worker exits on the first OperationalError: after a PostgreSQL restart (or a
failover, or a pooler dropping its connections) every worker was gone and callbacks stayed
pending until someone restarted them. This one logs the failure in one line, drops its
connection, waits and tries again, for as long as it runs: 1 s, then twice as long each time up to
MASKING_WORKER_MAX_BACKOFF_SECONDS, with jitter so that several workers do not return at once.
The systemd unit's `Restart=always` still covers what this cannot (a crash, an OOM kill).

It replaces the library's command of the same name because `masking` is listed before
`django_tasks_db` in INSTALLED_APPS.
"""

import logging
import random
import time
from contextlib import suppress

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("masking.worker")

FIRST_BACKOFF_SECONDS = 1.0


def backoff(failures: int, *, ceiling: float) -> float:
    """Seconds to wait after the `failures`-th failure in a row: doubling from 1 s to `ceiling`,
    the last 20% of it random."""
    return min(ceiling, FIRST_BACKOFF_SECONDS * 2 ** (failures - 1)) * random.uniform(0.8, 1.0)


class Worker(db_worker.Worker):
    def run(self) -> None:
        ceiling = settings.MASKING_WORKER_MAX_BACKOFF_SECONDS
        failures, last_failure = 0, 0.0
        while self.running:
            try:
                return super().run()
            except (OperationalError, InterfaceError) as exc:
                now = time.monotonic()
                # A worker that ran well since its last failure starts again from a short wait.
                failures = 1 if now - last_failure > 2 * ceiling else failures + 1
                last_failure = now
                wait = backoff(failures, ceiling=ceiling)
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                logger.warning("database unavailable (%s); trying again in %.1f s", reason, wait)
                for connection in connections.all(initialized_only=True):
                    with suppress(Exception):  # already unusable: nothing to close cleanly
                        connection.close()
                time.sleep(wait)


class Command(db_worker.Command):
    help = db_worker.Command.help + ", which waits out database outages instead of exiting"

    def handle(self, *args, **options):
        # The library's handle() builds its worker from its module's `Worker`: ours for this run.
        original, db_worker.Worker = db_worker.Worker, Worker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
