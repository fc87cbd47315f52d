"""Do slow clients stall Call Actions? And what does each gunicorn configuration cost?

    .venv/bin/python tests/benchmarks/bench_slow_clients.py

For each configuration (gunicorn.conf.py as shipped, and the alternatives it was chosen against),
serve the project on a fresh PostgreSQL database (`masking_bench_slow`, BENCH_DB) holding 1,000
open sessions, then:

1. slowloris: 4, 8 and 16 connections (BENCH_SLOW) send a request line and then one header
   byte every 0.5 s for 8 s, never finishing; meanwhile a probe posts a Call Action every 50 ms,
   each on a new connection as 8x8 does, and records how long each took (or nothing in 5 s);
2. throughput: wrk drives Call Actions at concurrency 8 for 10 s (the load benchmark's mix).

With BENCH_NGINX=1 (nginx installed), the shipped configuration is also measured behind nginx
buffering requests, as README's production setup has it. Prints one table. Not part of the suite.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("BENCH_DB", "masking_bench_slow")
os.environ.setdefault("BENCH_DURATION", "10")

from tests.benchmarks import bench_call_action as bench  # noqa: E402

SLOW_COUNTS = [int(n) for n in os.environ.get("BENCH_SLOW", "4,8,16").split(",")]
SLOW_SECONDS = 8
CONFIGS = {
    "shipped (gunicorn.conf.py)": [],
    "sync, 3 workers": ["--worker-class=sync", "--workers=3"],
    "gthread, 3 workers x 4 threads": ["--workers=3", "--threads=4"],
    "gthread, 2 workers x 8 threads": ["--workers=2", "--threads=8"],
}
NGINX_PORT = bench.PORT + 1


def slow_client(port: int, stop: threading.Event):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /callflows/8x8/call-action/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop.wait(0.5):
            try:
                sock.sendall(b"X")
            except OSError:
                return


def probe(port: int, stop: threading.Event, latencies: list, failures: list):
    i = 0
    while not stop.is_set():
        i += 1
        body = json.dumps(
            {
                "eventType": "CALL_ACTION",
                "payload": {
                    "eventId": f"probe-{port}-{i}-{time.time()}",
                    "sessionId": f"probe-{port}-{i}-{time.time()}",
                    "source": "+6580000001",
                    "destination": "+6531000001",
                },
            }
        ).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/callflows/8x8/call-action/",
            body,
            {"Authorization": bench.AUTH, "Content-Type": "application/json"},
        )
        started = time.monotonic()
        try:
            urllib.request.urlopen(request, timeout=5).read()
            latencies.append(time.monotonic() - started)
        except (OSError, urllib.error.URLError):
            failures.append(time.monotonic() - started)
        time.sleep(0.05)


def slowloris(port: int, slow: int) -> dict:
    stop, latencies, failures = threading.Event(), [], []
    clients = [threading.Thread(target=slow_client, args=(port, stop)) for _ in range(slow)]
    for client in clients:
        client.start()
    time.sleep(0.5)  # the slow clients are in before the probe starts
    prober = threading.Thread(target=probe, args=(port, stop, latencies, failures))
    prober.start()
    time.sleep(SLOW_SECONDS)
    stop.set()
    prober.join()
    for client in clients:
        client.join()
    return {
        "answered": len(latencies),
        "failed": len(failures),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies + failures) * 1000, 1) if latencies or failures else None,
    }


def nginx(upstream_port: int):
    """nginx in front, buffering requests (its default), as README's production setup."""
    conf = Path(tempfile.mkdtemp()) / "nginx.conf"
    conf.write_text(
        f"""
daemon off; worker_processes 1; pid {conf.parent}/nginx.pid; error_log stderr error;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {conf.parent}; proxy_temp_path {conf.parent};
  upstream app {{ server 127.0.0.1:{upstream_port}; keepalive 16; }}
  server {{
    listen 127.0.0.1:{NGINX_PORT};
    client_header_timeout 5s; client_body_timeout 5s; client_max_body_size 16m;
    location / {{
      proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_request_buffering on;
    }}
  }}
}}
"""
    )
    server = subprocess.Popen(["nginx", "-c", str(conf)])
    time.sleep(0.5)
    return server


def measure(name: str, args: list[str], n: int, numbers: int, via_nginx: bool = False) -> dict:
    server = bench.serve(*args)
    proxy = nginx(bench.PORT) if via_nginx else None
    port = NGINX_PORT if via_nginx else bench.PORT
    try:
        row = {"config": name + (" behind nginx" if via_nginx else "")}
        for slow in SLOW_COUNTS:
            row[f"slow{slow}"] = slowloris(port, slow)
        path = "/callflows/8x8/call-action/"
        bench.wrk(path, 8, 3, n, numbers, port=port)  # warm-up
        row["throughput"] = bench.wrk(path, 8, bench.DURATION, n, numbers, port=port)
        print(json.dumps(row), flush=True)
        return row
    finally:
        if proxy:
            proxy.terminate()
            proxy.wait()
        server.terminate()
        server.wait()


def main():
    n = 1000
    numbers = bench.prepare(n)
    rows = [measure(name, args, n, numbers) for name, args in CONFIGS.items()]
    if os.environ.get("BENCH_NGINX"):
        rows.append(measure("sync, 3 workers", CONFIGS["sync, 3 workers"], n, numbers, True))
        rows.append(measure("shipped (gunicorn.conf.py)", [], n, numbers, True))
    head = f"{'configuration':<44}" + "".join(
        f" | {slow:>2} slow: ok/failed p50 max ms" for slow in SLOW_COUNTS
    )
    print(head + " | Call Action rps  p99 ms")
    print("-" * (len(head) + 25))
    for row in rows:
        cells = "".join(
            f" | {r['answered']:>4}/{r['failed']:<4} {r['p50_ms']!s:>6} {r['max_ms']!s:>7}   "
            for r in (row[f"slow{slow}"] for slow in SLOW_COUNTS)
        )
        t = row["throughput"]
        print(f"{row['config']:<44}{cells} | {t['rps']:>8} {t['p99_ms']:>7}")


if __name__ == "__main__":
    main()
