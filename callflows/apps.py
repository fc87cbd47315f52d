from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallflowsConfig(AppConfig):
    name = "callflows"
    verbose_name = _("8x8 callflows")
