"""What calls cost on disk, and what retention gives back (README, "Retention").

    .venv/bin/python tests/benchmarks/bench_retention_disk.py

Creates a PostgreSQL database of its own (`masking_bench_disk_<random>`, BENCH_PG for the
server), migrates it, opens 100 sessions, and sends BENCH_CALLS (5,000) calls through the
webhooks as 8x8 does (a Call Action, two call statuses, a session summary), with callbacks on.
Then prints the bytes per call of every table (and its indexes and TOAST) that grew, scaled to a
million calls; again after `purge_call_records` anonymised them, and after it deleted them
(VACUUM FULL before each figure after the first, so it counts what the rows need; it reclaims
nothing while another session on the server holds an older snapshot, so run it on a quiet
server). Not part of the suite.
"""

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# The child process (`run`) is told the name its parent made.
DB = os.environ.get("BENCH_DISK_DB") or f"masking_bench_disk_{secrets.token_hex(4)}"
CALLS = int(os.environ.get("BENCH_CALLS", "5000"))
ENV = {
    "DATABASE_URL": f"{SERVER}/{DB}",
    "SECRET_KEY": "bench-" + "x" * 50,
    "SECURE_SSL_REDIRECT": "false",
    "WEBHOOK_AUTH_HEADER": "Bearer " + "b" * 40,
    "MASKING_CALLBACK_URL": "https://backend.example.com/hook",
    "MASKING_CALLBACK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "MASKING_MANAGEMENT_COMMAND": "true",
    "LOG_LEVEL": "ERROR",
    "ALLOWED_HOSTS": "testserver",
}

SIZES = """
SELECT c.relname, pg_total_relation_size(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname = 'public'
"""


def sizes(cursor) -> dict[str, int]:
    cursor.execute(SIZES)
    return dict(cursor.fetchall())


def run() -> None:
    for key, value in ENV.items():
        os.environ[key] = value
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masking.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tests.callflows import payloads
    from tests.callflows.conftest import call_action
    from tests.factories import VirtualNumberFactory, open_session

    numbers = [VirtualNumberFactory(number=f"+65315{i:05d}") for i in range(10)]
    pairs = [(f"+65912{i:05d}", f"+65913{i:05d}") for i in range(100)]
    for i, (a, b) in enumerate(pairs):
        open_session(virtual_number=numbers[i % 10], a=a, b=b, reference=f"booking-{i}")

    def vacuum(full: bool = False):
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL ANALYZE" if full else "VACUUM ANALYZE")

    vacuum()
    with connection.cursor() as cursor:
        before = sizes(cursor)
    client = Client(HTTP_AUTHORIZATION=ENV["WEBHOOK_AUTH_HEADER"])

    def post(path, body):
        response = client.post(f"/callflows/8x8/{path}/", body, content_type="application/json")
        assert response.status_code == 200, response.content

    for n in range(CALLS):
        a, _b = pairs[n % 100]
        session = f"bench-session-{n:08d}"
        vn = str(numbers[(n % 100) % 10].number)
        body = call_action(a, vn)
        body["payload"].update(eventId=f"bench-action-{n:08d}", sessionId=session)
        post("call-action", body)
        for k, status in enumerate(("CALL_CONNECTED", "CALL_ANSWERED")):
            post("call-status", payloads.status(f"bench-status-{n:08d}-{k}", session, status))
        post("session-summary", payloads.summary(session))
    vacuum()

    def report(label: str) -> None:
        with connection.cursor() as cursor:
            now = sizes(cursor)
        grown = {t: now[t] - before.get(t, 0) for t in now if now[t] - before.get(t, 0) > 8192}
        total = sum(grown.values())
        print(f"\n{label}: {total / CALLS:,.0f} bytes a call, "
              f"{total / CALLS * 1e6 / 2**30:.2f} GiB a million calls")  # fmt: skip
        for table, grew in sorted(grown.items(), key=lambda kv: -kv[1]):
            print(f"  {table:40s} {grew / CALLS:8,.0f} bytes a call")

    report(f"{CALLS} calls as stored")
    # Age them all past both limits, then let retention work in two steps.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE callflows_call SET created_at = created_at - interval '500 days'")
        cursor.execute(
            "UPDATE callflows_callevent SET received_at = received_at - interval '500 days'"
        )
        cursor.execute(
            "UPDATE masking_callback SET created_at = created_at - interval '500 days', "
            "status = 'delivered'"
        )
        cursor.execute(
            "UPDATE django_tasks_database_dbtaskresult SET status = 'SUCCESSFUL', "
            "finished_at = now() - interval '500 days'"
        )
    vacuum()
    vacuum(full=True)
    report(f"{CALLS} calls as stored, compacted")
    out = io.StringIO()
    call_command("purge_call_records", days=90, delete_days=0, stdout=out)
    print(out.getvalue().splitlines()[-1])
    # FULL to show what the rows left need; in production autovacuum's plain VACUUM hands the
    # freed space to new calls, so the files stop growing rather than shrink.
    vacuum(full=True)
    report("anonymised; raw events and finished callbacks deleted")
    out = io.StringIO()
    call_command("purge_call_records", days=90, delete_days=400, stdout=out)
    print(out.getvalue().splitlines()[-1])
    vacuum(full=True)
    report("deleted")


def main() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DB}")
    try:
        env = {**os.environ, **ENV, "BENCH_DISK_DB": DB}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        subprocess.run([sys.executable, __file__, "run"], cwd=ROOT, env=env, check=True)
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    run() if sys.argv[1:] == ["run"] else main()
