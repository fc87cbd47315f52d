from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from masking.voices import LANGUAGE_CHOICES, LANGUAGES, UNAVAILABLE_LANGUAGES, VOICE_PROFILE_CHOICES


def _catalog_condition() -> Q:
    condition = Q()
    for lang in LANGUAGES.values():
        condition |= Q(language=lang.code, voice_profile__in=lang.voice_profiles)
    return condition


class PromptQuerySet(models.QuerySet):
    def for_language(self, language: str, *, pool_id: int | None = None):
        """The prompts in `language` of `pool_id`'s own, or the deployment's (None)."""
        if pool_id is None:
            return self.filter(language=language, pool__isnull=True)
        return self.filter(language=language, pool_id=pool_id)

    def of_deployment(self):
        return self.filter(pool__isnull=True)


class Prompt(models.Model):
    """A spoken message for one purpose in one language, read by the provider's text-to-speech.

    A prompt is a pool's own, or (no pool) the deployment's, spoken on every pool's numbers where
    the pool has none of its own for that purpose and language (`masking.selectors.prompts_in`).

    Only the language and voice pairs of the provider's catalog (`masking.voices`) are accepted:
    the database refuses any other pair, so an invalid one can never reach a callflow.
    """

    class Purpose(models.TextChoices):
        CONNECTING = "connecting", _("connecting")
        RECORDING_NOTICE = "recording_notice", _("recording notice")
        CONSENT_REQUEST = "consent_request", _("recording consent request (press 1)")
        NO_SESSION = "no_session", _("no session")
        NOT_IN_SERVICE = "not_in_service", _("not in service")
        PIN_REQUEST = "pin_request", _("PIN request")
        WRONG_PIN = "wrong_pin", _("wrong PIN")
        APOLOGY = "apology", _("apology")
        GOODBYE = "goodbye", _("goodbye (after the last wrong PIN)")
        FALLBACK_LINE = "fallback_line", _("fallback line (before bridging to the support line)")

    pool = models.ForeignKey(
        "masking.Pool",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="prompts",
        verbose_name=_("pool"),
        help_text=_(
            "Whose callers hear it. Empty: the deployment's prompt, heard on every pool's numbers "
            "where the pool has none of its own for this purpose and language. Example: “Malaysia”."
        ),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="en")
    voice_profile = models.CharField(
        _("voice profile"),
        max_length=32,
        choices=VOICE_PROFILE_CHOICES,
        default="generic-en-female",
        help_text=_(
            "A voice the language offers. Example: “generic-en-female”. Chinese, Hindi, "
            "Norwegian, Romanian, Swedish, Thai, Turkish and Welsh have only a female voice."
        ),
    )
    text = models.TextField(
        _("text"),
        validators=[MaxLengthValidator(3000)],
        help_text=_(
            "What the caller hears, at most 3000 characters. "
            "Example: “Please hold while we connect your call.”"
        ),
    )
    repetition = models.PositiveSmallIntegerField(
        _("repetition"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("How many times the text is read, 1 to 3."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PromptQuerySet.as_manager()

    class Meta:
        verbose_name = _("prompt")
        verbose_name_plural = _("prompts")
        ordering = ["purpose", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "language"],
                condition=Q(pool__isnull=True),
                name="masking_prompt_one_per_purpose_language",
                violation_error_message=_(
                    "There is already a prompt for this purpose and language."
                ),
            ),
            models.UniqueConstraint(
                fields=["pool", "purpose", "language"],
                condition=Q(pool__isnull=False),
                name="masking_prompt_one_per_pool_purpose_language",
                violation_error_message=_(
                    "This pool already has a prompt for this purpose and language."
                ),
            ),
            models.CheckConstraint(
                condition=_catalog_condition(),
                name="masking_prompt_voice_in_catalog",
                violation_error_message=_("This voice profile is not offered for this language."),
            ),
            models.CheckConstraint(
                condition=Q(repetition__gte=1, repetition__lte=3),
                name="masking_prompt_repetition_1_to_3",
            ),
        ]

    def __str__(self):
        whose = f", {self.pool}" if self.pool_id else ""
        return f"{self.get_purpose_display()} ({self.language}{whose})"

    def clean(self):
        if self.language in UNAVAILABLE_LANGUAGES:
            raise ValidationError({"language": UNAVAILABLE_LANGUAGES[self.language]})
        lang = LANGUAGES.get(self.language)
        if lang and self.voice_profile not in lang.voice_profiles:
            raise ValidationError(
                {
                    "voice_profile": _("%(language)s offers only: %(voices)s.")
                    % {"language": lang.name, "voices": ", ".join(lang.voice_profiles)}
                },
                code="voice_not_in_catalog",
            )
