"""The staff admin's CSV exports at 5,000 rows: sessions, calls and numbers (issue 28, finding 10).

    .venv/bin/python tests/benchmarks/bench_exports.py        # BENCH_DB=masking_iexp by default

Recreates the PostgreSQL database BENCH_DB (BENCH_PG's server), migrates it and fills it with
BENCH_ROWS (5,000) numbers, sessions (two participants each) and calls, then reads each export
to its end through Django's test client, in process, as a superuser (numbers whole) and as a
Support member (numbers masked): rows, the whole time and the time to the first chunk (median of
BENCH_REPEAT runs, without tracemalloc, which slows Python several times over), then once more
under tracemalloc for Python's peak while streaming. Target: under a second for 5,000 rows, in
constant memory. Not part of the test suite; prints its figures.
"""

import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DB", "masking_iexp")
# The staff-pages benchmark's database settings and its INSERT ... SELECT filler, shared.
from tests.benchmarks.bench_staff_pages import (  # noqa: E402
    BASE,
    DB,
    insert_series,
    recreate_database,
)

ROWS = int(os.environ.get("BENCH_ROWS", 5_000))
REPEAT = int(os.environ.get("BENCH_REPEAT", 3))
TARGET_S = 1.0


def fill() -> None:
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from callflows.models import Call
    from masking.models import MaskingSession, Participant, VirtualNumber

    User.objects.create_superuser("bench", "bench@example.com", "bench")
    call_command("setup_staff_groups", verbosity=0)
    support = User.objects.create_user("support", "support@example.com", "bench", is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    insert_series(
        VirtualNumber,
        ROWS,
        {
            "id": "g",
            "number": "'+6531' || lpad(g::text, 6, '0')",
            "label": "'pool ' || g",
            "status": "CASE WHEN mod(g, 97) = 0 THEN 'unhealthy' ELSE 'active' END",
            "country": "'SG'",
            "provider_reference": "'ref-' || g",
        },
    )
    insert_series(
        MaskingSession,
        ROWS,
        {
            "id": "g",
            "virtual_number_id": "g",
            "reference": "'booking-' || g",
            "started_at": "now() - mod(g, 86400) * interval '1s'",
            "expires_at": "now() + interval '30 days'",
            "status": "CASE WHEN mod(g, 2) = 0 THEN 'open' ELSE 'closed' END",
            "closed_at": "CASE WHEN mod(g, 2) = 0 THEN NULL ELSE now() END",
            "close_reason": "CASE WHEN mod(g, 2) = 0 THEN '' ELSE 'api' END",
        },
    )
    for role, prefix in [("a", "+6581"), ("b", "+6591")]:
        insert_series(
            Participant,
            ROWS,
            {
                "session_id": "g",
                "role": f"'{role}'",
                "number": f"'{prefix}' || lpad(g::text, 6, '0')",
                "virtual_number_id": "g",
                "holds_routing_key": "mod(g, 2) = 0",
            },
        )
    insert_series(
        Call,
        ROWS,
        {
            "provider_session_id": "'call-' || g",
            "caller": "'+6581' || lpad(g::text, 6, '0')",
            "virtual_number": "'+6531' || lpad(g::text, 6, '0')",
            "masking_session_id": "CASE WHEN mod(g, 5) = 0 THEN NULL ELSE g END",
            "outcome": "(ARRAY['connect','connect','connect','no_session','ask_pin'])"
            "[1 + mod(g, 5)]",
            "status": "(ARRAY['COMPLETED','COMPLETED','NO_ANSWER','BUSY',''])[1 + mod(g, 5)]",
            "callee_seconds": "mod(g, 600)",
            "created_at": "now() - g * interval '1 minute'",
        },
    )
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ["masking_virtualnumber", "masking_maskingsession"]:
            cursor.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")


def read(client, url: str) -> tuple[float, float, int, int]:
    """(seconds to the first chunk, seconds in all, rows, status) of one export read through."""
    started = time.perf_counter()
    response = client.get(url, secure=True)
    first, lines = None, 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        lines += chunk.count(b"\n")
    return first, time.perf_counter() - started, lines - 1, response.status_code


def measure(client, url: str) -> dict:
    runs = [read(client, url) for _ in range(REPEAT)]
    tracemalloc.start()
    tracemalloc.reset_peak()
    read(client, url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "first_ms": statistics.median(r[0] for r in runs) * 1000,
        "total_s": statistics.median(r[1] for r in runs),
        "rows": runs[0][2],
        "status": runs[0][3],
        "peak_mib": peak / 2**20,
    }


def main() -> None:
    recreate_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    print(f"Filling {DB} ({BASE}): {ROWS:,} numbers, sessions and calls")
    fill()
    exports = [
        ("sessions", "/admin/masking/maskingsession/export/"),
        ("calls", "/admin/callflows/call/export/"),
        ("numbers", "/admin/masking/virtualnumber/export/"),
    ]
    print(
        f"\n{'export':10} {'viewer':11} {'rows':>6} {'total s':>8} {'first ms':>9} "
        f"{'peak MiB':>9} status"
    )
    over = []
    for username, viewer in [("bench", "superuser"), ("support", "Support")]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.get("/admin/", secure=True)  # imports and the first connection, as a warm server
        for name, url in exports:
            r = measure(client, url)
            if r["total_s"] >= TARGET_S or r["status"] != 200:
                over.append(f"{name} ({viewer})")
            print(
                f"{name:10} {viewer:11} {r['rows']:6,d} {r['total_s']:8.3f} {r['first_ms']:9.0f} "
                f"{r['peak_mib']:9.2f} {r['status']}",
                flush=True,
            )
    print(f"\nOver {TARGET_S:.0f} s or failed: {', '.join(over) or 'none'}")


if __name__ == "__main__":
    main()
