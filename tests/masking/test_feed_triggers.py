"""Every followed table keeps its stamping triggers after `migrate`, whatever later migrations do.

On SQLite, Django rebuilds a table to alter it and its triggers are lost with the old table:
issue 30's session-rules migration did that to the sessions table after issue 29 had put the
triggers there, and the sessions feed went silent (new sessions never appeared). `migrate` now
ends by putting back any that are missing (`masking.changes.ensure_stamps`)."""

import pytest
from django.apps import apps
from django.db import connection

from masking.changes import _has_stamp_triggers, ensure_stamps, followed_models, remove_stamps

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_followed_tables_are_the_three_feeds():
    assert {m._meta.db_table for m in followed_models(apps)} == {
        "callflows_call",
        "masking_maskingsession",
        "masking_callback",
    }


@pytest.mark.parametrize("model", followed_models(apps), ids=lambda m: m._meta.label)
def test_after_migrate_every_followed_table_has_its_triggers(model):
    assert _has_stamp_triggers(connection, model._meta.db_table)


@pytest.mark.parametrize("model", followed_models(apps), ids=lambda m: m._meta.label)
def test_lost_triggers_are_put_back_and_stamp_again(model):
    table = model._meta.db_table
    with connection.schema_editor() as editor:
        remove_stamps(editor, [table])
    assert not _has_stamp_triggers(connection, table)

    assert ensure_stamps() == [table]
    assert _has_stamp_triggers(connection, table)
    assert ensure_stamps() == []  # nothing left to fix
