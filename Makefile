# The two commands of README: `make run` (install, migrate, demo data, serve with the task worker)
# and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The PostgreSQL the suite runs against the second time (trust authentication on this machine).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/masking
# A demo value so the webhooks answer locally; production sets its own (see .env.example).
DEMO_WEBHOOK_AUTH ?= Bearer demo-webhook-secret

.PHONY: install run test test-sqlite test-postgres test-pgbouncer lint bench bench-sessions bench-staff bench-exports

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed-dev

run: install
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true $(BIN)/python manage.py setup_staff_groups
	@echo "Admin: http://127.0.0.1:8000/admin/   Call Action: POST http://127.0.0.1:8000/callflows/8x8/call-action/ with 'Authorization: $(DEMO_WEBHOOK_AUTH)'"
	@# The task worker delivers callbacks (README, "Callbacks"); it stops when the server stops.
	DEBUG=true $(BIN)/python manage.py db_worker --no-reload -v0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=true WEBHOOK_AUTH_HEADER="$(DEMO_WEBHOOK_AUTH)" $(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# pytest on TEST_WORKERS processes, then the tests marked `serial` alone (.ci/pytest; README,
# "Tests").
TEST_WORKERS ?= 2
PYTEST := TEST_WORKERS=$(TEST_WORKERS) .ci/pytest $(BIN)/pytest

test-sqlite: install
	DATABASE_URL=sqlite:///$(CURDIR)/db-test.sqlite3 $(PYTEST)

test-postgres: install
	DATABASE_URL=$(PG_TEST_URL) $(PYTEST)

# The Call Action and API suites again, through a PgBouncer in transaction mode (README,
# "PgBouncer"), with a live gunicorn under load; on a database of this run's own. POOLED=false
# shows what the settings for a direct connection do behind it (every connection refused).
PGBOUNCER_TESTS ?= tests/pgbouncer tests/callflows/test_call_action.py \
	tests/callflows/test_round_trips.py tests/masking/api
PGBOUNCER_DB := masking_pgb_$(shell od -An -N4 -tx4 /dev/urandom | tr -d ' ')
# In one process by default: on two, beside its load test (2,000 Call Actions through gunicorn),
# 5 round-trip tests saw a third statement and the throttle test timed out (README, "Tests").
PGBOUNCER_WORKERS ?= 0
# Its test databases: the serial pass's and one per xdist worker (test_<name>_gw0, ...).
PGBOUNCER_TEST_DBS = test_$(PGBOUNCER_DB) \
	$(shell seq -f 'test_$(PGBOUNCER_DB)_gw%g' 0 $$(($(PGBOUNCER_WORKERS) - 1)))
test-pgbouncer: install
	PGBOUNCER_DROP_DATABASES="$(PGBOUNCER_DB) $(PGBOUNCER_TEST_DBS)" .ci/with-pgbouncer sh -c \
	    'DATABASE_URL=postgres://postgres@127.0.0.1:$$PGBOUNCER_PORT/$(PGBOUNCER_DB) \
	     DATABASE_TRANSACTION_POOLING=$${POOLED:-true} TEST_WORKERS=$(PGBOUNCER_WORKERS) \
	     .ci/pytest $(BIN)/pytest --reuse-db --durations=3 \
	     $(PGBOUNCER_TESTS)'

# The whole suite on SQLite, then on PostgreSQL, then its Call Action and API parts through
# PgBouncer, after the linters.
test: lint test-sqlite test-postgres test-pgbouncer

# Session creation on PostgreSQL with 1,000 numbers and 100,000 open sessions (README, "Benchmarks").
bench-sessions: install
	$(BIN)/python tests/benchmarks/bench_sessions.py

# Every staff page and export at 10,000 numbers, 1,000,000 sessions and 10,000,000 calls on
# PostgreSQL: server time and queries (README, "Benchmarks"). BENCH_KEEP=1 reuses the filled database.
bench-staff: install
	$(BIN)/python tests/benchmarks/bench_staff_pages.py

# The session, call and number exports at 5,000 rows, as a superuser and as Support (README,
# "Benchmarks"). Recreates the database BENCH_DB (masking_iexp by default).
bench-exports: install
	$(BIN)/python tests/benchmarks/bench_exports.py

# Load benchmark of the Call Action path at 1k to 1M sessions against the floor (README, "Benchmarks").
bench: install
	command -v wrk >/dev/null || (apt-get install -y -q wrk || sudo apt-get install -y -q wrk)
	$(BIN)/python tests/benchmarks/bench_call_action.py
