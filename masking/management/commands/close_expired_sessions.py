"""Close sessions whose expiry has passed, freeing their routing keys.

Expired sessions already route nobody (the Call Action checks the time); this sweep keeps the
tables tidy and the admin's "open" honest. Schedule it every minute or so (README, "Expiry").
"""

from django.core.management.base import BaseCommand

from masking.services.sessions import sessions_close_expired


class Command(BaseCommand):
    help = "Close expired sessions in batches and free their routing keys."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, verbosity, **options):
        total = 0
        for closed in sessions_close_expired(batch_size=batch_size):
            total += closed
            if verbosity >= 2:
                self.stdout.write(f"closed {total} expired sessions so far")
        # Cron mails whatever a job prints: a line only when something was done (-v2: always;
        # -v0: never).
        if verbosity >= 2 or (total and verbosity >= 1):
            self.stdout.write(self.style.SUCCESS(f"Closed {total} expired sessions."))
