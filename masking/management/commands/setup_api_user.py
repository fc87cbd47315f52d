"""Set up the business backend's API user: what it may do, and whether it sees numbers whole.

    manage.py setup_api_user backend --full-numbers
    manage.py drf_create_token backend

The user is not staff (it cannot log in to the admin). It may read, open and change sessions,
read their calls, read the pool, and record and revoke consent. `--full-numbers` grants
`masking.view_full_numbers`, which a backend that matches calls to its own users by number needs;
without it, the API answers numbers masked ("+65 9123 ••01"). Run again to change either.

`--pool NAME` (repeatable) limits the user to those pools' sessions, calls and numbers
(masking.pool_access): a backend per market. A new user without it is given no pool, and so
sees every pool, as before pools; run again with `--pool` to limit an existing user. Run again
without `--pool`, an existing user keeps its pools: given no pool is every pool, so widening a
limited user takes `--every-pool`, never an omission (adding `--full-numbers` to Malaysia's
backend once opened every market to it).
"""

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from masking.models import Pool
from masking.privacy import FULL_NUMBERS_PERMISSION

BACKEND_PERMISSIONS = [
    "view_maskingsession",
    "add_maskingsession",
    "change_maskingsession",
    "view_virtualnumber",
    "view_recordingoptin",
    "add_recordingoptin",
    "change_recordingoptin",
]
# Calls are the provider side's records (app callflows).
BACKEND_CALL_PERMISSIONS = ["view_call"]


class Command(BaseCommand):
    help = "Create or update the business backend's API user and its permissions."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--full-numbers",
            action="store_true",
            help="Answer people's numbers whole (masking.view_full_numbers).",
        )
        parser.add_argument(
            "--pool",
            action="append",
            default=[],
            dest="pools",
            help="Limit the user to this pool (by name); repeat for several. Without it: an "
            "existing user keeps its pools, a new one sees every pool.",
        )
        parser.add_argument(
            "--every-pool",
            action="store_true",
            help="Give an existing user limited to pools every pool again.",
        )

    def handle(self, *args, username, full_numbers, pools, every_pool, **options):
        if pools and every_pool:
            raise CommandError("Name pools with --pool, or give --every-pool; not both.")
        granted = list(Pool.objects.filter(name__in=pools))
        missing = sorted(set(pools) - {pool.name for pool in granted})
        if missing:
            names = ", ".join(Pool.objects.values_list("name", flat=True))
            raise CommandError(f"No pool is named {', '.join(missing)}. Pools: {names}.")
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_unusable_password()  # it authenticates with a token only
            user.save()
        codenames = BACKEND_PERMISSIONS + (
            [FULL_NUMBERS_PERMISSION.split(".")[1]] if full_numbers else []
        )
        user.user_permissions.set(
            Permission.objects.filter(
                Q(content_type__app_label="masking", codename__in=codenames)
                | Q(content_type__app_label="callflows", codename__in=BACKEND_CALL_PERMISSIONS)
            )
        )
        if pools or every_pool:
            user.masking_pools.set(granted)
        else:
            granted = list(user.masking_pools.order_by("name"))
        shown = "whole" if full_numbers else "masked"
        where = ", ".join(pool.name for pool in granted) or "every pool"
        self.stdout.write(
            self.style.SUCCESS(
                f"{'Created' if created else 'Updated'} {username}: sessions, calls (read), "
                f"pool (read), consent, in {where}; people's numbers answered {shown}. Its token: "
                f"manage.py drf_create_token {username}"
            )
        )
