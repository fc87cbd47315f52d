from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Ceil, Coalesce
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from phonenumbers import region_code_for_number


class VirtualNumberQuerySet(models.QuerySet):
    def for_number(self, number):
        return self.filter(number=number)

    def allocatable(self):
        """Numbers that may take new sessions."""
        return self.filter(status=VirtualNumber.Status.ACTIVE)

    def in_service(self):
        """Numbers that still route calls for the sessions they hold."""
        return self.exclude(status=VirtualNumber.Status.RETIRED)

    def with_capacity(self):
        """Each number's `capacity`: its pool's, else the deployment's (`masking.pool_rules`)."""
        return self.annotate(
            capacity=Coalesce(
                "pool__number_capacity", models.Value(settings.MASKING_NUMBER_CAPACITY)
            )
        )

    def full(self):
        return self.with_capacity().filter(open_sessions__gte=models.F("capacity"))

    def needing_attention(self, *, near_full: float):
        """In service but unhealthy, or holding the share `near_full` of its pool's capacity."""
        return (
            self.in_service()
            .with_capacity()
            .filter(
                models.Q(status=VirtualNumber.Status.UNHEALTHY)
                | models.Q(open_sessions__gte=Ceil(models.F("capacity") * near_full))
            )
        )

    def bulk_create(self, objs, *args, **kwargs):
        """As `save()` does: a number given no pool joins the deployment's."""
        objs = list(objs)
        if any(number.pool_id is None for number in objs):
            pool = apps.get_model("masking", "Pool").objects.deployment()
            for number in objs:
                if number.pool_id is None:
                    number.pool = pool
        return super().bulk_create(objs, *args, **kwargs)


class VirtualNumber(models.Model):
    """A provider number in our pool. Callers dial it; it is the caller ID the other party sees.

    An *unhealthy* number (8x8 reports it degraded) keeps serving the sessions it already holds but
    gets no new ones; a *retired* number routes nobody.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        UNHEALTHY = "unhealthy", _("unhealthy")
        RETIRED = "retired", _("retired")

    number = PhoneNumberField(
        _("number"),
        unique=True,
        help_text=_("In international format. Example: “+6531500123”."),
    )
    label = models.CharField(
        _("label"),
        max_length=100,
        blank=True,
        help_text=_("A name staff recognise. Example: “Singapore riders 1”."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.ACTIVE,
        help_text=_(
            "Active: takes new sessions. Unhealthy: keeps the sessions it holds, takes no new "
            "ones. Retired: routes nobody, and retiring it ends every open session on it (you "
            "are shown them and asked first). Example: “active”."
        ),
    )
    provider_reference = models.CharField(
        _("provider reference"),
        max_length=100,
        blank=True,
        help_text=_(
            "The name 8x8 gives the number's range (its referenceId). Example: “sg-pool-a”."
        ),
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        editable=False,
        help_text=_("The number's country, worked out from the number. Example: “SG”."),
    )
    unlisted_since = models.DateTimeField(
        _("not listed by 8x8 since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When 8x8 stopped listing this number in our account. It takes no new sessions "
            "meanwhile; the sessions it holds keep working. Cleared when 8x8 lists it again."
        ),
    )
    pool = models.ForeignKey(
        "masking.Pool",
        on_delete=models.PROTECT,
        related_name="numbers",
        verbose_name=_("pool"),
        blank=True,
        help_text=_(
            "The 8x8 sub-account the number belongs to; its rules apply to calls on it. Empty: "
            "the deployment's pool."
        ),
    )
    open_sessions = models.PositiveIntegerField(
        _("open sessions"),
        default=0,
        editable=False,
        help_text=_(
            "How many open sessions use this number now. Example: 312 (of the 1,000 a number "
            "may hold: see the Settings page)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = VirtualNumberQuerySet.as_manager()

    class Meta:
        verbose_name = _("virtual number")
        verbose_name_plural = _("virtual numbers")
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} ({self.label})" if self.label else str(self.number)

    def save(self, *args, **kwargs):
        self.derive_country()
        if self.pool_id is None:
            self.pool = apps.get_model("masking", "Pool").objects.deployment()
        if not self._state.adding and kwargs.get("update_fields") is None:
            # Never write back `open_sessions` from memory: the session services change it in
            # SQL, and an admin edit of the label must not reset it to a stale value.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "open_sessions"
            ]
        super().save(*args, **kwargs)

    def derive_country(self) -> None:
        # The country is derived data, kept in a column so allocation can filter on it in SQL.
        self.country = region_code_for_number(self.number) or "" if self.number else ""

    def clean(self):
        """A number that has held sessions keeps its number, and a person's number is never ours.

        Renumbering would move open sessions to a new caller ID (and could make a participant's
        real number the caller ID the other side sees): retire the number and add a new one.
        Likewise a number holding open sessions keeps its pool.
        Checked here, so every path that writes the pool (admin, API, CSV import, 8x8's number
        events) refuses it through `full_clean()`.
        """
        super().clean()
        if not self.number:
            return
        if self.pk is not None:
            stored_number, stored_pool = VirtualNumber.objects.filter(pk=self.pk).values_list(
                "number", "pool_id"
            ).first() or (None, None)
            if stored_pool not in (None, self.pool_id) and self.sessions.open().exists():
                # No pool given is the deployment's (`save()`): a move only if it is another.
                pools = apps.get_model("masking", "Pool").objects
                moving = self.pool_id is not None or stored_pool != pools.deployment().pk
            else:
                moving = False
            if moving:
                # Its open sessions belong to its pool: that pool's backend opened them and
                # reads them, its staff keep them; moved, they would be the other pool's.
                raise ValidationError(
                    {
                        "pool": _(
                            "This number holds open sessions, so it stays in its pool until they "
                            "close (end them, or wait for them to expire)."
                        )
                    },
                    code="pool_move_open_sessions",
                )
            if str(stored_number) != str(self.number) and self.sessions.exists():
                raise ValidationError(
                    {
                        "number": _(
                            "This number has held masking sessions, so it cannot change: retire "
                            "it and add the new number instead."
                        )
                    },
                    code="renumbering",
                )
            if str(stored_number) == str(self.number):
                return
        participant = apps.get_model("masking", "Participant")
        if participant.objects.filter(number=self.number, session__status="open").exists():
            raise ValidationError(
                {
                    "number": _(
                        "This is a person's real number, paired in an open session: it cannot be "
                        "one of our virtual numbers."
                    )
                },
                code="participant_number",
            )
