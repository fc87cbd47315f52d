"""PIN access's defences against guessing: wrong PINs, and the lockouts they lead to.

A wrong PIN counts against the phone that keyed it (a per-caller lockout after
MASKING_PIN_LOCK_AFTER of them), and against the number it was keyed on (a pause of PIN entry for
every phone not in a session on it after MASKING_PIN_NUMBER_CEILING), each within
MASKING_PIN_WINDOW_MINUTES. Participants calling from their own phones never key a PIN, so no
lockout reaches them. Written by `masking.services.pin_access`; README, "Keypad flows".
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masking.privacy import mask, personal_number

# The bucket of wrong PINs from callers whose ID 8x8 withheld or we could not read ("anonymous",
# "Restricted", blank, a short code): one phone for the lockouts, so hiding the caller ID buys a
# guesser nothing. Not "": that is a number-wide lockout's scope.
WITHHELD_CALLER = "withheld"


def pin_caller(caller: str | None) -> str:
    """The scope a caller's wrong PINs count in: their number (E.164) or the withheld bucket.
    The count (masking.services.pin_access) and the Call Action's read (masking.selectors) both
    name callers by it, so a lockout written is a lockout enforced."""
    return caller or WITHHELD_CALLER


class PinFailure(models.Model):
    """One wrong PIN keyed on a virtual number, counted once however often 8x8 delivers it."""

    virtual_number = models.ForeignKey(
        "masking.VirtualNumber",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("virtual number"),
    )
    caller = models.CharField(
        _("caller"), max_length=32, help_text=_("The phone that keyed it, as 8x8 sent it.")
    )
    provider_session_id = models.CharField(_("provider session id"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("wrong PIN")
        verbose_name_plural = _("wrong PINs")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["virtual_number", "caller", "at"], name="masking_pinfail_caller"),
            models.Index(fields=["virtual_number", "at"], name="masking_pinfail_number"),
        ]

    def __str__(self):
        return f"Wrong PIN from {mask(self.caller)}"


class PinLockoutQuerySet(models.QuerySet):
    def active(self, now: datetime | None = None):
        """Lockouts refusing PIN entry right now: not cleared by staff, not yet over."""
        return self.filter(cleared_at__isnull=True, locked_until__gt=now or timezone.now())

    def of_callers(self):
        return self.exclude(caller="")

    def of_numbers(self):
        """Pauses of PIN entry for every phone not in a session on the number."""
        return self.filter(caller="")


class PinLockout(models.Model):
    """PIN entry refused on a virtual number until `locked_until`: for one caller, or, when
    `caller` is empty, for every phone not in a session on the number (a guesser rotating caller
    IDs). Staff may clear it early; the audit trail says who did."""

    virtual_number = models.ForeignKey(
        "masking.VirtualNumber",
        on_delete=models.CASCADE,
        related_name="pin_lockouts",
        verbose_name=_("virtual number"),
    )
    caller = personal_number(
        models.CharField(
            _("caller"),
            max_length=32,
            blank=True,
            help_text=_("The phone refused. Empty: every phone not in a session on the number."),
        )
    )
    wrong_pins = models.PositiveIntegerField(
        _("wrong PINs"), help_text=_("Wrong PINs counted in the window when it locked.")
    )
    locked_at = models.DateTimeField(_("locked at"), default=timezone.now)
    locked_until = models.DateTimeField(_("locked until"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cleared by"),
    )
    # The scope's latest lockout. A new one retires the previous (over or cleared) first, and the
    # database keeps one current lockout per scope: two requests that both reached a threshold
    # cannot both lock, whatever the code path.
    current = models.BooleanField(_("current"), default=True, editable=False)

    objects = PinLockoutQuerySet.as_manager()

    class Meta:
        verbose_name = _("PIN lockout")
        verbose_name_plural = _("PIN lockouts")
        ordering = ["-locked_at", "-id"]
        indexes = [
            # The Call Action's read asks "is PIN entry paused for this caller on this number?".
            models.Index(
                fields=["virtual_number", "caller", "locked_until"],
                condition=Q(cleared_at__isnull=True),
                name="masking_pinlockout_active",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(locked_until__gt=models.F("locked_at")),
                name="masking_pinlockout_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["virtual_number", "caller"],
                condition=Q(current=True),
                name="masking_pinlockout_one_current_per_scope",
            ),
        ]

    def __str__(self):
        who = mask(self.caller) if self.caller else _("every unknown phone")
        return f"PIN entry refused to {who} on {self.virtual_number.number}"

    @property
    def is_number_wide(self) -> bool:
        return not self.caller

    def state(self, now: datetime | None = None) -> str:
        if self.cleared_at is not None:
            return "cleared"
        return "active" if self.locked_until > (now or timezone.now()) else "over"
