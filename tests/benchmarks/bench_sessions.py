"""Session creation throughput on PostgreSQL: a pool of 1,000 numbers holding 100,000 sessions.

    make bench-sessions            # or: .venv/bin/python tests/benchmarks/bench_sessions.py

Creates (and drops first) the database `masking_bench_sessions`, bulk-loads the pool and the open
sessions with COPY, then times `session_create` with allocation (the API's path without HTTP):
sequentially for the latency of one allocation, and from several threads for throughput. Not part
of the test suite.
"""

import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = "masking_bench_sessions"
os.environ["DATABASE_URL"] = f"{BASE}/{DB}"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masking.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("MASKING_MANAGEMENT_COMMAND", "true")  # bulk loads outlast the web timeout

NUMBERS = int(os.environ.get("BENCH_NUMBERS", 1000))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", 100_000))
CREATES = int(os.environ.get("BENCH_CREATES", 1000))
THREADS = int(os.environ.get("BENCH_THREADS", 4))


def recreate_database():
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")


def load():
    from django.db import connection
    from django.utils import timezone

    now = timezone.now().isoformat()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY masking_virtualnumber (number, label, status, provider_reference, country, "
            "created_at, updated_at, open_sessions) FROM STDIN"
        ) as copy:
            for i in range(NUMBERS):
                copy.write_row((f"+6531{i:06d}", f"pool {i}", "active", "", "SG", now, now, 0))
        cursor.execute("SELECT min(id) FROM masking_virtualnumber")
        first_vn = cursor.fetchone()[0]
        with raw.copy(
            "COPY masking_maskingsession (id, virtual_number_id, recording_requested, reference, "
            "started_at, status, close_reason, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(1, SESSIONS + 1):
                copy.write_row(
                    (i, first_vn + i % NUMBERS, False, f"b-{i}", now, "open", "", now, now)
                )
                if i % 25_000 == 0:
                    print(f"  loaded {i:,} sessions", flush=True)
        with raw.copy(
            "COPY masking_participant (session_id, role, number, virtual_number_id, "
            "holds_routing_key, pin_hash, preferred_language) FROM STDIN"
        ) as copy:
            for i in range(1, SESSIONS + 1):
                vn = first_vn + i % NUMBERS
                copy.write_row((i, "a", f"+6581{i:06d}", vn, True, "", ""))
                copy.write_row((i, "b", f"+6591{i:06d}", vn, True, "", ""))
        cursor.execute(
            "SELECT setval('masking_maskingsession_id_seq', (SELECT max(id) FROM "
            "masking_maskingsession))"
        )
        cursor.execute(
            "UPDATE masking_virtualnumber v SET open_sessions = (SELECT count(*) FROM "
            "masking_maskingsession s WHERE s.virtual_number_id = v.id AND s.status = 'open')"
        )
        cursor.execute("ANALYZE")


def main():
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from masking.services.sessions import session_create

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    load()
    print(
        f"loaded {NUMBERS:,} numbers and {SESSIONS:,} open sessions "
        f"in {time.perf_counter() - started:.1f} s"
    )

    rng = random.Random(1)

    def new_pair():
        # Above the loaded participants' range: new people, like a real day's bookings.
        a, b = rng.sample(range(200_000, 1_000_000), 2)
        return f"+6581{a:06d}", f"+6591{b:06d}"

    latencies = []
    for _ in range(CREATES):
        a, b = new_pair()
        t = time.perf_counter()
        session_create(participant_a=a, participant_b=b)
        latencies.append(time.perf_counter() - t)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"sequential: {CREATES} creations, {CREATES / sum(latencies):.0f} sessions/s, "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )

    pairs = [new_pair() for _ in range(CREATES)]
    chunks = [pairs[i::THREADS] for i in range(THREADS)]

    def worker(chunk):
        for a, b in chunk:
            session_create(participant_a=a, participant_b=b)
        connection.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t
    print(
        f"{THREADS} threads: {CREATES} creations in {elapsed:.2f} s, "
        f"{CREATES / elapsed:.0f} sessions/s"
    )


if __name__ == "__main__":
    main()
