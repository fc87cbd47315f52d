"""The staff pages at size on PostgreSQL: every admin list, the dashboard, reports and exports.

    make bench-staff     # or: .venv/bin/python tests/benchmarks/bench_staff_pages.py

Creates (and drops first) the database `masking_bench_staff`, migrates it and fills it with
INSERT ... SELECT generate_series (BENCH_NUMBERS=10,000 numbers, BENCH_SESSIONS=1,000,000 sessions
with two participants each, BENCH_CALLS=10,000,000 calls over 30 days, and some thousands of audit
entries, callbacks, lockouts and opt-ins), then asks each page as a superuser through Django's
test client, in process: the server's time (median of BENCH_REPEAT runs) and its SQL queries.
Exports are read to their end: time to the first chunk, the whole time, rows, and the peak of
Python's memory while streaming (tracemalloc), for a small and a large export, so constant memory
shows as the same peak. Target: every page under 300 ms; every export streamed in constant memory.
BENCH_KEEP=1 reuses a filled database. Not part of the test suite; prints its figures.
"""

import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "masking_bench_staff")
os.environ["DATABASE_URL"] = f"{BASE}/{DB}"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masking.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("MASKING_MANAGEMENT_COMMAND", "true")  # the fill outlasts the web timeout
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

NUMBERS = int(os.environ.get("BENCH_NUMBERS", 10_000))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", 1_000_000))
CALLS = int(os.environ.get("BENCH_CALLS", 10_000_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))
KEEP = os.environ.get("BENCH_KEEP") == "1"
# BENCH_ONLY=sessions: only the pages and exports whose names contain one of these words.
ONLY = [word for word in os.environ.get("BENCH_ONLY", "").split(",") if word]
TARGET_MS = 300


def recreate_database() -> bool:
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if exists and KEEP:
            return False
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")
    return True


def insert_series(model, rows: int, expressions: dict[str, str]) -> None:
    """INSERT INTO model's table SELECT ... FROM generate_series(1, rows) g: the columns named in
    `expressions` as SQL over `g` (and `now()`), the others their field's default or NULL."""
    from django.db import connection

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in expressions:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in expressions:
            values.append(expressions[field.column])
        elif field.has_default():
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            values.append("NULL")
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        else:
            values.append("''")
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, {rows}) AS g"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    print(
        f"  {model._meta.label}: {rows:,} rows in {time.perf_counter() - started:.0f} s", flush=True
    )


def fill() -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from callflows.models import Call, NumberEvent
    from callflows.rollup import rollup_rebuild
    from masking.models import (
        AuditEntry,
        Callback,
        MaskingSession,
        Participant,
        PinLockout,
        Pool,
        RecordingOptIn,
        VirtualNumber,
    )

    admin = User.objects.create_superuser("bench", "bench@example.com", "bench")
    # Two pools (issue 31): every other number in a second sub-account with its own time zone.
    pools = [
        Pool.objects.deployment().pk,
        Pool.objects.create(
            name="bench-second", subaccount_id="bench-second", operations_time_zone="Asia/Jakarta"
        ).pk,
    ]
    open_every = 10  # one session in ten is open, the rest closed over the last 200 days
    insert_series(
        VirtualNumber,
        NUMBERS,
        {
            "number": "'+6531' || lpad(g::text, 6, '0')",
            "label": "'pool ' || g",
            "status": "CASE WHEN mod(g, 97) = 0 THEN 'unhealthy' ELSE 'active' END",
            "country": "'SG'",
            "pool_id": f"CASE WHEN mod(g, 2) = 0 THEN {pools[0]} ELSE {pools[1]} END",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id) FROM masking_virtualnumber")
        vn = cursor.fetchone()[0]
    number_of = f"({vn} + mod(g, {NUMBERS}))"
    insert_series(
        MaskingSession,
        SESSIONS,
        {
            "id": "g",
            "virtual_number_id": number_of,
            "reference": "'booking-' || g",
            "started_at": "now() - mod(g, 200) * interval '1 day' - mod(g, 86400) * interval '1s'",
            "expires_at": "now() + interval '30 days'",
            "status": f"CASE WHEN mod(g, {open_every}) = 0 THEN 'open' ELSE 'closed' END",
            "closed_at": f"CASE WHEN mod(g, {open_every}) = 0 THEN NULL ELSE now() END",
            "close_reason": f"CASE WHEN mod(g, {open_every}) = 0 THEN '' ELSE 'api' END",
        },
    )
    for role, prefix in [("a", "+6581"), ("b", "+6591")]:
        insert_series(
            Participant,
            SESSIONS,
            {
                "session_id": "g",
                "role": f"'{role}'",
                "number": f"'{prefix}' || lpad(mod(g, 1000000)::text, 6, '0')",
                "virtual_number_id": number_of,
                "holds_routing_key": f"mod(g, {open_every}) = 0",
            },
        )
    # The call roll-up's trigger (callflows/rollup.py) would sum the calls one by one: off for
    # the fill, then the roll-up summed in one statement, as its migration does.
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE callflows_call DISABLE TRIGGER callflows_call_rollup_write")
    insert_series(
        Call,
        CALLS,
        {
            "provider_session_id": "'call-' || g",
            "caller": "'+6581' || lpad(mod(g, 1000000)::text, 6, '0')",
            "virtual_number": "'+6531' || lpad(mod(g, " + str(NUMBERS) + ")::text, 6, '0')",
            "masking_session_id": f"CASE WHEN mod(g, 5) = 0 THEN NULL ELSE 1 + mod(g, {SESSIONS})"
            " END",
            "outcome": "(ARRAY['connect','connect','connect','no_session','ask_pin'])"
            "[1 + mod(g, 5)]",
            "status": "(ARRAY['COMPLETED','COMPLETED','NO_ANSWER','BUSY',''])[1 + mod(g, 5)]",
            "callee_seconds": "mod(g, 600)",
            "created_at": f"now() - (g::float / {CALLS}) * interval '30 days'",
            # The pool that answered each (`Call.pool`): its number's, as the Call Action fills
            # it (the number of remainder 0 is none of ours).
            "pool_id": f"CASE WHEN mod(g, {NUMBERS}) = 0 THEN NULL "
            f"WHEN mod(mod(g, {NUMBERS}), 2) = 0 THEN {pools[0]} ELSE {pools[1]} END",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE callflows_call ENABLE TRIGGER callflows_call_rollup_write")
    started = time.perf_counter()
    rollup_rebuild()
    print(f"  call roll-up summed in {time.perf_counter() - started:.0f} s", flush=True)
    insert_series(
        AuditEntry,
        50_000,
        {
            "actor_id": str(admin.pk),
            "via": "'admin'",
            "action": "'extended'",
            "object_type": "'masking.MaskingSession'",
            "object_id": "g::text",
            "object_repr": "'booking-' || g",
            "changes": "'{}'::jsonb",
            "at": "now() - g * interval '1 minute'",
        },
    )
    insert_series(
        Callback,
        50_000,
        {
            "webhook_id": "'msg_' || g",
            "event_type": "'session.closed'",
            "session_id": f"1 + mod(g, {SESSIONS})",
            "status": "CASE WHEN mod(g, 50) = 0 THEN 'failed' ELSE 'delivered' END",
            "payload": "'{}'::jsonb",
            "created_at": "now() - g * interval '1 minute'",
        },
    )
    insert_series(
        PinLockout,
        2_000,
        {
            "virtual_number_id": number_of,
            "caller": "'+6599' || lpad(g::text, 6, '0')",
            "wrong_pins": "5",
            "locked_at": "now() - g * interval '1 hour'",
            "locked_until": "now() - g * interval '1 hour' + interval '1 hour'",
        },
    )
    insert_series(
        RecordingOptIn,
        10_000,
        {"number": "'+6582' || lpad(g::text, 6, '0')", "method": "'admin'"},
    )
    insert_series(
        NumberEvent,
        20_000,
        {
            "msisdn": "'+6531' || lpad(mod(g, " + str(NUMBERS) + ")::text, 6, '0')",
            "virtual_number_id": number_of,
            "update_type": "'UPDATE'",
            "operational_status": "'ACTIVE'",
            "reason": "'kept'",
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval('masking_maskingsession_id_seq', (SELECT max(id) FROM "
            "masking_maskingsession))"
        )
        cursor.execute(
            "UPDATE masking_virtualnumber v SET open_sessions = c.n FROM (SELECT "
            "virtual_number_id, count(*) n FROM masking_maskingsession WHERE status = 'open' "
            "GROUP BY virtual_number_id) c WHERE c.virtual_number_id = v.id"
        )
        cursor.execute("ANALYZE")


def measure(client, url: str) -> tuple[float, int, int, float]:
    """(median ms, queries, status, median ms spent in SQL) of GET url. The SQL share is what
    grows with the tables; the rest is rendering, which a loaded machine slows as much."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, sql, queries, status = [], [], 0, 0
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, secure=True)
            if getattr(response, "streaming", False):
                for _chunk in response.streaming_content:
                    pass
            times.append((time.perf_counter() - started) * 1000)
        queries, status = len(captured), response.status_code
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
    return statistics.median(times), queries, status, statistics.median(sql)


def measure_export(client, url: str) -> dict:
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    response = client.get(url, secure=True)
    first = None
    rows = 0
    streamed = getattr(response, "streaming", False)
    chunks = response.streaming_content if streamed else [response.content]
    for chunk in chunks:
        if first is None:
            first = time.perf_counter() - started
        rows += chunk.count(b"\n")
    total = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "status": response.status_code,
        "streamed": streamed,
        "first_ms": (first or total) * 1000,
        "total_s": total,
        "rows": rows - 1,
        "peak_mib": peak / 2**20,
    }


def main() -> None:
    fresh = recreate_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib import admin
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    settings.DEBUG = False
    call_command("migrate", verbosity=0)  # a kept database gets this release's indexes
    if fresh:
        print(f"Filling {DB}: {NUMBERS:,} numbers, {SESSIONS:,} sessions, {CALLS:,} calls")
        started = time.perf_counter()
        fill()
        print(f"  filled in {time.perf_counter() - started:.0f} s")
    client = Client()
    client.force_login(User.objects.get(username="bench"))
    client.get("/admin/", secure=True)  # imports and first connection, as a warm server has

    pages = [("dashboard", "/admin/"), ("reports", "/admin/reports/")]
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        opts = model._meta
        pages.append(
            (f"list {opts.label}", reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        )
    from masking.models import VirtualNumber as VN

    def first(model):
        return model._default_manager.order_by("pk").values_list("pk", flat=True).first()

    today = timezone.localdate()
    day = (
        f"created_at__year={today.year}&created_at__month={today.month}&created_at__day={today.day}"
    )
    pages += [
        ("list calls, today", f"/admin/callflows/call/?{day}"),
        ("list calls, no answer", "/admin/callflows/call/?status__exact=NO_ANSWER"),
        ("list sessions, open", "/admin/masking/maskingsession/?state=open"),
        ("list sessions, search ref", "/admin/masking/maskingsession/?q=booking-4242"),
        ("list numbers, attention", "/admin/masking/virtualnumber/?use=attention"),
        ("list sessions, search number spaced", "/admin/masking/maskingsession/?q=%2B65+8100+4242"),
        ("list sessions, search part of number", "/admin/masking/maskingsession/?q=31004242"),
        ("list sessions, one number", f"/admin/masking/maskingsession/?number={first(VN)}"),
        ("list sessions, closed by API", "/admin/masking/maskingsession/?close_reason__exact=api"),
        ("list calls, search 8x8 id", "/admin/callflows/call/?q=call-4242"),
        ("list calls, search caller", "/admin/callflows/call/?q=%2B6581004242"),
        ("list callbacks, failed", "/admin/masking/callback/?status__exact=failed"),
        ("list callbacks, search", "/admin/masking/callback/?q=booking-4242"),
        ("list audit, search", "/admin/masking/auditentry/?q=booking-4242"),
        ("list lockouts, active", "/admin/masking/pinlockout/?state=active"),
    ]
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        if (pk := first(model)) is not None:  # every change page, on its table's first row
            opts = model._meta
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
            pages.append((f"page {opts.label}", url))
    if ONLY:
        pages = [(name, url) for name, url in pages if any(word in name for word in ONLY)]
    print(f"\n{'page':44} {'ms':>8} {'queries':>8} {'status':>7} {'SQL ms':>7}")
    slow = []
    for name, url in pages:
        ms, queries, status, sql_ms = measure(client, url)
        flag = "" if ms < TARGET_MS and status == 200 else "  <- over target"
        if flag:
            slow.append(name)
        print(f"{name:44} {ms:8.0f} {queries:8d} {status:7d} {sql_ms:7.0f}{flag}", flush=True)

    started_day = today - timezone.timedelta(days=3)
    one_day = (
        f"started_at__year={started_day.year}&started_at__month={started_day.month}"
        f"&started_at__day={started_day.day}"
    )
    exports = [
        ("sessions, one day", f"/admin/masking/maskingsession/export/?{one_day}"),
        ("sessions, open", "/admin/masking/maskingsession/export/?state=open"),
        ("sessions, search ref", "/admin/masking/maskingsession/export/?q=booking-4242"),
        ("numbers, all", "/admin/masking/virtualnumber/export/"),
        ("calls, no answer today", f"/admin/callflows/call/export/?{day}&status__exact=NO_ANSWER"),
        ("reports CSV", "/admin/reports/?format=csv"),
    ]
    if ONLY:
        exports = [(name, url) for name, url in exports if any(word in name for word in ONLY)]
    print(f"\n{'export':30} {'first ms':>9} {'total s':>8} {'rows':>10} {'peak MiB':>9} streamed")
    for name, url in exports:
        r = measure_export(client, url)
        print(
            f"{name:30} {r['first_ms']:9.0f} {r['total_s']:8.2f} {r['rows']:10,d} "
            f"{r['peak_mib']:9.1f} {r['streamed']} ({r['status']})",
            flush=True,
        )
    print(f"\nOver {TARGET_MS} ms: {', '.join(slow) or 'none'}")


if __name__ == "__main__":
    main()
