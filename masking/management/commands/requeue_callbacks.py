"""Queue again the callbacks no live task will deliver.

A worker killed mid-delivery leaves its callback held until the lease
(MASKING_CALLBACK_LEASE_SECONDS) runs out, and its task "running" forever; this hands the callback
to a new task with the same webhook-id. Schedule it every minute beside the worker (README,
"Callbacks").
"""

from django.core.management.base import BaseCommand

from masking.services.callbacks import callbacks_requeue


class Command(BaseCommand):
    help = "Queue again callbacks left by a dead worker or a lost task (run every minute)."

    def handle(self, *args, verbosity, **options):
        requeued = callbacks_requeue()
        # Cron mails whatever a job prints: a line only when something was done (-v2: always;
        # -v0: never).
        if verbosity >= 2 or (requeued and verbosity >= 1):
            self.stdout.write(self.style.SUCCESS(f"Queued {requeued} callbacks again."))
