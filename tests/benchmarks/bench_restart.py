"""A PostgreSQL restart during a bounded Call Action load: what callers hear, and how fast calls
connect again. Not part of the suite (README, "Production").

    .venv/bin/python tests/benchmarks/bench_restart.py              # gunicorn -> PostgreSQL
    BENCH_PGBOUNCER=1 .venv/bin/python tests/benchmarks/bench_restart.py   # through PgBouncer
    BENCH_PGBOUNCER=1 BENCH_LOGIN_RETRY=15 ...                      # PgBouncer's default retry

On a PostgreSQL of its own (initdb in a temporary directory, a free port: nobody else's database
restarts): one open session, gunicorn from gunicorn.conf.py (2 workers), a task worker, and 8
callers posting Call Actions on kept-alive connections for BENCH_SECONDS (20). At BENCH_RESTART_AT
(5 s) PostgreSQL stops (fast shutdown) and starts again BENCH_DOWN (4) seconds later. Prints the
calls answered, the share that got something other than the apology (overall and after the
restart), how long the apologies lasted past PostgreSQL's return, and whether the same task
worker delivered a callback afterwards.
"""

import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_BIN = Path(sorted(Path("/usr/lib/postgresql").iterdir())[-1]) / "bin"
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
RESTART_AT = float(os.environ.get("BENCH_RESTART_AT", "5"))
DOWN = float(os.environ.get("BENCH_DOWN", "4"))
CONCURRENCY = 8
AUTH = "Bearer bench-restart"
VN, A, B = "+6531500101", "+6591230001", "+6591230002"
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command) -> list[str]:
    """PostgreSQL refuses to run as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class Cluster:
    def __init__(self, root: Path):
        self.dir, self.port = root / "pg", free_port()
        root.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
        subprocess.run(
            as_postgres(
                str(PG_BIN / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres"
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def pg_ctl(self, *args):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-o", options, "-w", *args),
            check=True,
            stdout=subprocess.DEVNULL,
        )


def start_pgbouncer(root: Path, pg_port: int, login_retry: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    (root / "pgbouncer.ini").write_text(
        f"[databases]\n* = host=127.0.0.1 port={pg_port}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
        f"listen_port = {port}\nunix_socket_dir =\nauth_type = trust\n"
        f"auth_file = {root}/users.txt\npool_mode = transaction\ndefault_pool_size = 20\n"
        f"server_login_retry = {login_retry}\nserver_reset_query =\n"
    )
    (root / "users.txt").write_text('"postgres" ""\n')
    pgbouncer = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    process = subprocess.Popen(
        as_postgres(pgbouncer, str(root / "pgbouncer.ini")), stderr=subprocess.DEVNULL
    )
    return process, port


class Receiver(http.server.BaseHTTPRequestHandler):
    delivered: list[float] = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.delivered.append(time.monotonic())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    pooled = os.environ.get("BENCH_PGBOUNCER") == "1"
    login_retry = int(os.environ.get("BENCH_LOGIN_RETRY", "1"))
    root = Path(tempfile.mkdtemp(prefix="masking-bench-restart-"))
    cluster = Cluster(root)
    cluster.pg_ctl("start")
    processes = []
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                "postgres",
                "-qc",
                "CREATE DATABASE masking",
            ],
            check=True,
        )
        db_port = cluster.port
        if pooled:
            pgbouncer, db_port = start_pgbouncer(root, cluster.port, login_retry)
            processes.append(pgbouncer)
            time.sleep(0.5)
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{db_port}/masking",
            "DATABASE_TRANSACTION_POOLING": "true" if pooled else "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "WEBHOOK_AUTH_HEADER": AUTH,
            "SECURE_SSL_REDIRECT": "false",
            "CONN_MAX_AGE": "600",
            "LOG_LEVEL": "CRITICAL",
            "GUNICORN_ACCESS_LOG": "",
            "MASKING_CALLBACK_URL": f"http://127.0.0.1:{receiver.server_port}/events",
            "MASKING_CALLBACK_SECRET": SECRET,
            "MASKING_WORKER_MAX_BACKOFF_SECONDS": "2",
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        seed = (
            "from tests.factories import VirtualNumberFactory, PromptFactory, open_session\n"
            "[PromptFactory(purpose=p, text=p) for p in ('connecting', 'recording_notice', "
            "'no_session', 'not_in_service', 'apology')]\n"
            f"open_session(virtual_number=VirtualNumberFactory(number='{VN}'), a='{A}', b='{B}')\n"
        )
        subprocess.run([*manage, "shell", "-c", seed], cwd=ROOT, env=env, check=True)
        web_port = free_port()
        processes.append(
            subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "masking.wsgi", "--workers=2"],
                cwd=ROOT,
                env={**env, "GUNICORN_BIND": f"127.0.0.1:{web_port}"},
                stderr=subprocess.DEVNULL,
            )
        )
        worker = subprocess.Popen(
            [*manage, "db_worker", "--no-reload", "--interval", "0.5", "-v0"],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        processes.append(worker)
        time.sleep(3)
        while len(Receiver.delivered) < 1:  # the seeded session's session.opened
            time.sleep(0.2)

        results, started = [], time.monotonic()
        stop_at = started + SECONDS

        def caller(k):
            web, n = None, 0
            while time.monotonic() < stop_at:
                n += 1
                body = json.dumps(
                    {
                        "namespace": "VOICE",
                        "eventType": "CALL_ACTION",
                        "payload": {
                            "eventId": f"e-{k}-{n}",
                            "sessionId": f"s-{k}-{n}",
                            "callId": f"c-{k}-{n}",
                            "source": A,
                            "destination": VN,
                            "callStatus": "CALL_RECEIVED",
                            "callDirection": "INBOUND",
                            "callType": "PSTN",
                        },
                    }
                )
                sent = time.monotonic()
                try:
                    web = web or http.client.HTTPConnection("127.0.0.1", web_port, timeout=10)
                    web.request(
                        "POST",
                        "/callflows/8x8/call-action/",
                        body=body,
                        headers={"Authorization": AUTH, "Content-Type": "application/json"},
                    )
                    answer = json.loads(web.getresponse().read())
                    outcome = re.split("[:-]", answer["clientActionId"])[1]
                except (OSError, http.client.HTTPException, ValueError):
                    web, outcome = None, "no answer"
                results.append((sent - started, outcome, time.monotonic() - sent))

        threads = [threading.Thread(target=caller, args=(k,)) for k in range(CONCURRENCY)]
        for thread in threads:
            thread.start()
        time.sleep(RESTART_AT)
        stopped = time.monotonic() - started
        cluster.pg_ctl("stop", "-m", "fast")
        time.sleep(DOWN)
        cluster.pg_ctl("start")
        back = time.monotonic() - started
        for thread in threads:
            thread.join()

        seed = "from tests.factories import open_session\nopen_session(reference='after')\n"
        asked = time.monotonic()
        subprocess.run([*manage, "shell", "-c", seed], cwd=ROOT, env=env, check=True)
        while len(Receiver.delivered) < 2 and time.monotonic() - asked < 30:
            time.sleep(0.2)
        delivered = len(Receiver.delivered) >= 2
        report(
            results,
            stopped,
            back,
            pooled,
            login_retry,
            worker.poll() is None,
            delivered,
            Receiver.delivered[-1] - asked if delivered else None,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)
        receiver.shutdown()
        cluster.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(root, ignore_errors=True)


def report(results, stopped, back, pooled, login_retry, worker_alive, delivered, delivery_s):
    total = len(results)
    good = [r for r in results if r[1] not in ("apology", "no answer")]
    after = [r for r in results if r[0] >= stopped]
    failed = [r for r in results if r[1] in ("apology", "no answer")]
    last_failure = max((t for t, _, _ in failed), default=None)
    path = f"PgBouncer (transaction, server_login_retry={login_retry})" if pooled else "direct"
    print(
        f"gunicorn -> {path} -> PostgreSQL; {CONCURRENCY} callers for {SECONDS:.0f} s; "
        f"PostgreSQL stopped at {stopped:.1f} s, accepting again at {back:.1f} s"
    )
    print(
        f"  calls answered: {total} ({sum(1 for r in results if r[1] == 'no answer')} unanswered)"
    )
    print(
        f"  non-apology share: {len(good) / total:.1%} overall, "
        f"{sum(1 for r in after if r[1] not in ('apology', 'no answer')) / max(len(after), 1):.1%}"
        f" from the stop to the end"
    )
    if last_failure is not None:
        print(
            f"  apologies from {min(t for t, _, _ in failed):.1f} s to {last_failure:.1f} s: "
            f"calls connect again {max(last_failure - back, 0):.1f} s after PostgreSQL is back"
        )
    print(f"  slowest answer: {max(r[2] for r in results):.2f} s")
    delivery = f"delivered in {delivery_s:.1f} s" if delivered else "NOT delivered"
    print(
        f"  task worker: {'still running' if worker_alive else 'EXITED'}; callback after the "
        f"restart {delivery}"
    )


if __name__ == "__main__":
    main()
