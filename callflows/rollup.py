"""How the call roll-up (`callflows.call_days`) is kept exact: database triggers on the calls.

Why triggers, not the write path or a nightly job: a call's figures change after it is written,
by several paths in any order (the Call Action's raw upsert, which may come after 8x8's status
events created the call; 8x8's summary, which may come late, or twice; anonymisation; tests' and
benchmarks' raw SQL). A trigger sees every one of them with the row before (OLD) and after (NEW)
the write: it subtracts OLD's figures from OLD's key and adds NEW's to NEW's, in the writing
transaction. So a redelivery that changes nothing adds nothing, a late summary moves its call from
"no outcome yet" to its outcome on the day the call was first heard of, a rolled-back write rolls
back its figures, and the Call Action keeps its one round trip. A roll-up of closed days plus a
live query would still scan the open day's calls (a third of a million at 10,000,000 a month)
and would miss late summaries of closed days.

A call is counted under its own pool (`Call.pool`, the number's pool when the call was first
answered) and its own day: the key is read from the row itself, never from another table, so a
number moving to another pool, or added after its first calls, moves no figures, and each
subtraction finds the row its addition made. So a subtraction is an UPDATE, never an insert: it
cannot leave a row behind (`manage.py flush` on SQLite empties the tables in any order; a call
deleted after the roll-up and its pool once inserted a negative row naming a deleted pool, and the
flush failed on the foreign key).

The cost: per call write, one lookup of its pool's zone (by primary key) and two upserts.
Concurrent calls of one pool, day and decision wait on one roll-up row for the rest of their
transaction; the Call Action's transaction is its one statement.

A day is in the pool's time zone, else the deployment's: that zone is written into the trigger
when it is installed (`install_rollup`, by the migration). Every `migrate` checks the installed
text; if it is not this release's with this zone, it installs it and sums the roll-up again
(`ensure_rollup`); a pool's new zone sums that pool's days again (`rollup_rebuild(pool_ids=...)`):
days already summed cannot be moved to another zone otherwise.
On SQLite the day is Django's own function for TruncDate (`django_datetime_cast_date`, registered
on each of Django's connections), so the roll-up and the raw aggregate read the same days.
"""

import hashlib

from django.conf import settings
from django.db import connections, transaction

TABLES = ("callflows_callday", "callflows_callnumberday")
# A day's row of one decision and outcome is written by every call of the pool that day: one row
# would queue all of them (each waits for the previous writer's commit). The Call Action benchmark
# (c=8, one pool) fell from 617 to 338 rps with lock and statement timeouts on that row, losing
# answers' records. So each (pool, day, decision, outcome) is split in SHARDS rows by call id;
# every read sums them. A number's day stays one row: two calls to one number at once are rare.
SHARDS = 16
CHANGED = ("virtual_number", "pool_id", "created_at", "outcome", "status", "callee_seconds")


def _answered(row: str, sign: str) -> str:
    return (
        f"CASE WHEN {row}.outcome = 'connect' AND {row}.status = 'COMPLETED' "
        f"AND coalesce({row}.callee_seconds, 0) > 0 THEN {sign} ELSE 0 END"
    )


def _connected(row: str, sign: str) -> str:
    return f"CASE WHEN {row}.outcome = 'connect' THEN {sign} ELSE 0 END"


_ADD_DAY = """
INSERT INTO callflows_callday
    (pool_id, day, outcome, status, shard, calls, answered, talk_seconds)
{select}
ON CONFLICT ((coalesce(pool_id, 0)), day, outcome, status, shard) DO UPDATE SET
    calls = callflows_callday.calls + excluded.calls,
    answered = callflows_callday.answered + excluded.answered,
    talk_seconds = callflows_callday.talk_seconds + excluded.talk_seconds;
"""
# A subtraction: the row its addition made (the same key, from the same row), if it is there.
_SUB_DAY = """
UPDATE callflows_callday SET
    calls = calls + {sign}, answered = answered + {answered},
    talk_seconds = talk_seconds + {seconds}
WHERE coalesce(pool_id, 0) = coalesce({pool}, 0) AND day = {day} AND outcome = {row}.outcome
    AND status = {row}.status AND shard = {shard};
"""
_SUB_NUMBER_DAY = """
UPDATE callflows_callnumberday SET
    calls = calls + {sign}, connected = connected + {connected}, answered = answered + {answered},
    talk_seconds = talk_seconds + {seconds}
WHERE coalesce(pool_id, 0) = coalesce({pool}, 0) AND virtual_number = {row}.virtual_number
    AND day = {day};
"""
_ADD_NUMBER_DAY = """
INSERT INTO callflows_callnumberday
    (pool_id, virtual_number, day, calls, connected, answered, talk_seconds)
{select}
ON CONFLICT ((coalesce(pool_id, 0)), virtual_number, day) DO UPDATE SET
    calls = callflows_callnumberday.calls + excluded.calls,
    connected = callflows_callnumberday.connected + excluded.connected,
    answered = callflows_callnumberday.answered + excluded.answered,
    talk_seconds = callflows_callnumberday.talk_seconds + excluded.talk_seconds;
"""

# --- PostgreSQL: a call's key (its pool and day), then its figures added or subtracted. ---
_PG_KEY = """
CREATE OR REPLACE FUNCTION callflows_call_rollup_key(c callflows_call, OUT k_pool bigint,
    OUT k_day date) LANGUAGE plpgsql STABLE AS $$
DECLARE
    k_zone text;
BEGIN
    k_pool := c.pool_id;
    IF k_pool IS NOT NULL THEN
        SELECT nullif(p.operations_time_zone, '') INTO k_zone FROM masking_pool p
        WHERE p.id = k_pool;
    END IF;
    k_day := (c.created_at AT TIME ZONE coalesce(k_zone, {fallback}))::date;
END
$$;
"""
_PG_ADD = """
CREATE OR REPLACE FUNCTION callflows_call_rollup_{table}(c callflows_call, k_pool bigint,
    k_day date, p_sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    {guard}
    IF p_sign > 0 THEN
        {upsert}
    ELSE
        {subtract}
    END IF;
END
$$;
"""
# A call known with no number yet (8x8's events before the Call Action) is in a day's figures,
# not in a number's: all of them would otherwise queue on one row ('' that day), which the
# change feed's test of six concurrent writers saw as statement timeouts.
_PG_NO_NUMBER = "IF c.virtual_number = '' THEN RETURN; END IF;"
_PG_VALUES_DAY = (
    f"VALUES (k_pool, k_day, c.outcome, c.status, mod(c.id, {SHARDS}), p_sign, {{answered}}, "
    "p_sign * coalesce(c.callee_seconds, 0))"
)
_PG_VALUES_NUMBER_DAY = (
    "VALUES (k_pool, c.virtual_number, k_day, p_sign, {connected}, {answered}, "
    "p_sign * coalesce(c.callee_seconds, 0))"
)
# Every writer locks roll-up rows in one order: a number's day before a day, and of two rows of
# a table (a call moving from one key to another) the smaller key first. So two writers never
# wait on each other in a cycle (a deadlock would fail a Call Action).
_PG_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION callflows_call_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o_pool bigint;
    o_day date;
    n_pool bigint;
    n_day date;
    new_first_number boolean := false;
    new_first_day boolean := false;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT * INTO o_pool, o_day FROM callflows_call_rollup_key(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT * INTO n_pool, n_day FROM callflows_call_rollup_key(NEW);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        new_first_number := coalesce((coalesce(n_pool, 0), NEW.virtual_number, n_day)
            < (coalesce(o_pool, 0), OLD.virtual_number, o_day), false);
        new_first_day := coalesce((coalesce(n_pool, 0), n_day, NEW.outcome, NEW.status)
            < (coalesce(o_pool, 0), o_day, OLD.outcome, OLD.status), false);
    END IF;
    IF new_first_number THEN
        PERFORM callflows_call_rollup_callnumberday(NEW, n_pool, n_day, 1);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM callflows_call_rollup_callnumberday(OLD, o_pool, o_day, -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NOT new_first_number THEN
        PERFORM callflows_call_rollup_callnumberday(NEW, n_pool, n_day, 1);
    END IF;
    IF new_first_day THEN
        PERFORM callflows_call_rollup_callday(NEW, n_pool, n_day, 1);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM callflows_call_rollup_callday(OLD, o_pool, o_day, -1);
    END IF;
    IF TG_OP <> 'DELETE' AND NOT new_first_day THEN
        PERFORM callflows_call_rollup_callday(NEW, n_pool, n_day, 1);
    END IF;
    RETURN NULL;
END
$$;
"""
_PG_TRIGGERS = [
    "CREATE TRIGGER callflows_call_rollup_write AFTER INSERT OR DELETE ON callflows_call "
    "FOR EACH ROW EXECUTE FUNCTION callflows_call_rollup();",
    f"CREATE TRIGGER callflows_call_rollup_change AFTER UPDATE OF {', '.join(CHANGED)} "
    f"ON callflows_call FOR EACH ROW WHEN "
    f"(({', '.join('OLD.' + c for c in CHANGED)}) IS DISTINCT FROM "
    f"({', '.join('NEW.' + c for c in CHANGED)})) EXECUTE FUNCTION callflows_call_rollup();",
]
PG_TRIGGER_NAMES = ("callflows_call_rollup_write", "callflows_call_rollup_change")

# --- SQLite: no functions in SQL; each trigger adds or subtracts in its body. ---
_SQLITE_ZONE = """coalesce((SELECT nullif(p.operations_time_zone, '') FROM masking_pool p
    WHERE p.id = {row}.pool_id), {fallback})"""
_SQLITE_DAY = "django_datetime_cast_date({row}.created_at, {zone}, 'UTC')"
SQLITE_TRIGGER_NAMES = (
    "callflows_call_rollup_insert",
    "callflows_call_rollup_delete",
    "callflows_call_rollup_update",
)


_PG_SIGNED = "callflows_call_rollup()"
_PG_FUNCTIONS = [
    _PG_SIGNED,
    "callflows_call_rollup_key(callflows_call)",
    "callflows_call_rollup_callday(callflows_call, bigint, date, integer)",
    "callflows_call_rollup_callnumberday(callflows_call, bigint, date, integer)",
]


def _signature(statements: list[str]) -> str:
    """A short digest of the installing statements (a COMMENT on PostgreSQL's function, so its
    own text is left out)."""
    text = "\n".join(s for s in statements if not s.startswith("COMMENT"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sqlite_add(row: str, sign: str, fallback: str) -> str:
    pool = f"{row}.pool_id"
    day = _SQLITE_DAY.format(row=row, zone=_SQLITE_ZONE.format(row=row, fallback=fallback))
    seconds = f"{sign} * coalesce({row}.callee_seconds, 0)"
    if sign.startswith("-"):
        fill = {
            "sign": sign,
            "answered": _answered(row, sign),
            "connected": _connected(row, sign),
            "seconds": seconds,
            "pool": pool,
            "day": day,
            "row": row,
        }
        return _SUB_DAY.format(**fill, shard=f"{row}.id % {SHARDS}") + _SUB_NUMBER_DAY.format(
            **fill
        )
    # `WHERE true`: SQLite's parser needs it between a SELECT and ON CONFLICT.
    day_select = (
        f"SELECT {pool}, {day}, {row}.outcome, {row}.status, {row}.id % {SHARDS}, {sign}, "
        f"{_answered(row, sign)}, {seconds} WHERE true"
    )
    number_select = (
        f"SELECT {pool}, {row}.virtual_number, {day}, {sign}, {_connected(row, sign)}, "
        f"{_answered(row, sign)}, {seconds} WHERE {row}.virtual_number <> ''"
    )
    return _ADD_DAY.format(select=day_select) + _ADD_NUMBER_DAY.format(select=number_select)


def fallback_zone() -> str:
    return settings.MASKING_OPERATIONS_TIME_ZONE


def trigger_sql(vendor: str, *, fallback: str | None = None) -> list[str]:
    """The statements that install the roll-up's triggers, the deployment's zone written in."""
    zone = _quoted(fallback or fallback_zone())
    if vendor == "postgresql":
        add_day = _ADD_DAY.format(select=_PG_VALUES_DAY.format(answered=_answered("c", "p_sign")))
        add_number_day = _ADD_NUMBER_DAY.format(
            select=_PG_VALUES_NUMBER_DAY.format(
                connected=_connected("c", "p_sign"), answered=_answered("c", "p_sign")
            )
        )
        fill = {
            "sign": "p_sign",
            "answered": _answered("c", "p_sign"),
            "connected": _connected("c", "p_sign"),
            "seconds": "p_sign * coalesce(c.callee_seconds, 0)",
            "pool": "k_pool",
            "day": "k_day",
            "row": "c",
        }
        sub_day = _SUB_DAY.format(**fill, shard=f"mod(c.id, {SHARDS})")
        sub_number_day = _SUB_NUMBER_DAY.format(**fill)
        statements = [
            _PG_KEY.format(fallback=zone),
            _PG_ADD.format(table="callday", upsert=add_day, subtract=sub_day, guard=""),
            _PG_ADD.format(
                table="callnumberday",
                upsert=add_number_day,
                subtract=sub_number_day,
                guard=_PG_NO_NUMBER,
            ),
            _PG_TRIGGER_FUNCTION,
            *[f"DROP TRIGGER IF EXISTS {name} ON callflows_call" for name in PG_TRIGGER_NAMES],
            *_PG_TRIGGERS,
        ]
        # Which text is installed, for `ensure_rollup`.
        comment = f"COMMENT ON FUNCTION {_PG_SIGNED} IS '{_signature(statements)}'"
        return [*statements, comment]
    if vendor == "sqlite":
        columns = ", ".join(CHANGED)
        return [
            *[f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES],
            f"CREATE TRIGGER callflows_call_rollup_insert AFTER INSERT ON callflows_call BEGIN "
            f"{_sqlite_add('NEW', '1', zone)} END;",
            f"CREATE TRIGGER callflows_call_rollup_delete AFTER DELETE ON callflows_call BEGIN "
            f"{_sqlite_add('OLD', '-1', zone)} END;",
            # Not fired by the feed stamps' own UPDATE (masking/changes.py): other columns.
            f"CREATE TRIGGER callflows_call_rollup_update AFTER UPDATE OF {columns} "
            f"ON callflows_call BEGIN {_sqlite_add('OLD', '-1', zone)}"
            f"{_sqlite_add('NEW', '1', zone)} END;",
        ]
    return []


def remove_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            *[f"DROP TRIGGER IF EXISTS {name} ON callflows_call" for name in PG_TRIGGER_NAMES],
            *[f"DROP FUNCTION IF EXISTS {function}" for function in _PG_FUNCTIONS],
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGER_NAMES]
    return []


def _day_of_call(vendor: str, fallback: str) -> str:
    zone = f"coalesce(nullif(p.operations_time_zone, ''), {_quoted(fallback)})"
    if vendor == "postgresql":
        return f"(c.created_at AT TIME ZONE {zone})::date"
    return f"django_datetime_cast_date(c.created_at, {zone}, 'UTC')"


_REBUILD_DAY = """
INSERT INTO callflows_callday
    (pool_id, day, outcome, status, shard, calls, answered, talk_seconds)
SELECT c.pool_id, {day}, c.outcome, c.status, {shard}, count(*), sum({answered}),
    coalesce(sum(c.callee_seconds), 0)
FROM callflows_call c
LEFT JOIN masking_pool p ON p.id = c.pool_id
{where}
GROUP BY c.pool_id, {day}, c.outcome, c.status, {shard}
"""
_REBUILD_NUMBER_DAY = """
INSERT INTO callflows_callnumberday
    (pool_id, virtual_number, day, calls, connected, answered, talk_seconds)
SELECT c.pool_id, c.virtual_number, {day}, count(*), sum({connected}), sum({answered}),
    coalesce(sum(c.callee_seconds), 0)
FROM callflows_call c
LEFT JOIN masking_pool p ON p.id = c.pool_id
{numbered}
GROUP BY c.pool_id, c.virtual_number, {day}
"""


def rebuild_sql(vendor: str, *, pool_ids: list[int] | None = None) -> list[tuple[str, list]]:
    """Statements (with parameters) that sum the roll-up again from the calls: all of it, or the
    rows of `pool_ids` (after their time zone changed)."""
    fallback = fallback_zone()
    day = _day_of_call(vendor, fallback)
    if pool_ids is None:
        where, delete, params = "", "", []
    else:
        marks = ", ".join(["%s"] * len(pool_ids))
        where, delete, params = (
            f"WHERE c.pool_id IN ({marks})",
            f" WHERE pool_id IN ({marks})",
            list(pool_ids),
        )
    statements = []
    if vendor == "postgresql":
        # Call writes wait until the new figures commit: none is summed twice or missed.
        statements.append(("LOCK TABLE callflows_call IN SHARE MODE", []))
    statements += [(f"DELETE FROM {table}{delete}", params) for table in TABLES]  # noqa: S608
    fill = {"day": day, "where": where, "answered": _answered("c", "1")}
    # mod() on PostgreSQL (a % among parameters is a placeholder to psycopg); SQLite has `%`.
    fill["shard"] = f"mod(c.id, {SHARDS})" if vendor == "postgresql" else f"(c.id % {SHARDS})"
    statements += [
        (_REBUILD_DAY.format(**fill), params),
        (
            _REBUILD_NUMBER_DAY.format(
                **fill,
                connected=_connected("c", "1"),
                numbered=f"{where} {'AND' if where else 'WHERE'} c.virtual_number <> ''",
            ),
            params,
        ),
    ]
    return statements


def rollup_rebuild(*, pool_ids: list[int] | None = None, using: str = "default") -> None:
    """Sum the roll-up again from the calls (every pool, or `pool_ids`) in one transaction."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for sql, params in rebuild_sql(connection.vendor, pool_ids=pool_ids):
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            # The planner's figures for tables just filled (autovacuum comes later).
            cursor.execute(f"ANALYZE {', '.join(TABLES)}")


def install_rollup(schema_editor) -> None:
    """For a migration: the triggers, and the roll-up summed from the calls there are.

    On SQLite the triggers wait for the end of `migrate` (`ensure_rollup`, post_migrate): a
    later migration in the same run that alters a table they name (masking_pool) would fail
    on them (callflows/apps.py)."""
    vendor = schema_editor.connection.vendor
    if vendor != "sqlite":
        for statement in trigger_sql(vendor):
            schema_editor.execute(statement, params=None)
    rollup_rebuild(using=schema_editor.connection.alias)


def remove_rollup(schema_editor) -> None:
    for statement in remove_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def _is_current(connection) -> bool:
    """Whether the installed triggers are this release's, with this deployment's zone."""
    wanted = trigger_sql(connection.vendor)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT obj_description(to_regprocedure(%s), 'pg_proc'), "
                "(SELECT count(*) FROM pg_trigger WHERE tgname IN (%s, %s))",
                [_PG_SIGNED, *PG_TRIGGER_NAMES],
            )
            comment, triggers = cursor.fetchone()
            return comment == _signature(wanted) and triggers == len(PG_TRIGGER_NAMES)
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s) "
            "ORDER BY name",
            list(SQLITE_TRIGGER_NAMES),
        )
        installed = sorted(row[0] for row in cursor.fetchall())
        return installed == sorted(w.rstrip(";") for w in wanted if w.startswith("CREATE"))


def ensure_rollup(*, using: str = "default") -> bool:
    """After `migrate`: if the installed triggers are not this release's with this deployment's
    zone (SQLite drops a table's triggers when Django rebuilds it; the zone changed), install
    them and sum the roll-up again. True when it did. Current triggers are left alone: a
    deploy's `migrate` takes no lock on the calls."""
    connection = connections[using]
    existing = set(connection.introspection.table_names())
    if not {"callflows_call", *TABLES} <= existing:
        return False  # migrated back to before the roll-up
    with connection.cursor() as cursor:
        columns = {
            c.name for c in connection.introspection.get_table_description(cursor, "callflows_call")
        }
    if "pool_id" not in columns:
        return False  # migrated back to before calls kept their pool
    if _is_current(connection):
        return False
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for statement in trigger_sql(connection.vendor):
            cursor.execute(statement)
    rollup_rebuild(using=using)
    return True
