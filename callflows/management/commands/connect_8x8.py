"""Connect this deployment to its 8x8 sub-account in one run (README, "Pointing 8x8 at it").

Reads EIGHTX8_API_KEY and EIGHTX8_SUBACCOUNT_ID, the public base URL (--base-url or
MASKING_PUBLIC_BASE_URL) and WEBHOOK_AUTH_HEADER; registers the five webhooks, verifies them,
syncs the number pool, stores the voice catalogue, and shows (and, from EIGHTX8_RECORDING_*,
sets) where 8x8 pushes recordings. Safe to run again: a second run changes nothing.

With --pool NAME, connects that pool's sub-account with its own API key instead
(`callflows.pool_connection`, as the admin's connect page of a pool does). A pool other than the
deployment's gets a new webhook credential on each run, kept only as a hash.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from callflows.pool_connection import connect_pool
from callflows.voice_api import VoiceApiError
from masking.models import Pool


class Command(BaseCommand):
    help = "Connect this deployment to its 8x8 sub-account: webhooks, number pool, voices."

    def add_arguments(self, parser):
        parser.add_argument(
            "--pool",
            help="Connect this pool's 8x8 sub-account (default: the deployment's pool).",
        )
        parser.add_argument(
            "--base-url",
            default=settings.MASKING_PUBLIC_BASE_URL,
            help="This deployment's public https address (default: MASKING_PUBLIC_BASE_URL).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only read, and print what would change."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Register every webhook again (after changing WEBHOOK_AUTH_HEADER: 8x8 never "
            "shows the value it has) and set the recording push again.",
        )
        parser.add_argument(
            "--keep-dialect",
            action="store_true",
            help="Go on although 8x8's voice catalogue lacks voices the dialect forced by "
            "MASKING_CALLFLOW_DIALECT sends (without it, such a run stops and changes nothing).",
        )

    def handle(self, *args, pool, base_url, dry_run, force, keep_dialect, **options):
        chosen = self.pool(pool)
        try:
            report = connect_pool(
                pool=chosen,
                base_url=base_url,
                dry_run=dry_run,
                force=force,
                keep_dialect=keep_dialect,
            )
        except VoiceApiError as exc:
            # Raised only while reading, before anything is written.
            raise CommandError(f"{exc} Nothing was changed here.") from None
        write_report(self, report, subaccount=chosen.effective_subaccount_id)
        if report.failures:
            raise CommandError(failure_summary(report))

    def pool(self, name: str | None) -> Pool:
        if not name:
            return Pool.objects.deployment()
        found = Pool.objects.filter(name=name).first()
        if found is None:
            names = ", ".join(Pool.objects.values_list("name", flat=True))
            raise CommandError(f"No pool is named {name!r}. Pools: {names}.")
        return found


def failure_summary(report) -> str:
    """Why a run that read everything and changed what it could still failed."""
    return (
        "8x8's side is not fully set: "
        + "; ".join(report.failures)
        + ". The number pool and the voice catalogue were updated from what 8x8 lists."
    )


def write_report(command: BaseCommand, report, *, subaccount: str) -> None:
    heading = "Dry run: nothing changed." if report.dry_run else "Done."
    command.stdout.write(f"8x8 sub-account {subaccount}")
    for line in report.lines:
        command.stdout.write(f"  {line}")
    for warning in report.warnings:
        command.stdout.write(command.style.WARNING(f"  Warning: {warning}"))
    for action in report.actions_needed:
        command.stdout.write(command.style.WARNING(f"  Action needed: {action}"))
    for failure in report.failures:
        command.stdout.write(command.style.ERROR(f"  Failed: {failure}"))
    command.stdout.write(
        command.style.SUCCESS(f"{heading} {report.changes} change(s){' to make' * report.dry_run}.")
    )
