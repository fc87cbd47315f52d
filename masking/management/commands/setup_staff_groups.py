"""Create or update the staff groups Support and Operations (masking/services/groups.py)."""

from django.core.management.base import BaseCommand

from masking.services.groups import staff_groups_setup


class Command(BaseCommand):
    help = "Create or update the groups Support (read, simulate) and Operations (manage)."

    def handle(self, *args, **options):
        for name, permissions in staff_groups_setup().items():
            self.stdout.write(f"{name}: {len(permissions)} permissions")
            if options["verbosity"] > 1:
                for permission in permissions:
                    self.stdout.write(f"  {permission}")
