"""Where a Call Action's time goes, in one process: the WSGI application called directly.

    .venv/bin/python tests/benchmarks/profile_call_action.py            # per-request cost
    .venv/bin/python tests/benchmarks/profile_call_action.py --profile  # and cProfile's top entries
    BENCH_PROFILE_N=1000000 .venv/bin/python tests/benchmarks/profile_call_action.py --load

Against the PostgreSQL database `masking_profile` (BENCH_PROFILE_DB), loaded once with `--load`
(BENCH_PROFILE_N sessions, 100,000 by default, laid out like the load benchmark's). Calls the
Call Action and the floor the way gunicorn does (request signals, persistent connection, the
production settings), with the load benchmark's mix of callers, and prints wall and CPU time per
request for each. No network, no gunicorn, no wrk: what is left is our own work and the
database's round trips. Not part of the test suite.
"""

import cProfile
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_PROFILE_DB", "masking_profile")
N = int(os.environ.get("BENCH_PROFILE_N", 100_000))
REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", 3000))
AUTH = "Bearer bench-webhook-secret"


def environ() -> dict:
    os.environ["BENCH_DB"] = DB  # the load benchmark's settings, on this database
    from tests.benchmarks import bench_call_action

    return bench_call_action.ENV


def load() -> None:
    import subprocess

    import psycopg

    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")
    env = environ()
    run = {"check": True, "env": env, "cwd": ROOT}
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], **run)
    script = str(ROOT / "tests/benchmarks/bench_call_action.py")
    subprocess.run([sys.executable, script, "load", str(N)], **run)


def requests(count: int, numbers: int) -> list[bytes]:
    """Bodies with the load benchmark's mix (tests/benchmarks/call_action.lua)."""
    rng = random.Random(7)
    bodies = []
    for j in range(count):
        roll, i = rng.randrange(100), rng.randrange(N)
        caller, dialled = f"+658{i:07d}", f"+6531{i % numbers:06d}"
        if 80 <= roll < 95:
            caller = f"+656{rng.randrange(10**7):07d}"
        elif roll >= 95:
            dialled = f"+6539{rng.randrange(10**6):06d}"
        ids = f"p-{time.time_ns()}-{j}"
        payload = {
            "eventId": f"e-{ids}",
            "callId": f"c-{ids}",
            "sessionId": f"s-{ids}",
            "subAccountId": "acme_masking",
            "callStatus": "CALL_RECEIVED",
            "callDirection": "INBOUND",
            "callType": "PSTN",
            "source": caller,
            "destination": dialled,
            "sourceFormat": "MSISDN",
            "destinationFormat": "MSISDN",
            "sourceCountryCode": "SG",
            "destinationCountryCode": "SG",
            "timestamp": "2026-11-24T10:00:00.000Z",
        }
        bodies.append(
            json.dumps(
                {"namespace": "VOICE", "eventType": "CALL_ACTION", "payload": payload}
            ).encode()
        )
    return bodies


def caller(app, path: str):
    from tests.wsgi import wsgi_post

    def call(body: bytes) -> bytes:
        status, content = wsgi_post(app, path, body, authorization=AUTH)
        if status != "200 OK":
            raise SystemExit(f"{path} answered {status}: {content[:300]!r}")
        return content

    return call


def measure(call, bodies: list[bytes]) -> tuple[float, float]:
    """Milliseconds per request: wall, CPU."""
    wall, cpu = time.perf_counter(), time.process_time()
    for body in bodies:
        call(body)
    count = len(bodies)
    return (
        (time.perf_counter() - wall) * 1000 / count,
        (time.process_time() - cpu) * 1000 / count,
    )


def main() -> None:
    os.environ.update(environ())
    if "--load" in sys.argv:
        load()
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    from masking.models import VirtualNumber

    numbers = VirtualNumber.objects.count()
    app = WSGIHandler()
    call_action = caller(app, "/callflows/8x8/call-action/")
    floor = caller(app, "/bench/floor/")
    for body in requests(300, numbers):  # warm: connection, prepared statements, caches
        call_action(body)
        floor(body)
    bodies = requests(REQUESTS, numbers)
    floor_wall, floor_cpu = measure(floor, bodies)
    ca_wall, ca_cpu = measure(call_action, bodies[: REQUESTS // 2])
    print(f"{numbers:,} numbers, {REQUESTS:,} requests, ms per request (wall / CPU):")
    print(f"  floor        {floor_wall:.3f} / {floor_cpu:.3f}")
    print(f"  call action  {ca_wall:.3f} / {ca_cpu:.3f}")
    if "--profile" in sys.argv:
        profiler = cProfile.Profile()
        profiler.enable()
        for body in bodies[REQUESTS // 2 :]:
            call_action(body)
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("tottime")
        stats.print_stats(35)
        stats.sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
