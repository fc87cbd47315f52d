from django.db import migrations

# Staff find a session by any part of its reference ("4242" finds "booking-4242"), asked as
# UPPER(reference::text) LIKE UPPER('%4242%'), and staff who see numbers whole find one by any
# part of a participant's number (number::text LIKE '%9123%'). No btree serves a leading %, so
# PostgreSQL read every session (3.4 s at a million, issue 28) or every participant. A trigram
# index on each expression serves it. PostgreSQL only (pg_trgm, a trusted extension since
# PostgreSQL 13: the database's owner may create it); SQLite reads its few rows without one.
# Built CONCURRENTLY, so writes go on while they build on large tables (hence not atomic).
# Reversing drops the indexes and leaves the extension: something else may use it.
INDEXES = {
    "masking_session_reference_trgm": (
        "masking_maskingsession USING gin (UPPER(reference::text) gin_trgm_ops)"
    ),
    "masking_participant_number_trgm": "masking_participant USING gin ((number::text) gin_trgm_ops)",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, target in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {target}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("masking", "0027_pool_callback_endpoint"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes),
    ]
