"""Retention deletes what it keeps no longer (issue 25, finding 5): calls past
MASKING_CALL_DELETE_DAYS go with their Call Action events, in batches, one audit entry a batch;
calls past MASKING_CALL_RETENTION_DAYS are anonymised and still counted."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from callflows.models import Call, CallAction, CallEvent
from masking.models import AuditEntry, Callback

pytestmark = pytest.mark.django_db


def call_aged(days: int, n: int) -> Call:
    call = Call.objects.create(
        provider_session_id=f"s{n}",
        caller=f"+65912300{n:02d}",
        virtual_number="+6531500101",
        outcome="connect",
    )
    CallAction.objects.create(
        event_id=f"a{n}", call=call, outcome="connect", answer={}, answered_at=timezone.now()
    )
    CallEvent.objects.create(call=call, kind="status", dedupe_key=f"e{n}", payload={"n": n})
    when = timezone.now() - timedelta(days=days)
    Call.objects.filter(pk=call.pk).update(created_at=when)
    CallEvent.objects.filter(call=call).update(received_at=when)
    return call


def test_calls_past_the_deletion_age_go_with_their_events(settings):
    settings.MASKING_CALL_RETENTION_DAYS = 90
    settings.MASKING_CALL_DELETE_DAYS = 400
    old = [call_aged(500, n) for n in range(5)]
    anonymised = call_aged(120, 10)
    recent = call_aged(3, 20)
    out = io.StringIO()
    call_command("purge_call_records", batch_size=2, stdout=out)
    assert set(Call.objects.values_list("pk", flat=True)) == {anonymised.pk, recent.pk}
    assert set(CallAction.objects.values_list("call__pk", flat=True)) == {anonymised.pk, recent.pk}
    assert list(CallEvent.objects.values_list("call__pk", flat=True)) == [recent.pk]
    anonymised.refresh_from_db()
    assert anonymised.caller == "" and anonymised.outcome == "connect"  # still counted
    assert "5 calls deleted" in out.getvalue()
    # One audit entry a batch, each naming its calls: 3 batches of at most 2.
    deleted = AuditEntry.objects.filter(via="retention", action="deleted")
    assert deleted.count() == 3
    assert sorted(i for e in deleted for i in e.changes["calls"]) == sorted(c.pk for c in old)


def test_zero_keeps_anonymised_calls_for_ever(settings):
    settings.MASKING_CALL_DELETE_DAYS = 0
    call_aged(5000, 1)
    call_command("purge_call_records", stdout=io.StringIO())
    assert Call.objects.get().caller == ""


def test_anonymising_audits_a_batch_in_one_entry():
    for n in range(7):
        call_aged(120, n)
    call_command("purge_call_records", batch_size=1000, stdout=io.StringIO())
    entry = AuditEntry.objects.get()
    assert entry.action == "anonymised" and len(entry.changes["calls"]) == 7


def test_finished_callbacks_are_deleted_with_the_events(receiver):
    from tests.factories import VirtualNumberFactory, open_session

    open_session(virtual_number=VirtualNumberFactory(), a="+6591230001", b="+6591230002")
    Callback.objects.update(status=Callback.Status.DELIVERED)
    Callback.objects.update(created_at=timezone.now() - timedelta(days=100))
    DBTaskResult.objects.update(status="SUCCESSFUL", finished_at=timezone.now() - timedelta(100))
    call_command("purge_call_records", stdout=io.StringIO())
    assert not Callback.objects.exists()
    assert not DBTaskResult.objects.exists()
