"""Each call keeps the pool that answered it (`Call.pool`): existing calls take their number's
pool as it is now.

The fill is one UPDATE over every call (minutes at 10,000,000 calls; `migrate` holds the table
meanwhile). The change feed's stamping trigger is held off while it runs: a column filled by the
migration is no change a backend following `updated_after=` must be sent again.
"""

import django.db.models.deletion
from django.db import migrations, models

from masking.changes import install_triggers

FILL = """
UPDATE callflows_call SET pool_id = (
    SELECT v.pool_id FROM masking_virtualnumber v WHERE v.number = callflows_call.virtual_number
)
WHERE virtual_number <> ''
"""


def fill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Deferred checks at once, not at commit: ALTER TABLE refuses a table with checks
        # pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("ALTER TABLE callflows_call DISABLE TRIGGER USER")
        schema_editor.execute(FILL)
        schema_editor.execute("ALTER TABLE callflows_call ENABLE TRIGGER USER")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        for name in ("callflows_call_stamp_insert", "callflows_call_stamp_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(FILL)
        install_triggers(schema_editor, "callflows_call")


class Migration(migrations.Migration):

    dependencies = [
        ("callflows", "0013_call_search_indexes"),
        ("masking", "0030_session_open_expiry_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="call",
            name="pool",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                help_text=(
                    "The pool whose number was dialled, when the call was first answered: the "
                    "call stays in that pool's log and reports if the number later moves. Empty "
                    "for a number that was no pool's then. Example: Singapore."
                ),
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="calls",
                to="masking.pool",
                verbose_name="pool",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="call",
            index=models.Index(fields=["pool", "created_at"], name="callflows_call_pool_created"),
        ),
    ]
