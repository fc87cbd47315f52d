"""Change feeds: rows in the order their writes became visible, for a backend that syncs by cursor.

Neither an id nor a creation time follows commit order: both are taken before the transaction
commits, so a row committed after a reader's page can carry a smaller value than the page's last
row and would be skipped for good (issue 29: 114 of 10,391 calls missed by `since=`). So each
followed table carries two stamps, written by a database trigger on every insert and update
(every path: the ORM, `QuerySet.update`, the Call Action's raw upsert, benchmarks' raw SQL):

- `created_tx`: stamped on insert only: the feed of new rows (`after=`), each row once;
- `change_tx`: stamped on every write: the feed of changes (`updated_after=`), a row again each
  time it changes (an outcome, a recording, anonymisation, a delivery);
- `changed_at`: the time of the last write, shown to readers.

On PostgreSQL a stamp is the writing transaction's id (`pg_current_xact_id()`), and a feed only
returns rows whose transaction is older than the reading snapshot's xmin (every transaction
below it has ended): a row that becomes visible later has a larger stamp than everything
returned, so it lands after the cursor, never behind it. A long transaction holds the feed back
(rows come late, never never). On SQLite writers are serialized, whole transactions at a time, so
a counter (the table's largest stamp + 1) taken inside the write already follows commit order.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models.expressions import RawSQL

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION masking_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_tx := pg_current_xact_id()::text::bigint;
    ELSE
        NEW.created_tx := OLD.created_tx;
    END IF;
    NEW.change_tx := pg_current_xact_id()::text::bigint;
    NEW.changed_at := clock_timestamp();
    RETURN NEW;
END
$$;
"""
PG_TRIGGER = """
CREATE TRIGGER {table}_stamp_change BEFORE INSERT OR UPDATE ON {table}
FOR EACH ROW EXECUTE FUNCTION masking_stamp_change();
"""
_SQLITE_NEXT = "(SELECT coalesce(max(change_tx), 0) + 1 FROM {table})"
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
SQLITE_TRIGGERS = [
    f"""
CREATE TRIGGER IF NOT EXISTS {{table}}_stamp_insert AFTER INSERT ON {{table}} BEGIN
    UPDATE {{table}} SET created_tx = {_SQLITE_NEXT}, change_tx = {_SQLITE_NEXT},
        changed_at = {_SQLITE_NOW}
    WHERE id = NEW.id;
END;
""",
    # Not for the insert trigger's own UPDATE (the row has no stamp yet); this trigger's UPDATE
    # does not fire it again (SQLite's recursive_triggers is off).
    f"""
CREATE TRIGGER IF NOT EXISTS {{table}}_stamp_update AFTER UPDATE ON {{table}}
WHEN OLD.created_tx IS NOT NULL BEGIN
    UPDATE {{table}} SET created_tx = OLD.created_tx, change_tx = {_SQLITE_NEXT},
        changed_at = {_SQLITE_NOW}
    WHERE id = NEW.id;
END;
""",
]


def install_stamps(schema_editor, tables: list[str]) -> None:
    """For a migration: the triggers that stamp `tables`' rows, and stamps for existing rows."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(PG_TRIGGER.format(table=table))
            schema_editor.execute(f"UPDATE {table} SET id = id")  # noqa: S608 (our table names)
        elif vendor == "sqlite":
            for statement in SQLITE_TRIGGERS:
                schema_editor.execute(statement.format(table=table))
            # Existing rows: in id order, as they were created.
            schema_editor.execute(
                f"UPDATE {table} SET created_tx = id, change_tx = id"  # noqa: S608
            )


def ensure_stamps(*, using: str = "default") -> list[str]:
    """Put back the triggers of every followed table that lost them; the tables it fixed.

    SQLite cannot alter most of a column: Django rebuilds the table (a new one, rows copied,
    the old one dropped), and its triggers go with the old one, so any later migration of a
    followed table would silently stop the feeds. `migrate` ends with this (post_migrate,
    masking/apps.py), so no migration has to remember. PostgreSQL keeps triggers through ALTER
    TABLE; there it only checks."""
    from django.apps import apps
    from django.db import connections

    connection = connections[using]
    existing = set(connection.introspection.table_names())
    fixed = []
    with connection.schema_editor() as editor:
        for model in followed_models(apps):
            table = model._meta.db_table
            if table not in existing:
                continue
            with connection.cursor() as cursor:
                columns = {
                    c.name for c in connection.introspection.get_table_description(cursor, table)
                }
            if not {"created_tx", "change_tx", "changed_at"} <= columns:
                continue  # migrated back to before the feeds
            if not _has_stamp_triggers(connection, table):
                install_triggers(editor, table)
                fixed.append(table)
    return fixed


def followed_models(apps) -> list:
    """Every model that declares the stamp columns (`stamp_fields`)."""
    return [
        model
        for model in apps.get_models()
        if {"created_tx", "change_tx", "changed_at"}
        <= {field.name for field in model._meta.concrete_fields}
    ]


def _has_stamp_triggers(connection, table: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
                [table, f"{table}_stamp_change"],
            )
            return cursor.fetchone()[0] == 1
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                "AND name IN (%s, %s)",
                [table, f"{table}_stamp_insert", f"{table}_stamp_update"],
            )
            return cursor.fetchone()[0] == 2
    return True


def install_triggers(schema_editor, table: str) -> None:
    """The stamping triggers of one table (no backfill: its rows keep the stamps they have)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute(PG_TRIGGER.format(table=table))
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement.format(table=table))


def remove_stamps(schema_editor, tables: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_change ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_insert")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_update")


def stamp_fields() -> dict[str, models.Field]:
    """The three columns a followed model declares (filled by the database, never by Django)."""
    return {
        "created_tx": models.BigIntegerField(
            "created in",
            null=True,
            editable=False,
            help_text="Stamp of the transaction that inserted the row (masking/changes.py). "
            "Example: 48213.",
        ),
        "change_tx": models.BigIntegerField(
            "last changed in",
            null=True,
            editable=False,
            help_text="Stamp of the transaction that last wrote the row. Example: 48377.",
        ),
        "changed_at": models.DateTimeField(
            "last changed at",
            null=True,
            editable=False,
            help_text="When the row was last written. Example: 2026-03-02 09:17:42.",
        ),
    }


@dataclass(frozen=True)
class Position:
    """Where a reader is in a feed: the last row it was given."""

    tx: int
    id: int


CREATED, CHANGED = "created_tx", "change_tx"


def feed(queryset: models.QuerySet, *, column: str, after: Position | None) -> models.QuerySet:
    """`queryset` as a feed over `column` (CREATED or CHANGED), after `after`, in order."""
    if _vendor(queryset) == "postgresql":
        # Only transactions every one of which has ended (module docstring).
        queryset = queryset.filter(
            **{f"{column}__lt": RawSQL("pg_snapshot_xmin(pg_current_snapshot())::text::bigint", [])}
        )
    else:
        queryset = queryset.filter(**{f"{column}__isnull": False})
    if after is not None:
        # A row comparison: one range of the (stamp, id) index, where an OR of two conditions
        # is not (both databases speak it).
        table = queryset.model._meta.db_table
        queryset = queryset.extra(  # noqa: S610 (no user text: two integers, bound)
            where=[f'("{table}"."{column}", "{table}"."id") > (%s, %s)'],
            params=[after.tx, after.id],
        )
    return queryset.order_by(column, "id")


def _vendor(queryset: models.QuerySet) -> str:
    from django.db import connections

    return connections[queryset.db].vendor
