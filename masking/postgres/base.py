"""Django's PostgreSQL backend with client-side deadlines (README, "Never fail a caller").

PostgreSQL's `statement_timeout` is enforced by the server, so it cannot help when the server (or
the network to it) accepts a connection and then never answers: the client waits forever, and a
caller with it. Here the client keeps time itself. psycopg waits for every answer in
`Connection.wait()` and for a new connection in its connect generator; both are bounded by

- the deadline of the current request, when it set one (`masking.db.db_deadline`, the Call
  Action does), and
- `OPTIONS["answer_timeout"]` (seconds) for any single answer: the net under everything else
  (admin, API, events), far above the server's statement timeout, so that it only ever fires
  when the server is not answering at all.

A connection that missed a deadline is closed (its state is unknown) and Django opens a new one
on the next request. Set as `ENGINE = "masking.postgres"` by the settings.

The server-side timeouts of web requests (`OPTIONS["web_timeouts"]`) are set per connection, or per
transaction behind a transaction-pooling PgBouncer (`OPTIONS["transaction_pooling"]`):
masking/postgres/timeouts.py.
"""

from functools import cache
from time import monotonic

import psycopg
from django.db.backends.postgresql import base, creation, operations
from django.db.transaction import atomic
from psycopg import errors

from masking.db import time_left
from masking.postgres import timeouts

# psycopg checks for Ctrl-C this often while waiting; our deadlines are checked as often.
WAIT_INTERVAL = 0.1


class DeadlineExceeded(errors.OperationalError):
    """The database did not answer in time. An OperationalError, so Django treats it as one."""


class DeadlineConnection(psycopg.Connection):
    answer_timeout: float | None = None

    def wait(self, gen, interval=WAIT_INTERVAL, timeout=None):
        limits = [t for t in (timeout, self.answer_timeout, time_left()) if t is not None]
        if not limits:
            return super().wait(gen, interval, timeout)
        limit = min(limits)
        if limit <= 0:
            self._abandon()
            raise DeadlineExceeded("no time left for the database in this request")
        started = monotonic()
        try:
            return super().wait(gen, interval, limit)
        except errors.OperationalError:
            if monotonic() - started < limit:
                raise  # the server answered with an error, in time
            self._abandon()
            raise DeadlineExceeded(
                f"the database did not answer within {limit:.2f} s: connection closed"
            ) from None

    def _abandon(self):
        # A query may be in flight and its answer may still come: the connection can never be
        # trusted again. Closing the socket also makes every later use fail at once.
        self.pgconn.finish()

    @classmethod
    def _connect_gen(cls, conninfo=""):
        left = time_left()
        if left is None:
            return (yield from super()._connect_gen(conninfo))
        if left <= 0:
            raise DeadlineExceeded("no time left to connect to the database in this request")
        deadline = monotonic() + left
        gen = super()._connect_gen(conninfo)
        try:
            step = next(gen)
            while True:
                ready = yield step
                # psycopg resumes us at least every WAIT_INTERVAL while it waits.
                if monotonic() >= deadline:
                    gen.close()
                    raise DeadlineExceeded(f"could not connect to the database in {left:.2f} s")
                step = gen.send(ready)
        except StopIteration as done:
            return done.value


# PostgreSQL refuses to run a prepared statement whose result columns changed type since it was
# prepared (SQLSTATE 0A000). psycopg prepares a statement once it has run `prepare_threshold`
# times on a connection, and forgets its statements only after DDL, DISCARD or a rollback on that
# same connection: a migration run by another process (a deploy, while the app servers keep their
# persistent connections) left every later run of such a statement failing until the connection
# closed. On the Call Action that was an apology to every caller.
STALE_PLAN = "cached plan must not change result type"


@cache  # one class per cursor class, not one per connection
def _forgets_stale_plans(cursor_class):
    """`cursor_class`, its `execute` run once more, without the connection's prepared
    statements, when PostgreSQL says one is stale and no transaction is open. Outside a transaction
    the refused statement changed nothing; inside one, the transaction is lost anyway and its
    rollback makes psycopg forget the statements, so the next one succeeds."""

    class ForgetsStalePlans(cursor_class):
        def execute(self, query, params=None, **kwargs):
            try:
                return super().execute(query, params, **kwargs)
            except errors.FeatureNotSupported as exc:
                conn = self.connection
                if STALE_PLAN not in str(exc) or (
                    conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
                ):
                    raise
                # psycopg forgets its prepared statements when it runs this (its documented
                # cache maintenance), and the server drops them.
                conn.execute("DEALLOCATE ALL")
                return super().execute(query, params, **kwargs)

    ForgetsStalePlans.__name__ = ForgetsStalePlans.__qualname__ = cursor_class.__name__
    return ForgetsStalePlans


class _Psycopg:
    """The psycopg module as Django's backend uses it, connecting with DeadlineConnection."""

    connect = staticmethod(DeadlineConnection.connect)

    def __getattr__(self, name):
        return getattr(psycopg, name)


# The OPTIONS that limit web requests, which jobs (creating the test database, flushing) drop.
WEB_LIMITS = ("options", "answer_timeout", "web_timeouts")


class DatabaseCreation(creation.DatabaseCreation):
    """Creating and dropping the test database are jobs, not web requests: no statement timeout
    (under load, CREATE DATABASE alone takes longer than the web's 300 ms)."""

    def _without_web_timeouts(self, method, *args, **kwargs):
        options = self.connection.settings_dict["OPTIONS"]
        saved = {key: options.pop(key) for key in WEB_LIMITS if key in options}
        self.connection.close()
        try:
            return method(*args, **kwargs)
        finally:
            options.update(saved)
            self.connection.close()

    def create_test_db(self, *args, **kwargs):
        return self._without_web_timeouts(super().create_test_db, *args, **kwargs)

    def destroy_test_db(self, *args, **kwargs):
        return self._without_web_timeouts(super().destroy_test_db, *args, **kwargs)


class DatabaseOperations(operations.DatabaseOperations):
    def execute_sql_flush(self, sql_list):
        # `flush` (tests between transactional cases) is a job too.
        with atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0")
            for sql in sql_list:
                cursor.execute(sql)


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Psycopg()
    creation_class = DatabaseCreation
    ops_class = DatabaseOperations

    def get_connection_params(self):
        params = super().get_connection_params()
        params.pop("answer_timeout", None)  # ours, not libpq's
        web_timeouts = params.pop("web_timeouts", None)
        pooled = params.pop("transaction_pooling", False)
        cursor_factory = _forgets_stale_plans(params["cursor_factory"])
        if pooled:
            # Statements prepared on one server connection do not exist on the next (PgBouncer
            # before 1.21); client-side binding never prepares, and sends the SET LOCALs with
            # the statement in one query string.
            params["prepare_threshold"] = None
            if web_timeouts:
                cursor_factory = timeouts.per_transaction(
                    params["cursor_factory"], timeouts.set_local(web_timeouts)
                )
        elif web_timeouts:
            params["options"] = timeouts.startup_options(web_timeouts, params.get("options", ""))
        params["cursor_factory"] = cursor_factory
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.answer_timeout = self.settings_dict["OPTIONS"].get("answer_timeout")
        return connection
