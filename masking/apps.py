from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MaskingConfig(AppConfig):
    name = "masking"
    verbose_name = _("Number masking")

    def ready(self):
        from masking import checks  # noqa: F401  (registers the deploy checks)
        from masking.privacy import redact_every_handler

        redact_every_handler()
        post_migrate.connect(_ensure_feed_stamps, sender=self)


def _ensure_feed_stamps(sender, using, **kwargs):
    from masking.changes import ensure_stamps

    ensure_stamps(using=using)
