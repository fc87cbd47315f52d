from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from masking.privacy import number_text


class AuditEntry(models.Model):
    """Who changed what on records people may ask about: recording consent and calls.

    Written by the services, so every path (admin, API, keypad, retention) leaves the same trail.
    `changes` names fields and their new values, never a full phone number.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        help_text=_("Empty when the system acted (8x8, the keypad, retention)."),
    )
    via = models.CharField(
        _("through"),
        max_length=20,
        help_text=_(
            "How the change came: admin, api (the business's backend), sweep (expired sessions "
            "closed), 8x8, keypad, retention or system (a command)."
        ),
    )
    action = models.CharField(_("what"), max_length=20, help_text=_("Example: “revoked”."))
    object_type = models.CharField(_("record type"), max_length=40)
    object_id = models.CharField(_("record id"), max_length=40)
    object_repr = models.CharField(_("record"), max_length=200)
    changes = number_text(models.JSONField(_("changes"), default=dict, blank=True))
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="masking_audit_object")]

    def __str__(self):
        return f"{self.action} {self.object_type} {self.object_id}"
