"""Load benchmark of the Call Action path against the framework's floor, at N open sessions.

    make bench                                  # N = 1,000 / 10,000 / 100,000 / 1,000,000
    BENCH_SIZES=1000,10000 make bench           # a subset
    BENCH_POOLS=2 make bench                    # half the numbers in a second pool (issue 31)
    BENCH_ROLLUP=off make bench                 # without the call roll-up's triggers

For each N: recreate the PostgreSQL database `masking_bench` (BENCH_DB), bulk-load N open sessions
(COPY), serve the project with gunicorn and its production configuration (`gunicorn.conf.py`,
production settings, persistent connections) on 127.0.0.1, and
drive it with wrk (tests/benchmarks/call_action.lua: 80% callers in a session, 15% known number
without session, 5% unknown number) at each concurrency, and the two floors (callflows/floor.py:
a constant answer; the same after the Call Action's two round trips) the same way, in
alternating rounds (BENCH_ROUNDS, 3 by default, sharing BENCH_DURATION): on a shared machine a
burst of someone else's work then lands on every side of the ratios, not on one. Prints one
table and saves it as JSON in bench-results/. Not part of the test suite.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
BIN = Path(PYTHON).parent
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "masking_bench")  # one per engineer on a shared server
PORT = int(os.environ.get("BENCH_PORT", 8097))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,100000,1000000").split(",")]
CONCURRENCY = [int(c) for c in os.environ.get("BENCH_CONCURRENCY", "8,32").split(",")]
DURATION = int(os.environ.get("BENCH_DURATION", 20))
WARMUP = int(os.environ.get("BENCH_WARMUP", 5))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
# Served with production's gunicorn.conf.py; extra gunicorn flags (e.g. "--workers=5") in
# BENCH_GUNICORN_ARGS win over it, to compare configurations.
GUNICORN_ARGS = os.environ.get("BENCH_GUNICORN_ARGS", "").split()
AUTH = "Bearer bench-webhook-secret"
# BENCH_POOLS=2: the numbers of odd index move to a second pool with rules of its own (dialect,
# default language, consent rule, PIN length) and prompts of its own, answered with its own
# webhook credential (issue 31). 1: every number in the deployment's pool, as before pools.
POOLS = int(os.environ.get("BENCH_POOLS", 1))
AUTH_B = "Bearer bench-second-pool-secret" if POOLS == 2 else ""
SUBACCOUNT_B = "bench-b"
# The Call Action and the two floors (callflows/floor.py), measured in this order each round.
PATHS = ["/callflows/8x8/call-action/", "/bench/floor/", "/bench/database-floor/"]
ENV = {
    **os.environ,
    "DATABASE_URL": f"{BASE}/{DB}",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "CONN_MAX_AGE": "600",
    "WEBHOOK_AUTH_HEADER": AUTH,
    "MASKING_BENCH_FLOOR": "true",
    # One log line per call is production's choice too; the benchmark measures the path, not
    # the terminal, so only warnings are written.
    "LOG_LEVEL": "WARNING",
    "GUNICORN_ACCESS_LOG": "",
    "DJANGO_SETTINGS_MODULE": "masking.settings",
}


def sh(*args, **kwargs):
    return subprocess.run(args, check=True, env=ENV, cwd=ROOT, **kwargs)


def prepare(n: int) -> int:
    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    sh(PYTHON, "manage.py", "migrate", "--verbosity", "0")
    out = sh(PYTHON, __file__, "load", str(n), stdout=subprocess.PIPE, text=True).stdout
    if os.environ.get("BENCH_ROLLUP") == "off":
        # The call roll-up's triggers dropped (callflows/rollup.py): what they cost the Call
        # Action, against a run with them (README, "Benchmarks").
        from callflows.rollup import remove_sql

        with psycopg.connect(ENV["DATABASE_URL"], autocommit=True) as conn:
            for statement in remove_sql("postgresql"):
                conn.execute(statement)
    return int(out.strip().splitlines()[-1])


def load_in_this_process(n: int):
    # A bulk load is a management job: no web statement timeout.
    os.environ.update(ENV, MASKING_MANAGEMENT_COMMAND="true")
    import django

    django.setup()
    from masking.models import Prompt
    from tests.benchmarks.load import load_sessions

    started = time.perf_counter()
    numbers = load_sessions(n, progress=lambda line: print(line, file=sys.stderr, flush=True))
    for purpose, text in [
        ("connecting", "Please hold while we connect your call."),
        ("recording_notice", "This call may be recorded."),
        ("no_session", "Sorry, we could not find your booking. Goodbye."),
        ("not_in_service", "This number is not in service."),
    ]:
        Prompt.objects.create(purpose=purpose, text=text)
    if POOLS == 2:
        second_pool()
    print(
        f"    loaded {n:,} sessions on {numbers:,} numbers in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    print(numbers)


def second_pool() -> None:
    """The second pool: half the numbers (odd index), rules of its own, prompts of its own."""
    from django.db import connection

    from masking.models import Pool, Prompt

    pool = Pool(
        name="Bench B",
        subaccount_id=SUBACCOUNT_B,
        callflow_dialect="current",
        default_language="fr",
        recording_consent="caller_only",
        pin_length=8,
    )
    pool.set_webhook_credential(AUTH_B)
    pool.full_clean()
    pool.save()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE masking_virtualnumber SET pool_id = %s WHERE right(number, 1) IN "
            "('1', '3', '5', '7', '9')",
            [pool.pk],
        )
        moved = cursor.rowcount
    for purpose, text in [
        ("connecting", "Bench B: please hold."),
        ("no_session", "Bench B: no booking. Goodbye."),
    ]:
        Prompt.objects.create(pool=pool, purpose=purpose, text=text)
    print(f"    second pool: {moved:,} numbers", file=sys.stderr, flush=True)


def serve(*extra_args: str):
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "masking.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            *GUNICORN_ARGS,
            *extra_args,
        ],
        env=ENV,
        cwd=ROOT,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/floor/", b"{}", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def wrk(path: str, concurrency: int, duration: int, n: int, numbers: int, port: int = PORT) -> dict:
    env = {
        **ENV,
        "BENCH_N": str(n),
        "BENCH_NUMBERS": str(numbers),
        "BENCH_AUTH": AUTH,
        "BENCH_AUTH_B": AUTH_B,
        "BENCH_SUBACCOUNT_B": SUBACCOUNT_B,
    }
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(concurrency),
            "-d",
            f"{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(ROOT / "tests/benchmarks/call_action.lua"),
            f"http://127.0.0.1:{port}{path}",
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(re.search(r"^RESULT (.*)$", out, re.M).group(1))
    errors = sum(
        result[k] for k in ["non_2xx", "connect_errors", "read_errors", "write_errors", "timeouts"]
    )
    return {
        "rps": round(result["requests"] / (result["duration_us"] / 1e6), 1),
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "errors": errors,
        "requests": result["requests"],
        "seconds": result["duration_us"] / 1e6,
    }


def rounds(paths: list[str], concurrency: int, n: int, numbers: int) -> list[dict]:
    """The paths in alternating rounds of DURATION / ROUNDS seconds each: requests per second
    over all their rounds; p50 and p99 the median of the rounds'."""
    seconds = max(1, DURATION // ROUNDS)
    runs: dict[str, list[dict]] = {path: [] for path in paths}
    for _ in range(ROUNDS):
        for path in paths:
            runs[path].append(wrk(path, concurrency, seconds, n, numbers))
    return [combined(runs[path]) for path in paths]


def combined(results: list[dict]) -> dict:
    def median(key):
        values = sorted(r[key] for r in results)
        return values[len(values) // 2]

    return {
        "rps": round(sum(r["requests"] for r in results) / sum(r["seconds"] for r in results), 1),
        "p50_ms": median("p50_ms"),
        "p99_ms": median("p99_ms"),
        "errors": sum(r["errors"] for r in results),
        "requests": sum(r["requests"] for r in results),
        "rounds_rps": [r["rps"] for r in results],
    }


def stored_actions() -> int:
    """Call Action events on record: every request of a run must add one (a run whose ids repeat
    would measure redeliveries, which write nothing). The database floor's are not counted."""
    import psycopg

    from callflows.floor import FLOOR_EVENT_PREFIX

    with psycopg.connect(ENV["DATABASE_URL"]) as conn:
        return conn.execute(
            "SELECT count(*) FROM callflows_callaction WHERE NOT starts_with(event_id, %s)",
            [FLOOR_EVENT_PREFIX],
        ).fetchone()[0]


def check_sample(n: int, numbers: int, count: int = 200) -> int:
    """Post a sample of the mix and check each answer is a callflow the seed allows."""
    import random

    rng = random.Random(n)
    valid = 0
    for j in range(count):
        i = rng.randrange(n)
        caller, dialled = f"+658{i:07d}", f"+6531{i % numbers:06d}"
        if j % 20 == 0:
            dialled = "+6539000001"
        elif j % 7 == 0:
            caller = f"+656{rng.randrange(10**7):07d}"
        second = AUTH_B and dialled.startswith("+6531") and int(dialled[-1]) % 2 == 1
        payload = {
            "eventId": f"sample-{n}-{j}",
            "sessionId": f"sample-{n}-{j}",
            "source": caller,
            "destination": dialled,
        }
        if second:
            payload["subAccountId"] = SUBACCOUNT_B
        body = json.dumps({"eventType": "CALL_ACTION", "payload": payload}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/callflows/8x8/call-action/",
            body,
            {"Authorization": AUTH_B if second else AUTH, "Content-Type": "application/json"},
        )
        answer = json.load(urllib.request.urlopen(request, timeout=5))
        actions = [step["action"] for step in answer["callflow"]]
        ok = (
            answer["clientActionId"].startswith("masking-")
            and "other_account" not in answer["clientActionId"]
            and actions
            and (
                actions[-1] in ("makeCall", "hangup")
                and set(actions) <= {"say", "makeCall", "hangup"}
            )
        )
        if actions[-1] == "makeCall":
            params = answer["callflow"][-1]["params"]
            ok = ok and params["source"] == dialled[1:] and params["destination"] == f"659{i:07d}"
        valid += bool(ok)
    return valid


def worker_peak_rss_mb(master_pid: int) -> float:
    peaks = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master_pid}$", text, re.M):
            peaks.append(int(re.search(r"^VmHWM:\s+(\d+)", text, re.M).group(1)) / 1024)
    return round(max(peaks), 1) if peaks else 0.0


def main():
    os.environ.update(ENV)
    import django

    django.setup()  # the ceiling's script is rendered from the project's SQL
    from tests.benchmarks.ceiling import pgbench

    rows = []
    for n in SIZES:
        print(f"N = {n:,}: loading", flush=True)
        numbers = prepare(n)
        server = serve()
        try:
            for c in CONCURRENCY:
                for path in PATHS:
                    wrk(path, c, WARMUP, n, numbers)  # warm-up: connections, caches, JIT-free
                before = stored_actions()
                ca, floor, db_floor = rounds(PATHS, c, n, numbers)
                ca["stored"] = stored_actions() - before
                # BENCH_CEILING=0 skips the pgbench ceiling (tests/benchmarks/ceiling.py).
                ceiling = (
                    pgbench(
                        url=ENV["DATABASE_URL"],
                        n=n,
                        numbers=numbers,
                        concurrency=c,
                        duration=DURATION,
                    )
                    if os.environ.get("BENCH_CEILING", "1") != "0"
                    else {"tps": "-"}
                )
                rows.append(
                    {
                        "n": n,
                        "concurrency": c,
                        "call_action": ca,
                        "floor": floor,
                        "database_floor": db_floor,
                        "db_ceiling": ceiling,
                        "ratio": round(ca["rps"] / floor["rps"], 3),
                        "database_floor_ratio": round(db_floor["rps"] / floor["rps"], 3),
                    }
                )
                print(
                    f"  c={c}: call action {ca['rps']} rps p99 {ca['p99_ms']} ms, "
                    f"floor {floor['rps']} rps, database floor {db_floor['rps']} rps, "
                    f"database ceiling {ceiling['tps']} tps",
                    flush=True,
                )
            valid = check_sample(n, numbers)
            memory = worker_peak_rss_mb(server.pid)
            for row in rows:
                if row["n"] == n:
                    row.update(sample_valid=f"{valid}/200", worker_peak_rss_mb=memory)
        finally:
            server.terminate()
            server.wait()
    print_table(rows)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / f"call-action-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(
        json.dumps(
            {"gunicorn_args": GUNICORN_ARGS, "duration_s": DURATION, "rounds": ROUNDS}
            | {"pools": POOLS}
            | {"rows": rows},
            indent=2,
        )
    )
    print(f"saved {path.relative_to(ROOT)}")


def print_table(rows):
    """One line a cell. `ratio` is the Call Action's throughput over the floor's; `DB floor` and
    its ratio, the database floor's (the two round trips and nothing of ours) over the floor's:
    the most any Call Action that reads and records in two round trips can reach here."""
    head = (
        f"{'N':>9} {'conc':>4} | {'CA rps':>7} {'p50 ms':>7} {'p99 ms':>7} {'err':>4} | "
        f"{'floor rps':>9} {'p99 ms':>7} {'err':>4} | {'ratio':>5} | "
        f"{'DB floor':>8} {'p99 ms':>7} {'err':>4} {'ratio':>5} | "
        f"{'DB tps':>7} | {'RSS MB':>6} | {'stored':>6} | sample"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        ca, fl, dbf = r["call_action"], r["floor"], r["database_floor"]
        print(
            f"{r['n']:>9,} {r['concurrency']:>4} | {ca['rps']:>7} {ca['p50_ms']:>7} "
            f"{ca['p99_ms']:>7} {ca['errors']:>4} | {fl['rps']:>9} "
            f"{fl['p99_ms']:>7} {fl['errors']:>4} | {r['ratio']:>5} | "
            f"{dbf['rps']:>8} {dbf['p99_ms']:>7} {dbf['errors']:>4} "
            f"{r['database_floor_ratio']:>5} | "
            f"{r['db_ceiling']['tps']:>7} | "
            f"{r.get('worker_peak_rss_mb', ''):>6} | "
            f"{ca.get('stored', 0) / max(ca['requests'], 1):>6.1%} | {r.get('sample_valid', '')}"
        )


def out_of_session_latency(n: int = 1000, calls: int = 200) -> None:
    """`bench_call_action.py out-of-session`: one caller at a time, the Call Action's latency for
    a caller in a session and for a stranger whose call is asked of a business that answers in
    50 ms (README, "Calls outside a session"). The in-session figure is the control: the
    business is never asked for it."""
    import threading
    import uuid
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Business(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # connections kept alive, as a production backend's are

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            time.sleep(0.05)
            body = b'{"action": "refuse"}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Business)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    ENV.update(
        MASKING_OUT_OF_SESSION_URL=f"http://127.0.0.1:{receiver.server_port}/out-of-session",
        MASKING_OUT_OF_SESSION_SECRET="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        MASKING_OUTBOUND_ALLOW_PRIVATE="true",
    )
    print(f"N = {n:,}: loading", flush=True)
    prepare(n)
    server = serve()
    try:
        for label, caller in [
            ("in a session", "+6580000000"),
            ("outside a session", "+6597777777"),
        ]:
            took = []
            for i in range(calls + 10):
                event = str(uuid.uuid4())
                body = {
                    "eventType": "CALL_ACTION",
                    "payload": {"eventId": event, "sessionId": event, "callId": event,
                                "source": caller, "destination": "+6531000000"},
                }  # fmt: skip
                request = urllib.request.Request(
                    f"http://127.0.0.1:{PORT}/callflows/8x8/call-action/",
                    json.dumps(body).encode(),
                    {"Authorization": AUTH, "Content-Type": "application/json"},
                )
                started = time.perf_counter()
                answer = json.loads(urllib.request.urlopen(request, timeout=5).read())
                if i >= 10:  # the first ten warm the worker's connections and caches
                    took.append((time.perf_counter() - started) * 1000)
            took.sort()
            print(
                f"{label:>18}: p50 {took[len(took) // 2]:.1f} ms, "
                f"p95 {took[int(len(took) * 0.95)]:.1f} ms, max {took[-1]:.1f} ms "
                f"({calls} calls; answer {answer['callflow'][-1]['action']})",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait()
        receiver.shutdown()


if __name__ == "__main__":
    if sys.argv[1:2] == ["load"]:
        load_in_this_process(int(sys.argv[2]))
    elif sys.argv[1:2] == ["out-of-session"]:
        out_of_session_latency()
    else:
        main()
