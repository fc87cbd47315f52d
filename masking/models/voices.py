from django.db import models
from django.utils.translation import gettext_lazy as _


class SpeechProfileQuerySet(models.QuerySet):
    def codes(self) -> frozenset[str]:
        """The catalogue as a set of codes; empty when it was never read (voices unchecked)."""
        return frozenset(self.values_list("code", flat=True))


class SpeechProfile(models.Model):
    """A voice the 8x8 sub-account offers (GET .../speech-profiles), as last read by connect_8x8.

    It is what `voiceProfile` may be in a callflow: 8x8 refuses any other code (-1002). An empty
    table means the catalogue was never read, and voices are unchecked.
    """

    code = models.CharField(
        _("speech profile code"),
        max_length=64,
        unique=True,
        help_text=_("8x8's speechProfileCode. Example: “en-US-ZiraRUS”."),
    )
    locale = models.CharField(
        _("locale"), max_length=16, blank=True, help_text=_("Example: “en-US”.")
    )
    description = models.CharField(_("locale description"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=8, blank=True, help_text=_("F or M."))
    read_at = models.DateTimeField(_("read from 8x8 at"))

    objects = SpeechProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("8x8 speech profile")
        verbose_name_plural = _("8x8 speech profiles")
        ordering = ["locale", "code"]
        permissions = [
            (
                "connect_8x8",
                "Can connect this deployment to 8x8 (webhooks, number pool, voice catalogue)",
            )
        ]

    def __str__(self):
        return self.code
