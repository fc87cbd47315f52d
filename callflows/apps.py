from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CallflowsConfig(AppConfig):
    name = "callflows"
    verbose_name = _("8x8 callflows")

    def ready(self):
        post_migrate.connect(_ensure_call_rollup, sender=self)


def _ensure_call_rollup(sender, using, **kwargs):
    from callflows.rollup import ensure_rollup

    ensure_rollup(using=using)
