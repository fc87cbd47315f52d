"""The web's server-side timeouts (statement and lock), on a direct connection or through a pooler.

PostgreSQL enforces `statement_timeout` and `lock_timeout`; they free a backend stuck behind a
lock even after the client gave up on it (README, "Never fail a caller"). Two ways to set them:

- **direct** (the default): once per connection, as the startup parameter `options`. It costs no
  round trip and prepared statements keep working.
- **through a transaction-pooling PgBouncer** (`DATABASE_TRANSACTION_POOLING=true`): a pooler
  refuses the `options` startup parameter (`FATAL: unsupported startup parameter: options`), and
  ignoring it (`ignore_startup_parameters`) silently drops the timeouts; session settings cannot
  be used either, since consecutive transactions of one client run on different server
  connections. So every transaction sets them itself with `SET LOCAL`, sent in the same query
  string as its first statement: one round trip, as before. PostgreSQL runs a multi-statement
  query string as one implicit transaction and applies the timeout to each statement in it.
  Multi-statement strings need the simple query protocol, hence client-side binding (Django's
  default cursor), which also means no prepared statements: PgBouncer before 1.21 (Debian 12 has
  1.18) cannot keep them across server connections anyway.

Inside a transaction the first statement carries the settings; statements after it inherit them,
and `masking.db.relax_statement_timeout` may raise them for the rest of that transaction.
"""

from functools import cache

import psycopg
from psycopg import sql

IDLE = psycopg.pq.TransactionStatus.IDLE


def startup_options(timeouts: dict[str, int], existing: str = "") -> str:
    """libpq's `options` carrying `timeouts` ({"statement_timeout": 300, ...}, milliseconds)."""
    flags = " ".join(f"-c {name}={ms}" for name, ms in timeouts.items())
    return f"{existing} {flags}".strip()


def set_local(timeouts: dict[str, int]) -> str:
    """The statements that set `timeouts` for the current transaction only."""
    return "".join(f"SET LOCAL {name} = {int(ms)}; " for name, ms in timeouts.items())


@cache  # one class per cursor class and settings, not one per connection
def per_transaction(cursor_class, prefix: str):
    """`cursor_class`, its statements prefixed with `prefix` (`set_local(...)`) whenever they
    start a transaction: in autocommit mode, every statement; in a transaction, the first."""
    prefix_bytes = prefix.encode()

    class PerTransactionTimeouts(cursor_class):
        def execute(self, query, params=None, **kwargs):
            if self.connection.pgconn.transaction_status != IDLE:
                return super().execute(query, params, **kwargs)
            if isinstance(query, sql.Composable):
                query = sql.SQL(prefix) + query
            elif isinstance(query, bytes):
                query = prefix_bytes + query
            else:
                query = prefix + query
            result = super().execute(query, params, **kwargs)
            # One result per SET before the statement's own: show the statement's.
            for _ in range(prefix.count(";")):
                self.nextset()
            return result

        def executemany(self, query, params_seq, **kwargs):
            # psycopg runs executemany in a pipeline, where a query string holds one statement:
            # the settings go first, in a transaction of their own if none is open (rare on web
            # paths: bulk writes are single INSERTs).
            conn = self.connection
            if conn.pgconn.transaction_status != IDLE:
                return super().executemany(query, params_seq, **kwargs)
            if not conn.autocommit:
                super().execute(prefix)
                return super().executemany(query, params_seq, **kwargs)
            with conn.transaction():
                super().execute(prefix)
                return super().executemany(query, params_seq, **kwargs)

    PerTransactionTimeouts.__name__ = PerTransactionTimeouts.__qualname__ = cursor_class.__name__
    return PerTransactionTimeouts
