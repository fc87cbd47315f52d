from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


class CallflowsConfig(AppConfig):
    name = "callflows"
    verbose_name = _("8x8 callflows")

    def ready(self):
        pre_migrate.connect(_lift_sqlite_rollup, sender=self)
        post_migrate.connect(_ensure_call_rollup, sender=self)


def _lift_sqlite_rollup(sender, using, **kwargs):
    """SQLite: migrations run without the roll-up's triggers. Django alters a SQLite table by
    building a new one and renaming it over the old, and SQLite refuses that rename while a
    trigger names the table (masking 0031 on `masking_pool`: "error in trigger
    callflows_call_rollup_insert: no such table: main.masking_pool"). `ensure_rollup`, after the
    migration, finds them missing, puts them back and sums the roll-up again."""
    from django.db import connections

    from callflows.rollup import remove_sql

    connection = connections[using]
    if connection.vendor != "sqlite":
        return  # PostgreSQL's triggers name functions, which ALTER TABLE leaves alone
    with connection.cursor() as cursor:
        for statement in remove_sql("sqlite"):
            cursor.execute(statement)


def _ensure_call_rollup(sender, using, **kwargs):
    from callflows.rollup import ensure_rollup

    ensure_rollup(using=using)
