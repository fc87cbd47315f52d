"""Retention: anonymise calls, delete raw provider events, finished callbacks and their task
results older than N days; delete calls and their Call Action events older than M days (README,
"Retention").

A call keeps what reporting needs (when, outcome, status, durations, quality, which number and
session) and loses who called and what was said to whom: the caller's number, the callflow we
answered (it names the other party, as do its stored Call Action events) and the recording's
path. Raw events are deleted: their payloads carry numbers; so are wrong PINs and PIN lockouts
(they name the caller). Later, the anonymised calls go too, with their Call Action events: what
was counted while they were kept is what reports over that period showed. Runs in batches, each
its own short transaction on rows no call touches any more, so calls in progress never wait on it;
the audit trail gets one entry a batch, not a row a call.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from callflows.models import Call, CallAction, CallEvent
from masking.models import AuditEntry, Callback, PinFailure, PinLockout


class Command(BaseCommand):
    help = "Anonymise call records and delete provider event payloads older than the retention."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.MASKING_CALL_RETENTION_DAYS,
            help="Keep this many days in full (default: MASKING_CALL_RETENTION_DAYS).",
        )
        parser.add_argument(
            "--delete-days",
            type=int,
            default=settings.MASKING_CALL_DELETE_DAYS,
            help="Delete calls and their events older than this (default: "
            "MASKING_CALL_DELETE_DAYS; 0 keeps anonymised calls for ever).",
        )
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, days, delete_days, batch_size, **options):
        now = timezone.now()
        cutoff = now - timedelta(days=days)
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
        callbacks = self._in_batches(
            Callback.objects.filter(
                created_at__lt=cutoff,
                status__in=[Callback.Status.DELIVERED, Callback.Status.FAILED],
            ),
            lambda ids: Callback.objects.filter(pk__in=ids).delete()[0],
            batch_size,
            "finished callbacks deleted",
        )
        # The task queue's finished results (a callback each), with the queue's own command.
        call_command("prune_db_task_results", min_age_days=days, queue_name="*", verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Older than {days} days: {calls} calls anonymised, {events} events deleted, "
                f"{pin_records} wrong PINs and PIN lockouts deleted, {callbacks} finished "
                "callbacks deleted."
            )
        )
        if delete_days > 0:
            deleted = self._in_batches(
                Call.objects.filter(created_at__lt=now - timedelta(days=max(delete_days, days))),
                self._delete,
                batch_size,
                "calls deleted",
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Older than {max(delete_days, days)} days: {deleted} calls deleted with "
                    "their Call Action events."
                )
            )

    def _anonymise(self, ids):
        Call.objects.filter(pk__in=ids).update(
            caller="", answer=None, recording_path="", anonymised_at=timezone.now()
        )
        CallAction.objects.filter(call__pk__in=ids).update(answer=None)
        _audit(ids, action="anonymised", changes={"fields": ["caller", "answer", "recording_path"]})

    def _delete(self, ids):
        # Children first, each one DELETE by key: no row is loaded into Python.
        CallAction.objects.filter(call__pk__in=ids)._raw_delete(CallAction.objects.db)
        CallEvent.objects.filter(call__pk__in=ids)._raw_delete(CallEvent.objects.db)
        Call.objects.filter(pk__in=ids).delete()
        _audit(ids, action="deleted", changes={})

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


def _audit(ids: list[int], *, action: str, changes: dict) -> None:
    """One audit entry for a batch of calls, naming each (a row a call cost as much disk as a
    call's own record)."""
    AuditEntry.objects.create(
        via="retention",
        action=action,
        object_type="callflows.Call",
        object_id=str(ids[0]) if len(ids) == 1 else f"{ids[0]}..{ids[-1]}",
        object_repr=f"{len(ids)} calls" if len(ids) > 1 else f"call #{ids[0]}",
        changes={**changes, "calls": ids},
    )
