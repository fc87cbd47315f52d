"""Bulk-load N open sessions into a fresh PostgreSQL database with COPY, showing progress.

Layout (the wrk script relies on it): pool number k is +6531kkkkkk for k < numbers; session i is
on pool number i % numbers between +658iiiiiii (A) and +659iiiiiii (B).
"""

import time


def numbers_for(n: int) -> int:
    """About a thousand sessions per number, at least ten numbers."""
    return max(10, n // 1000)


def load_sessions(n: int, *, progress=print) -> int:
    from django.db import connection
    from django.utils import timezone

    from masking.models import Pool

    numbers = numbers_for(n)
    now = timezone.now().isoformat()
    pool_id = Pool.objects.deployment().pk  # every number is a pool's (issue 31)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(
            "COPY masking_virtualnumber (id, number, label, status, provider_reference, country, "
            "open_sessions, created_at, updated_at, pool_id) FROM STDIN"
        ) as copy:
            for k in range(numbers):
                copy.write_row(
                    (
                        k + 1,
                        f"+6531{k:06d}",
                        f"pool {k}",
                        "active",
                        "",
                        "SG",
                        n // numbers + (1 if k < n % numbers else 0),
                        now,
                        now,
                        pool_id,
                    )
                )
        with raw.copy(
            "COPY masking_maskingsession (id, virtual_number_id, recording_requested, reference, "
            "started_at, status, close_reason, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(n):
                # Every tenth session asks for recording: the consent checks are on the path.
                copy.write_row(
                    (i + 1, i % numbers + 1, i % 10 == 0, f"b-{i}", now, "open", "", now, now)
                )
                if (i + 1) % 250_000 == 0:
                    progress(
                        f"    sessions {i + 1:,}/{n:,} ({time.perf_counter() - started:.0f} s)"
                    )
        with raw.copy(
            "COPY masking_participant (session_id, role, number, virtual_number_id, "
            "holds_routing_key, pin_hash, preferred_language) FROM STDIN"
        ) as copy:
            for i in range(n):
                copy.write_row((i + 1, "a", f"+658{i:07d}", i % numbers + 1, True, "", ""))
                copy.write_row((i + 1, "b", f"+659{i:07d}", i % numbers + 1, True, "", ""))
                if (i + 1) % 250_000 == 0:
                    progress(
                        f"    participants {2 * (i + 1):,}/{2 * n:,} "
                        f"({time.perf_counter() - started:.0f} s)"
                    )
        with raw.copy(
            "COPY masking_recordingoptin (number, method, opted_in_at, evidence) FROM STDIN"
        ) as copy:
            for i in range(0, n, 20):  # half of the recorded sessions have both consents
                copy.write_row((f"+658{i:07d}", "api", now, "bench"))
                copy.write_row((f"+659{i:07d}", "api", now, "bench"))
        for table in [
            "masking_virtualnumber",
            "masking_maskingsession",
            "masking_participant",
            "masking_recordingoptin",
        ]:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        cursor.execute("ANALYZE")
        # Loading a million sessions writes gigabytes of WAL: without a checkpoint now, the
        # server's own (every max_wal_size) would land in the first measured cell.
        cursor.execute("CHECKPOINT")
    return numbers
