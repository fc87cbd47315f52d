"""Sum the call roll-up (callflows/call_days.py) again from the calls.

The triggers keep it exact as calls are written; `migrate` and a pool's new time zone in the admin
build it again by themselves. Run this after changing a pool's `operations_time_zone` any other
way (the shell, SQL), or after writing calls with the triggers off. It sums each call under its
own pool (`Call.pool`, the pool that answered it): it moves no call to its number's pool of now.
Call writes wait on PostgreSQL while it runs (about a minute at 10,000,000 calls): run it off-peak.
"""

from django.core.management.base import BaseCommand, CommandError

from callflows.rollup import rollup_rebuild
from masking.models import Pool


class Command(BaseCommand):
    help = "Sum the call roll-up again from the calls, of every pool or of one."

    def add_arguments(self, parser):
        parser.add_argument("--pool", help="Only this pool's days (its name).")

    def handle(self, *args, pool=None, **options):
        pool_ids = None
        if pool:
            found = Pool.objects.filter(name=pool).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"No pool named {pool!r}.")
            pool_ids = [found]
        rollup_rebuild(pool_ids=pool_ids)
        self.stdout.write(f"Call roll-up summed again: {pool or 'every pool'}.")
