"""gunicorn settings for masking: `gunicorn -c gunicorn.conf.py masking.wsgi`.

Production and the benchmarks serve with this file (README, "Serving in production"). Override a
value on the command line or with gunicorn's own GUNICORN_CMD_ARGS ("--workers=5"); both win over
this file.
"""

import os
import shutil
import tempfile

# Where to listen: GUNICORN_BIND ("127.0.0.1:8000", "0.0.0.0:8000" behind a proxy on another host,
# "unix:/run/masking/gunicorn.sock"), or --bind.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# This instance's own runtime directory, for its control socket and its workers' metrics: several
# instances on one host (two releases during a rolling upgrade, tests) must not share either.
# Under systemd, RuntimeDirectory=masking gives $RUNTIME_DIRECTORY (README's unit sets it);
# otherwise MASKING_RUNTIME_DIR, else a directory of this master process's own, removed at exit.
runtime_dir = os.environ.get("MASKING_RUNTIME_DIR") or os.environ.get("RUNTIME_DIRECTORY")
_own_runtime_dir = not runtime_dir
if _own_runtime_dir:
    runtime_dir = os.path.join(tempfile.gettempdir(), f"masking-gunicorn-{os.getpid()}")
os.makedirs(runtime_dir, mode=0o700, exist_ok=True)
# gunicorn's control socket (`gunicornc`): by default one per user ($HOME/.gunicorn/gunicorn.ctl),
# which every instance unlinks and takes over.
control_socket = os.path.join(runtime_dir, "gunicorn.ctl")
# prometheus-client's multiprocess mode: each worker writes its counters here and /metrics sums
# them (masking/metrics.py). Set before the workers import the client.
METRICS_DIR = os.path.join(runtime_dir, "metrics")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR

# Threaded workers: a connection is read by a thread of the pool, so clients sending their headers
# slowly hold threads, not whole workers, and Call Actions go on being answered. With sync workers,
# as many slow clients as workers stalled every call (tests/benchmarks/bench_slow_clients.py;
# figures in README). The reverse proxy in front still buffers requests: no number of threads
# outlasts a determined slowloris.
worker_class = "gthread"
# The Call Action is CPU-bound Python between two short database round trips: a worker per core
# this process may run on (not the host's count, in a container), plus one to overlap the waits,
# each with a few threads. Each thread keeps its own PostgreSQL connection (CONN_MAX_AGE): size
# max_connections for workers x threads x app servers.
workers = len(os.sched_getaffinity(0)) + 1
threads = 4

# The database work of a request is bounded by the project's own deadlines (the Call Action's at
# 1 s, any other single database answer at 10 s: masking/postgres/base.py). A worker silent for
# longer than this is stuck beyond them, and is replaced.
timeout = 30
graceful_timeout = 20
# 8x8 and the reverse proxy reuse connections: keep them open a little between requests.
keepalive = 5
backlog = 2048
# Request lines and headers are bounded (gunicorn's defaults, stated): nothing we serve needs more.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Recycle workers now and then, at different moments, so that no slow growth lives forever.
max_requests = 100_000
max_requests_jitter = 10_000

# Access log on stdout, with people's numbers redacted from request lines, query strings and
# referers (masking/gunicorn_logging.py); the error log likewise.
# GUNICORN_ACCESS_LOG="" turns it off (the load benchmark does: it measures the path, not the
# terminal; production's reverse proxy keeps its own access log).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = "info"
logger_class = "masking.gunicorn_logging.RedactingLogger"


def on_starting(server):
    # Counters of a previous run of this instance are not this run's.
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    os.makedirs(METRICS_DIR, mode=0o700)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_runtime_dir:
        shutil.rmtree(runtime_dir, ignore_errors=True)
