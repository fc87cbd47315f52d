from django.db import migrations

# Staff find a session by any part of its reference ("4242" finds "booking-4242"), which the
# admin asks as UPPER(reference::text) LIKE UPPER('%4242%'): no btree serves a leading %, so
# PostgreSQL read every session (3.4 s at a million, issue 28). A trigram index on the same
# expression serves it. PostgreSQL only (pg_trgm; a trusted extension since PostgreSQL 13, so the
# database's owner may create it); SQLite reads its few rows without one. Built CONCURRENTLY, so
# writes to sessions go on while it builds on a large table (hence a migration that is not atomic).
# Reversing drops the index and leaves the extension: something else may use it.
INDEX = "masking_session_reference_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON masking_maskingsession "
            "USING gin (UPPER(reference::text) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("masking", "0023_pools_granted_users"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]
