from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from masking.privacy import mask, personal_number


class RecordingOptInQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)

    def for_number(self, number):
        return self.filter(number=number)


class RecordingOptIn(models.Model):
    """A person's recorded consent to having their masked calls recorded.

    Consent belongs to the phone number, not to one session. Revoking keeps the row (who agreed,
    when, how, and when they withdrew) as the audit trail; a number may opt in again later.
    """

    class Method(models.TextChoices):
        ADMIN = "admin", _("recorded by staff")
        API = "api", _("through the API")
        KEYPAD = "keypad", _("pressed on the keypad")

    number = personal_number(
        PhoneNumberField(
            _("number"), help_text=_("The person's real number. Example: “+6591230001”.")
        )
    )
    method = models.CharField(_("how"), max_length=8, choices=Method.choices)
    opted_in_at = models.DateTimeField(_("opted in at"), default=timezone.now)
    evidence = models.CharField(
        _("evidence"),
        max_length=200,
        blank=True,
        help_text=_(
            "Where the consent was given. Example: “signed booking form 7731” or an 8x8 sessionId."
        ),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = RecordingOptInQuerySet.as_manager()

    class Meta:
        verbose_name = _("recording opt-in")
        verbose_name_plural = _("recording opt-ins")
        ordering = ["-opted_in_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(revoked_at__isnull=True),
                name="masking_optin_one_active_per_number",
                violation_error_message=_("This number has already opted in."),
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("opted_in_at")),
                name="masking_optin_revoked_after_opt_in",
            ),
        ]

    def __str__(self):
        state = "revoked" if self.revoked_at else "active"
        # Shown in admin history and messages, to any staff: masked (masking.privacy).
        return f"Recording opt-in {mask(self.number)} ({state})"
