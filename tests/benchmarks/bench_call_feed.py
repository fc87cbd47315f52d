"""A deep page of the calls feed costs what the first does; an offset page does not.

    BENCH_DB=masking_i29 BENCH_CALLS=236000 .venv/bin/python tests/benchmarks/bench_call_feed.py

Migrates BENCH_DB, loads BENCH_CALLS calls (once; raw SQL, stamped by the trigger like any
write), then times through the test client: `GET /api/calls/?after=0&limit=50`, the same with a
cursor 90% of the way in, and the page-numbered listing's first page and page 4,500. Prints the
median of 9 requests each. Not part of the test suite.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "masking_bench_feed")
CALLS = int(os.environ.get("BENCH_CALLS", "236000"))
os.environ.update(
    DATABASE_URL=f"{BASE}/{DB}",
    SECRET_KEY="bench-only-secret-key-" + "x" * 40,
    DJANGO_SETTINGS_MODULE="masking.settings",
    MASKING_MANAGEMENT_COMMAND="true",
    ALLOWED_HOSTS="testserver",
    SECURE_SSL_REDIRECT="false",
    LOG_LEVEL="WARNING",
    API_THROTTLE_USER="1000000/min",
)

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from callflows.models import Call  # noqa: E402
from masking.api.cursors import encode  # noqa: E402
from masking.changes import Position  # noqa: E402


def load() -> None:
    call_command("migrate", verbosity=0)
    have = Call.objects.count()
    if have >= CALLS:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO callflows_call (provider_session_id, action_event_id, virtual_number,
                caller, outcome, recorded, keypad_tries, status, last_action, error_message,
                recording_id, recording_path, answered_at, created_at)
            SELECT 'feed-bench-' || g, 'e-' || g, '+6531500101', '+6591230001', 'connect',
                false, 0, 'COMPLETED', '', '', '', '', now(), now() - g * interval '1 second'
            FROM generate_series(%s, %s) AS g
            """,
            [have + 1, CALLS],
        )
        cursor.execute("ANALYZE callflows_call")


def median_ms(client, params) -> float:
    times = []
    for _ in range(9):
        started = time.perf_counter()
        response = client.get("/api/calls/", params)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:200]
    return statistics.median(times)


def main() -> None:
    load()
    user, _ = User.objects.get_or_create(username="feed-bench", is_superuser=True, is_staff=True)
    client = APIClient()
    client.force_authenticate(user)
    deep = Call.objects.order_by("created_tx", "id").values("created_tx", "id")[int(CALLS * 0.9)]
    cursor = encode("after", Position(tx=deep["created_tx"], id=deep["id"]))
    print(f"{Call.objects.count():,} calls in {DB}")
    cases = [
        ("feed, first page (after=0, limit=50)", {"after": "0", "limit": 50}),
        ("feed, 90% deep (after=<cursor>, limit=50)", {"after": cursor, "limit": 50}),
        ("pages, first (page=1)", {"page": 1}),
        ("pages, page 4,500 (offset 224,950)", {"page": 4500}),
    ]
    for label, params in cases:
        print(f"{label:45} {median_ms(client, params):7.1f} ms")


if __name__ == "__main__":
    main()
