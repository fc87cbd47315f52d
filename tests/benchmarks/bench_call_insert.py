"""What the indexes on the call tables cost the Call Action: its record, inserted by pgbench.

    .venv/bin/python tests/benchmarks/bench_call_insert.py
    BENCH_DB=masking_bench_insert BENCH_CALLS=1000000 BENCH_CONCURRENCY=8 BENCH_DURATION=15 \
        BENCH_ROUNDS=5 BENCH_BEFORE=0006_staff_words \
        .venv/bin/python tests/benchmarks/bench_call_insert.py

Two databases, `<BENCH_DB>_before` (callflows migrated to BENCH_BEFORE) and `<BENCH_DB>_after`
(the latest), recreated, each loaded with BENCH_CALLS calls spread over 90 days, each call with
its Call Action event (one statement, generate_series). Then, for each, the Call Action's write
(callflows.records' one statement, rendered from the code's SQL as tests/benchmarks/ceiling.py
does; every transaction a new call and a new event, as a first Call Action is):

- what one record writes: WAL records and bytes, buffers touched (EXPLAIN ANALYZE, averaged
  over 200 records), which a busy shared machine does not blur;
- pgbench's transactions per second at BENCH_CONCURRENCY for BENCH_DURATION seconds, the two
  databases alternated BENCH_ROUNDS times, and the medians.

Not part of the test suite. `load_calls` also fills a database for reading query plans
(tests/benchmarks/explain_calls.py).
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "masking_bench_insert")  # one per engineer on a shared server
CALLS = int(os.environ.get("BENCH_CALLS", 1_000_000))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", 100_000))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 8))
DURATION = int(os.environ.get("BENCH_DURATION", 15))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
BEFORE = os.environ.get("BENCH_BEFORE", "0006_staff_words")
ENV = {
    **os.environ,
    "DATABASE_URL": f"{BASE}/{DB}",
    "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
    "DJANGO_SETTINGS_MODULE": "masking.settings",
    "MASKING_MANAGEMENT_COMMAND": "true",  # bulk loads: no web statement timeout
}

# Calls over `days` days, ids in time order as they are written: 80% bridged (a session's
# participant to its number), 15% a stranger on a number of ours, 5% a number we do not have.
LOAD_CALLS = """
INSERT INTO callflows_call (
    provider_session_id, action_event_id, virtual_number, caller, masking_session_id, outcome,
    recorded, answer, answered_at, created_at, keypad_tries, status, last_action, error_message,
    recording_id, recording_path, started_at, ended_at, caller_seconds, callee_seconds
)
SELECT 'load-' || g, 'load-event-' || g,
    CASE WHEN kind < 0.95 THEN '+6531' || lpad((s %% %(numbers)s)::text, 6, '0')
         ELSE '+6539' || lpad((g %% 1000)::text, 6, '0') END,
    CASE WHEN kind < 0.8 THEN '+658' || lpad(s::text, 7, '0')
         ELSE '+657' || lpad((g %% 1000000)::text, 7, '0') END,
    CASE WHEN kind < 0.8 THEN s + 1 END,
    CASE WHEN kind < 0.8 THEN 'connect' WHEN kind < 0.95 THEN 'no_session'
         ELSE 'not_in_service' END,
    false,
    '{"clientActionId": "masking:connect:1", "callflow": [{"action": "makeCall"}]}'::jsonb,
    t, t, 0,
    CASE WHEN kind >= 0.8 THEN 'COMPLETED' WHEN talk < 0.85 THEN 'COMPLETED'
         WHEN talk < 0.95 THEN 'NO_ANSWER' ELSE 'BUSY' END,
    '', '', '', '', t, t + interval '3 minutes', 200,
    CASE WHEN kind < 0.8 AND talk < 0.85 THEN (talk * 600)::int + 1 ELSE 0 END
FROM (
    SELECT g, floor(random() * %(sessions)s)::bigint AS s, random() AS kind, random() AS talk,
           now() - random() * interval '%(days)s days' AS t
    FROM generate_series(1, %(calls)s) AS g
    ORDER BY t
) AS calls
"""
LOAD_ACTIONS = """
INSERT INTO callflows_callaction (event_id, provider_session_id, outcome, answer, answered_at)
SELECT action_event_id, provider_session_id, outcome, answer, answered_at FROM callflows_call
"""


def load_calls(cursor, *, calls: int, sessions: int, numbers: int, days: int = 90) -> None:
    """`calls` calls with their Call Action events, on sessions and numbers laid out as
    tests/benchmarks/load.py loads them."""
    params = {"calls": calls, "sessions": sessions, "numbers": numbers, "days": days}
    cursor.execute(LOAD_CALLS % params)
    cursor.execute(LOAD_ACTIONS)
    cursor.execute("VACUUM ANALYZE callflows_call")
    cursor.execute("VACUUM ANALYZE callflows_callaction")


def indexes(cursor, table: str) -> list[str]:
    cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
    return [row[0] for row in cursor.fetchall()]


def prepare(db: str, migration: str | None) -> None:
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db}")
    env = {**ENV, "DATABASE_URL": f"{BASE}/{db}"}

    def sh(*args):
        subprocess.run(args, check=True, env=env, cwd=ROOT)

    sh(PYTHON, "manage.py", "migrate", "--verbosity", "0")
    if migration:
        sh(PYTHON, "manage.py", "migrate", "callflows", migration, "--verbosity", "0")
    sh(PYTHON, __file__, "load")


def load_in_this_process() -> None:
    import time

    for key, value in ENV.items():
        os.environ.setdefault(key, value)  # prepare() names the database
    import django

    django.setup()
    from django.db import connection

    from tests.benchmarks.load import load_sessions

    started = time.perf_counter()
    numbers = load_sessions(SESSIONS, progress=lambda line: None)
    with connection.cursor() as cursor:
        load_calls(cursor, calls=CALLS, sessions=SESSIONS, numbers=numbers)
        for table in ["callflows_call", "callflows_callaction"]:
            print(f"    {table}: {', '.join(indexes(cursor, table))}")
    print(f"    loaded {CALLS:,} calls in {time.perf_counter() - started:.0f} s", flush=True)


def script() -> str:
    from tests.benchmarks.ceiling import record_statement

    event = "('insert-' || (:client_id)::bigint::text || '-' || (:r)::bigint::text)"
    dialled = "('+6531' || lpad((:v)::bigint::text, 6, '0'))"
    caller = "('+658' || lpad((:i)::bigint::text, 7, '0'))"
    record = record_statement(event=event, dialled=dialled, caller=caller, session="(:i + 1)")
    variables = [
        f"\\set i random(0, {SESSIONS - 1})",
        "\\set v :i % 100",
        "\\set r random(1, 1000000000000000)",
    ]
    return "\n".join([*variables, record]) + "\n"


def pgbench(db: str, sql: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
        f.write(sql)
        f.flush()
        out = subprocess.run(
            ["pgbench", "-n", "-M", "prepared", "-c", str(CONCURRENCY), "-j", "2"]
            + ["-T", str(DURATION), "-f", f.name, f"{BASE}/{db}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def written_per_record(db: str, sql: str, times: int = 200) -> dict:
    """WAL records and bytes, and shared buffers touched, by one record (both inserts), from
    EXPLAIN (ANALYZE, WAL, BUFFERS): what each index costs, without the noise of a shared
    machine's timings."""
    import psycopg

    statement = sql.strip().splitlines()[-1]
    totals = {"WAL Records": 0, "WAL Bytes": 0, "Shared Hit Blocks": 0, "Shared Read Blocks": 0}
    with psycopg.connect(f"{BASE}/{db}", autocommit=True) as conn:
        for k in range(times):
            values = {"client_id": "0", "r": str(10**14 + k), "i": str(k), "v": str(k % 100)}
            one = re.sub(r"\(:(\w+)", lambda m, v=values: "(" + v[m.group(1)], statement)
            [[plan]] = conn.execute(f"EXPLAIN (ANALYZE, WAL, BUFFERS, FORMAT JSON) {one}")
            for node in _nodes(plan[0]["Plan"]):
                if node["Node Type"] == "ModifyTable":
                    for key in totals:
                        totals[key] += node.get(key, 0)
    return {key: value / times for key, value in totals.items()}


def _nodes(node):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def main():
    os.environ.update(ENV)
    import django

    django.setup()
    sql = script()
    states = {f"{DB}_before": BEFORE, f"{DB}_after": None}
    for db, migration in states.items():
        print(f"{db} (callflows at {migration or 'the latest'}): {CALLS:,} calls", flush=True)
        prepare(db, migration)
    for db in states:
        cost = written_per_record(db, sql)
        print(
            f"{db}: per record {cost['WAL Records']:.1f} WAL records, "
            f"{cost['WAL Bytes']:,.0f} WAL bytes, "
            f"{cost['Shared Hit Blocks'] + cost['Shared Read Blocks']:.1f} buffers touched"
        )
    # Alternated, so a neighbour's load on a shared machine falls on both states alike.
    runs = {db: [] for db in states}
    for _ in range(ROUNDS):
        for db in states:
            runs[db].append(pgbench(db, sql))
    for db, tps in runs.items():
        print(
            f"{db}: tps at c={CONCURRENCY}, {DURATION} s: {', '.join(f'{r:.1f}' for r in tps)} "
            f"(median {statistics.median(tps):.1f})"
        )
    before, after = (statistics.median(tps) for tps in runs.values())
    print(f"\nmedian tps: before {before:.1f}, after {after:.1f} ({after / before - 1:+.1%})")


if __name__ == "__main__":
    if sys.argv[1:2] == ["load"]:
        load_in_this_process()
    else:
        main()
