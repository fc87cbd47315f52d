"""Every admin list, by enumeration: columns that show what they say, queries that do not grow
with the rows (issue 28, findings 1 and 10)."""

import pytest
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist

from callflows.models import Call

pytestmark = pytest.mark.django_db


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _shadowed(model, model_admin, names) -> list[str]:
    """Names the admin defines a method or attribute for that a model field of the same name wins
    over: Django's `lookup_field` reads the field first, so the method never runs."""
    clashes = []
    for name in names:
        if not isinstance(name, str) or not hasattr(type(model_admin), name):
            continue
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        clashes.append(f"{type(model_admin).__name__}.{name}")
    return clashes


def test_no_admin_column_method_is_shadowed_by_a_model_field(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    clashes = []
    for model, model_admin in _registered():
        clashes += _shadowed(model, model_admin, model_admin.get_list_display(request))
        clashes += _shadowed(model, model_admin, model_admin.get_readonly_fields(request))
        for inline in model_admin.get_inline_instances(request):
            clashes += _shadowed(inline.model, inline, inline.get_readonly_fields(request))
    assert clashes == []


def test_the_call_log_shows_8x8s_outcome_beside_our_decision(admin_client):
    Call.objects.create(provider_session_id="busy-1", outcome="connect", status="BUSY")
    Call.objects.create(provider_session_id="noans-1", outcome="connect", status="NO_ANSWER")
    html = admin_client.get("/admin/callflows/call/").content.decode()
    busy, no_answer = (str(dict(Call.Status.choices)[s]) for s in ("BUSY", "NO_ANSWER"))
    assert f'<td class="field-provider_outcome">{busy}</td>' in html
    assert f'<td class="field-provider_outcome">{no_answer}</td>' in html


# Models of which there is one row at most, by constraint: their list cannot grow.
SINGLETONS = {"masking.CallbackEndpoint"}


def _world(n: int, *, start: int) -> None:
    """`n` rows of every registered model, made the way production makes them where it is quick
    (sessions through the service, callbacks and their tasks by opening them)."""
    from datetime import timedelta

    from django.contrib.auth.models import Group, User
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from callflows.models import Call, NumberEvent
    from masking.models import (
        AuditEntry,
        CallbackEndpointState,
        PinLockout,
        Pool,
        Prompt,
        RecordingOptIn,
    )
    from tests.factories import VirtualNumberFactory, open_session

    now = timezone.now()
    purposes = [value for value, _ in Prompt.Purpose.choices]  # one prompt each, in English
    for i in range(start, start + n):
        user = User.objects.create_user(f"staff{i}", is_staff=True)
        Group.objects.create(name=f"group {i}")
        Token.objects.create(user=user)
        number = VirtualNumberFactory(number=f"+653150{i:04d}")
        session = open_session(virtual_number=number, reference=f"ref-{i}")
        Call.objects.create(
            provider_session_id=f"call-{i}",
            caller=f"+659000{i:04d}",
            virtual_number=str(number.number),
            masking_session=session,
            outcome="connect",
            status="COMPLETED",
        )
        NumberEvent.objects.create(
            msisdn=str(number.number),
            virtual_number=number,
            operational_status="ACTIVE",
            reason="kept",
        )
        AuditEntry.objects.create(
            actor=user, via="admin", action="cleared", object_type="x", object_id=str(i)
        )
        RecordingOptIn.objects.create(number=f"+659100{i:04d}", method="admin", recorded_by=user)
        PinLockout.objects.create(
            virtual_number=number,
            caller=f"+659200{i:04d}",
            wrong_pins=5,
            locked_until=now + timedelta(hours=1),
            cleared_at=now,
            cleared_by=user,
        )
        Prompt.objects.create(purpose=purposes[i], language="en", text="Hold on.")
        CallbackEndpointState.objects.create(url=f"https://backend-{i}.example/hooks")
        Pool.objects.create(name=f"pool {i}", subaccount_id=f"acme-{i:02d}")


def _changelist_queries(client, model_admin) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    opts = model_admin.model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response.context["cl"].result_count


def test_every_admin_list_reads_a_bounded_number_of_queries_whatever_its_rows(
    admin_client, receiver
):
    """Issue 28, finding 10 (the audit trail made a query a row): each list at a few rows and at
    more makes the same number of queries."""
    _world(2, start=0)
    for _, model_admin in _registered():  # caches (8x8's facts, content types) filled once
        _changelist_queries(admin_client, model_admin)
    small = {m._meta.label: _changelist_queries(admin_client, a) for m, a in _registered()}
    _world(6, start=2)
    grown = {}
    for model, model_admin in _registered():
        label = model._meta.label
        queries, rows = _changelist_queries(admin_client, model_admin)
        if label not in SINGLETONS:
            assert rows > small[label][1], f"{label}: the test made no more rows of it"
        grown[label] = queries
    assert grown == {label: queries for label, (queries, _) in small.items()}


def test_no_list_filter_lists_every_row_of_a_related_table(rf, admin_user):
    """Issue 28, finding 6: the PIN lockouts' number filter was 1,005 links. A filter on a
    relation offers every row of the related table; numbers are picked by autocomplete
    (`NumberListFilter`) on every list."""
    request = rf.get("/admin/")
    request.user = admin_user
    listing = []
    for model, model_admin in _registered():
        if model._meta.app_label not in ("masking", "callflows"):
            continue
        for entry in model_admin.get_list_filter(request):
            path = entry[0] if isinstance(entry, (tuple, list)) else entry
            if not isinstance(path, str):
                continue
            field = model._meta.get_field(path.split("__")[0])
            if field.is_relation:
                listing.append(f"{model._meta.label}: {path}")
    assert listing == []


def test_a_long_list_is_counted_only_to_the_cap(admin_client, monkeypatch):
    """Issue 28: COUNT(*) over millions of calls took 1.5 s a count; the list counts to a cap,
    once (no second count of the whole table), and says "more than"."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from masking.admin import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    for i in range(5):
        Call.objects.create(provider_session_id=f"c{i}", outcome="connect")
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/callflows/call/").content.decode()
    assert "more than 3" in page and "5 calls" not in page
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT" in counts[0].upper()
    Call.objects.filter(provider_session_id__in=["c0", "c1"]).delete()
    assert "3 calls" in admin_client.get("/admin/callflows/call/").content.decode()


def test_the_date_drill_down_reads_no_row_by_row_dates(admin_client):
    """Issue 28: Django's drill-down ran SELECT DISTINCT date_trunc over every call (660 ms at a
    million). The links come from the first and last date; each still opens its rows."""
    import re
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    now = timezone.now()
    for days in (0, 40, 400):
        call = Call.objects.create(provider_session_id=f"c{days}", outcome="connect")
        Call.objects.filter(pk=call.pk).update(created_at=now - timedelta(days=days))
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/callflows/call/").content.decode()
    assert not [q for q in queries if "DISTINCT" in q["sql"].upper()]
    years = re.findall(r'href="\?created_at__year=(\d+)"', page)
    old = timezone.localtime(now - timedelta(days=400)).year
    assert years[0] == str(old) and years[-1] == str(timezone.localtime(now).year)
    listed = admin_client.get(f"/admin/callflows/call/?created_at__year={old}")
    assert listed.context["cl"].result_count >= 1
