"""Which index each query on the call tables uses: every query the code sends, EXPLAIN ANALYZEd.

    BENCH_DB=masking_bench_explain BENCH_CALLS=500000 \
        .venv/bin/python tests/benchmarks/bench_call_insert.py load   # into a migrated database
    BENCH_DB=masking_bench_explain .venv/bin/python tests/benchmarks/explain_calls.py

The staff pages (call log and its filters, search, date drill-down, a call's page, a session's
page, reports, dashboard) are requested through the test client and their SQL captured; the API,
keypad, retention and delete paths are built from the same querysets the code uses. For each
statement that reads or writes callflows_call or callflows_callaction it prints the scans the plan
chose (index names or Seq Scan) and the time. Not part of the test suite.
"""

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "masking_bench_explain")
os.environ.update(
    DATABASE_URL=f"{BASE}/{DB}",
    SECRET_KEY="bench-only-secret-key-" + "x" * 40,
    DJANGO_SETTINGS_MODULE="masking.settings",
    MASKING_MANAGEMENT_COMMAND="true",
    ALLOWED_HOSTS="testserver",
    SECURE_SSL_REDIRECT="false",
    LOG_LEVEL="WARNING",
)
SCAN = re.compile(
    r"((?:Parallel )?(?:Seq Scan|Index Scan|Index Only Scan|Bitmap Index Scan)"
    r"(?: Backward)?(?: using| on) \S+(?: on \S+)?)"
)
TABLES = re.compile(r"\bcallflows_call(action)?\b")


def explain(cursor, sql: str) -> tuple[list[str], str]:
    writes = sql.lstrip().upper().startswith(("UPDATE", "DELETE", "INSERT"))
    if writes:
        cursor.execute("BEGIN")
    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS OFF) {sql}")
    plan = "\n".join(row[0] for row in cursor.fetchall())
    if writes:
        cursor.execute("ROLLBACK")
    scans = [scan for scan in SCAN.findall(plan) if "callflows_call" in scan]
    time = re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)
    return scans, f"{time} ms"


def main():
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from callflows.models import Call, CallAction
    from masking.api.views import CallViewSet
    from masking.models import MaskingSession, VirtualNumber

    User = get_user_model()
    admin = User.objects.filter(username="explain").first() or User.objects.create_superuser(
        "explain", "explain@example.com", "x"
    )
    client = Client()
    client.force_login(admin)
    call = Call.objects.order_by("-id").first()
    session_id = call.masking_session_id or 1
    number = VirtualNumber.objects.get(number=call.virtual_number)
    today = timezone.localdate()
    pages = {
        "call log (default)": "/admin/callflows/call/",
        "call log, by decision": "/admin/callflows/call/?outcome__exact=no_session",
        "call log, by 8x8 outcome": "/admin/callflows/call/?status__exact=BUSY",
        "call log, by number": f"/admin/callflows/call/?number={number.pk}",
        "call log, a day (date hierarchy)": "/admin/callflows/call/?created_at__year="
        f"{today.year}&created_at__month={today.month}&created_at__day={today.day}",
        "call log, search a whole number": f"/admin/callflows/call/?q={call.caller}",
        "call log, search 8x8 id": f"/admin/callflows/call/?q={call.provider_session_id}",
        "a call's page": f"/admin/callflows/call/{call.pk}/change/",
        "a session's page": f"/admin/masking/maskingsession/{session_id}/change/",
        "reports, last 30 days": "/admin/reports/",
        "dashboard": "/admin/",
    }
    cutoff = timezone.now() - timedelta(days=80)
    orm = {
        "API calls, newest first": CallViewSet.queryset[:50],
        "API a session's calls": CallViewSet.queryset.filter(masking_session_id=session_id)[:50],
        "API calls since": CallViewSet.queryset.filter(
            created_at__gte=timezone.now() - timedelta(hours=1)
        )[:50],
        "reports: a number's days": Call.objects.between(today - timedelta(days=29), today)
        .filter(virtual_number=call.virtual_number)
        .per_day,
        "reports: by session": Call.objects.between(today - timedelta(days=29), today).by_session,
        "keypad: the call's record": Call.objects.filter(
            provider_session_id=call.provider_session_id
        ).values("outcome", "keypad_tries")[:1],
        "a redelivery's stored answer": CallAction.objects.filter(
            event_id=call.action_event_id
        ).values_list("answer", flat=True)[:1],
        "retention: next batch": Call.objects.filter(
            created_at__lt=cutoff, anonymised_at__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:1000],
    }
    writes = {
        "retention: the batch's actions": lambda ids: CallAction.objects.filter(
            call__pk__in=ids
        ).update(answer=None),
        "a session deleted (SET NULL)": lambda ids: MaskingSession.objects.filter(
            pk=session_id
        ).delete(),
    }
    statements = []
    with connection.cursor() as cursor:
        for label, url in pages.items():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200, url
            statements += [(label, q["sql"]) for q in captured if TABLES.search(q["sql"])]
        for label, query in orm.items():
            with CaptureQueriesContext(connection) as captured:
                list(query()) if callable(query) else list(query)
            statements += [(label, q["sql"]) for q in captured if TABLES.search(q["sql"])]
        ids = list(
            Call.objects.filter(created_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:1000]
        )
        for label, write in writes.items():
            with CaptureQueriesContext(connection) as captured:
                try:
                    with transaction.atomic():
                        write(ids)
                        raise RuntimeError("roll back")
                except RuntimeError:
                    pass
            statements += [
                (label, q["sql"])
                for q in captured
                if TABLES.search(q["sql"]) and not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
            ]
        for label, sql in statements:
            scans, took = explain(cursor, sql)
            print(f"{label} ({took}): {'; '.join(scans) or '-'}")
            if os.environ.get("EXPLAIN_SQL"):
                print(f"    {sql[:400]}")


if __name__ == "__main__":
    main()
