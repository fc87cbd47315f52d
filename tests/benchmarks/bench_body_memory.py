"""What do large anonymous bodies cost gunicorn's workers? (README, "Security", request bodies)

    .venv/bin/python tests/benchmarks/bench_body_memory.py

Serves the project with gunicorn.conf.py (SQLite in a temporary directory, migrated), then sends
BENCH_BODIES (36) anonymous 16 MiB bodies, 6 at a time: logins with a 16 MiB username (with a
Content-Length), and chunked bodies to the login form and to a webhook without its credential.
Prints the workers' resident memory (sum of VmRSS) before, at its peak while sampling every
50 ms, and after, with what each request got. Not part of the suite.
"""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BODY = 16 * 1024 * 1024
COUNT = int(os.environ.get("BENCH_BODIES", "36"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workers_rss_mb(master: int) -> float:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def send(port: int, path: str, *, chunked: bool) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.monotonic()
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        else:
            conn.putheader("Content-Length", str(BODY))
        conn.endheaders()
        piece = b"username=" + b"a" * (1024 * 1024 - 9)
        try:
            for _ in range(BODY // len(piece)):
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                piece = b"a" * (1024 * 1024)
            if chunked:
                conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before taking the whole body
        status = conn.getresponse().status
    except OSError as exc:
        status = type(exc).__name__
    finally:
        conn.close()
    return f"{status} in {time.monotonic() - started:.2f} s"


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "SECRET_KEY": "bench-" + "x" * 50,
            "SECURE_SSL_REDIRECT": "false",
            "WEBHOOK_AUTH_HEADER": "Bearer " + "b" * 40,
            "LOG_LEVEL": "ERROR",
            "GUNICORN_ACCESS_LOG": "",
        }
        python = Path(sys.executable)
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        server = subprocess.Popen(
            [python.parent / "gunicorn", "-c", "gunicorn.conf.py", "masking.wsgi",
             "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            time.sleep(3)
            before = workers_rss_mb(server.pid)
            peak, stop = [before], threading.Event()

            def sample():
                while not stop.wait(0.05):
                    peak.append(workers_rss_mb(server.pid))

            sampler = threading.Thread(target=sample)
            sampler.start()
            jobs = [
                ("/admin/login/", False),
                ("/admin/login/", True),
                ("/callflows/8x8/call-status/", True),
            ]
            with ThreadPoolExecutor(6) as pool:
                results = list(
                    pool.map(
                        lambda i: (jobs[i % 3], send(port, jobs[i % 3][0], chunked=jobs[i % 3][1])),
                        range(COUNT),
                    )
                )
            time.sleep(1)
            stop.set()
            sampler.join()
            after = workers_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(20)
    for (path, chunked), outcome in results[:3]:
        print(f"{'chunked' if chunked else 'length '} {path}: {outcome}")
    print(f"{COUNT} bodies of 16 MiB: workers' RSS {before:.0f} MB before, "
          f"{max(peak):.0f} MB peak, {after:.0f} MB after")  # fmt: skip


if __name__ == "__main__":
    main()
