"""Bring the number pool in step with 8x8's number list (run hourly from cron).

Adds numbers 8x8 lists that we lack, applies their health, flags numbers we have that 8x8 no
longer lists (they take no new sessions; nothing is deleted), so a missed number-update webhook
is caught within the hour.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from callflows.connection import resync
from callflows.management.commands.connect_8x8 import write_report
from callflows.voice_api import VoiceApi, VoiceApiError


class Command(BaseCommand):
    help = "Resync the number pool and its health from 8x8's number list."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only read, and print what would change."
        )

    def handle(self, *args, dry_run, **options):
        try:
            with VoiceApi.from_settings() as api:
                report = resync(api=api, dry_run=dry_run)
        except VoiceApiError as exc:
            raise CommandError(f"{exc} Nothing was changed here.") from None
        write_report(self, report, subaccount=settings.EIGHTX8_SUBACCOUNT_ID)
