"""Database helpers shared by the services, and the deadlines web requests put on the database."""

from contextlib import contextmanager
from contextvars import ContextVar
from time import monotonic

from django.conf import settings
from django.db import connection

# Writes that queue behind each other on purpose (openings on one number) may wait longer than the
# web's statement timeout, which exists for the caller on the Call Action path, not for them.
WRITE_TIMEOUT_MS = 5000

# When (time.monotonic()) the current request's database work must be over, if it has a deadline.
# Read by the PostgreSQL backend (masking.postgres) on every connect and every wait for an answer.
_deadline: ContextVar[float | None] = ContextVar("db_deadline", default=None)


def relax_statement_timeout(ms: int = WRITE_TIMEOUT_MS) -> None:
    """Inside a transaction on PostgreSQL: allow its statements, and their waits for locks, `ms`
    milliseconds each (the web's timeouts, masking/postgres/timeouts.py, are shorter)."""
    if connection.vendor == "postgresql" and settings.DATABASES["default"].get("OPTIONS", {}).get(
        "web_timeouts"
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, true), "
                "set_config('lock_timeout', %s, true)",
                [str(ms), str(ms)],
            )


@contextmanager
def db_deadline(seconds: float):
    """Inside: the database has `seconds` from now for everything (connecting, every answer).

    Past it, each database call fails at once with OperationalError, and a connection caught
    waiting is closed, whatever the server does: the server's statement timeout cannot help when
    the server itself does not answer. Nested deadlines keep the earlier one.
    """
    deadline = monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(deadline if current is None else min(current, deadline))
    try:
        yield
    finally:
        _deadline.reset(token)
        _forget_closed_connection()


def _forget_closed_connection() -> None:
    """Let Django drop a connection a deadline closed, so the next query opens a new one. (Django
    would at the end of the request; this also serves whatever runs before that.)"""
    raw = connection.connection
    if raw is not None and getattr(raw, "closed", False) and not connection.in_atomic_block:
        connection.close()


def time_left() -> float | None:
    """Seconds left before the current deadline (maybe negative), or None without one."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - monotonic()


def skip_health_check() -> None:
    """Skip Django's health check of a persistent connection for this request.

    With CONN_HEALTH_CHECKS, Django sends a `SELECT 1` of its own before the first query of every
    request: a third round trip on the Call Action, whose two statements are all it needs. The
    Call Action skips it and relies on `replace_dead_connection` instead, which costs a round
    trip only when a query has failed. Other pages keep the check.
    """
    if connection.connection is not None:
        connection.health_check_done = True


def replace_dead_connection() -> bool:
    """After a database error outside a transaction: if the connection is dead (the server
    restarted, a proxy dropped it), close it so the next query opens a new one. True if it did."""
    if connection.connection is None or connection.in_atomic_block or connection.is_usable():
        return False
    connection.close()
    return True
