"""Retention: anonymise calls and delete raw provider events older than N days.

A call keeps what reporting needs (when, outcome, status, durations, quality, which number and
session) and loses who called and what was said to whom: the caller's number, the callflow we
answered (it names the other party, as do its stored Call Action events) and the recording's
path. Raw events are deleted: their payloads carry numbers; so are wrong PINs and PIN lockouts
(they name the caller). Runs in batches so a large backlog never holds long locks.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from callflows.models import Call, CallAction, CallEvent
from masking.models import AuditEntry, PinFailure, PinLockout


class Command(BaseCommand):
    help = "Anonymise call records and delete provider event payloads older than the retention."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.MASKING_CALL_RETENTION_DAYS,
            help="Keep this many days in full (default: MASKING_CALL_RETENTION_DAYS).",
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, days, batch_size, **options):
        cutoff = timezone.now() - timedelta(days=days)
        events = self._in_batches(
            CallEvent.objects.filter(received_at__lt=cutoff),
            lambda ids: CallEvent.objects.filter(pk__in=ids).delete()[0],
            batch_size,
            "events deleted",
        )
        pin_records = self._in_batches(
            PinFailure.objects.filter(at__lt=cutoff),
            lambda ids: PinFailure.objects.filter(pk__in=ids).delete()[0],
            batch_size,
            "wrong PINs deleted",
        ) + self._in_batches(
            PinLockout.objects.filter(locked_until__lt=cutoff),
            lambda ids: PinLockout.objects.filter(pk__in=ids).delete()[0],
            batch_size,
            "PIN lockouts deleted",
        )
        calls = self._in_batches(
            Call.objects.filter(created_at__lt=cutoff, anonymised_at__isnull=True),
            self._anonymise,
            batch_size,
            "calls anonymised",
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Older than {days} days: {calls} calls anonymised, {events} events deleted, "
                f"{pin_records} wrong PINs and PIN lockouts deleted."
            )
        )

    def _anonymise(self, ids):
        Call.objects.filter(pk__in=ids).update(
            caller="", answer=None, recording_path="", anonymised_at=timezone.now()
        )
        CallAction.objects.filter(call__pk__in=ids).update(answer=None)
        AuditEntry.objects.bulk_create(
            AuditEntry(
                via="retention",
                action="anonymised",
                object_type="callflows.Call",
                object_id=str(pk),
                object_repr=f"call #{pk}",
                changes={"fields": ["caller", "answer", "recording_path"]},
            )
            for pk in ids
        )

    def _in_batches(self, queryset, apply, batch_size, label) -> int:
        done = 0
        while True:
            with transaction.atomic():
                ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
                if not ids:
                    return done
                apply(ids)
            done += len(ids)
            self.stdout.write(f"  {done} {label}")
