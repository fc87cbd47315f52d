from datetime import datetime

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from masking.changes import stamp_fields
from masking.privacy import mask, personal_number
from masking.session_rules import SessionRules, validate_time_zone
from masking.voices import LANGUAGE_CHOICES


class MaskingSessionQuerySet(models.QuerySet):
    def open(self):
        """Sessions not closed yet, whatever their times say."""
        return self.filter(status=MaskingSession.Status.OPEN)

    def closed(self):
        return self.filter(status=MaskingSession.Status.CLOSED)

    def live(self, now: datetime | None = None):
        """Open sessions that route calls right now: started and not expired."""
        now = now or timezone.now()
        return self.open().filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now), started_at__lte=now
        )

    def expired(self, now: datetime | None = None):
        """Open sessions whose expiry has passed: they route nobody, whether swept or not."""
        return self.open().filter(expires_at__lte=now or timezone.now())

    def scheduled(self, now: datetime | None = None):
        """Open sessions that have not started yet."""
        return self.open().filter(started_at__gt=now or timezone.now())

    def for_number(self, number):
        """Sessions where `number` is a participant or the virtual number."""
        return self.filter(
            Q(participants__number=number) | Q(virtual_number__number=number)
        ).distinct()


class MaskingSession(models.Model):
    """A pairing: two participants who reach each other through one virtual number.

    It routes calls from its start until it is closed or its expiry passes. The participants and
    their routing keys live in `Participant`, where the database keeps routing keys unique.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    class CloseReason(models.TextChoices):
        STAFF = "staff", _("ended by staff")
        API = "api", _("closed through the API")
        EXPIRED = "expired", _("expired")
        NUMBER_RETIRED = "number_retired", _("virtual number retired")

    virtual_number = models.ForeignKey(
        "masking.VirtualNumber",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("virtual number"),
    )
    recording_requested = models.BooleanField(
        _("recording requested"),
        default=False,
        help_text=_(
            "Record this pairing's calls once the people in it have agreed (see Recording "
            "opt-ins; who must agree is on the Settings page). Example: ticked for a disputed "
            "delivery."
        ),
    )
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        db_index=True,
        help_text=_("The business's own id for this pairing. Example: “booking-7731”."),
    )
    started_at = models.DateTimeField(
        _("starts at"),
        default=timezone.now,
        help_text=_("When calls through it may start. Example: now, or a booking's pickup time."),
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        help_text=_(
            "When calls through it stop. Example: the booking's end plus an hour. Leave empty "
            "for a session that lasts until someone ends it."
        ),
    )
    # Session rules (README, "Session rules"): each narrows when the pairing routes a call; a
    # call they turn away gets the no-session flow (or the fallback line), never the other party.
    # Defaults in the database too: rows inserted by code that predates the rules (servers
    # still running the previous release during a deploy, bulk COPY loads) get no rules.
    one_way = models.BooleanField(
        _("one-way"),
        default=False,
        db_default=False,
        help_text=_(
            "Only participant A may call B; B's calls get the no-session flow or the fallback "
            "line. Example: ticked for a courier (A) who calls the customer (B)."
        ),
    )
    calling_hours_start = models.TimeField(
        _("calls from"),
        null=True,
        blank=True,
        help_text=_(
            "Calls route only from this time of day (in the session's time zone). Example: "
            "08:00. Empty with “calls until” empty: any hour."
        ),
    )
    calling_hours_end = models.TimeField(
        _("calls until"),
        null=True,
        blank=True,
        help_text=_(
            "Calls route only before this time of day. Example: 20:00. Earlier than “calls "
            "from” spans midnight (22:00 to 06:00)."
        ),
    )
    calling_hours_time_zone = models.CharField(
        _("calling hours' time zone"),
        max_length=64,
        blank=True,
        default="",
        db_default="",
        validators=[validate_time_zone],
        help_text=_("IANA name of the zone the hours are in. Example: “Asia/Singapore”."),
    )
    max_calls = models.PositiveIntegerField(
        _("most connected calls"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "After this many calls bridged, the session routes no more. Example: 3. Empty: no "
            "limit."
        ),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(
        _("close reason"), max_length=16, choices=CloseReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Stamped by the database on every write, for the API's cursors (masking/changes.py).
    created_tx, change_tx, changed_at = stamp_fields().values()

    objects = MaskingSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("masking session")
        verbose_name_plural = _("masking sessions")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["created_tx", "id"], name="masking_session_created_feed"),
            models.Index(fields=["change_tx", "id"], name="masking_session_change_feed"),
            # The sessions list's order (newest first), its date drill-down and exports by day,
            # read from the index instead of sorting a million rows (issue 28, bench_staff_pages).
            models.Index(fields=["started_at", "id"], name="masking_session_started"),
            # The same for open sessions alone, a few among millions: the list's open, expiring,
            # scheduled and expired filters (their order, count and dates) and their exports.
            models.Index(
                fields=["started_at", "id"],
                condition=Q(status="open"),
                name="masking_session_open_started",
            ),
            # The open sessions that route nobody now (expired; those not yet started are read
            # through masking_session_open_started): the dashboard subtracts them from the
            # numbers' counters, and counts those expiring within the hour, from small ranges
            # instead of a million rows (issue 28). Partial: only open sessions are in it, so
            # closing one costs its entry, no more.
            models.Index(
                fields=["expires_at"],
                condition=Q(status="open"),
                name="masking_session_open_expiry",
            ),
        ]
        permissions = [
            # Filed with sessions, where an administrator granting session rights looks. Staff
            # without it see participants', callers' and opted-in numbers masked everywhere.
            (
                "view_full_numbers",
                "Can see people's phone numbers in full (admin pages, exports, API)",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("started_at")),
                name="masking_session_expires_after_start",
                violation_error_message=_("The expiry must be after the start."),
            ),
            models.CheckConstraint(
                condition=Q(calling_hours_start__isnull=True, calling_hours_end__isnull=True)
                | Q(
                    calling_hours_start__isnull=False,
                    calling_hours_end__isnull=False,
                    calling_hours_time_zone__gt="",
                ),
                name="masking_session_calling_hours_whole",
                violation_error_message=_(
                    "Calling hours need a start, an end and a time zone, or none of them."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(closed_at__isnull=True))
                | (Q(status="closed") & Q(closed_at__isnull=False)),
                name="masking_session_closed_at_matches_status",
            ),
        ]

    def __str__(self):
        label = self.reference or (f"#{self.pk}" if self.pk else "new")
        return f"Session {label} on {self.virtual_number.number}"

    @property
    def rules(self) -> SessionRules:
        return SessionRules(
            one_way=self.one_way,
            calling_hours_start=self.calling_hours_start,
            calling_hours_end=self.calling_hours_end,
            calling_hours_time_zone=self.calling_hours_time_zone,
            max_calls=self.max_calls,
        )

    def state(self, now: datetime | None = None) -> str:
        """What staff need at a glance: "open", "scheduled", "expired" or "closed"."""
        return session_state(
            status=self.status,
            started_at=self.started_at,
            expires_at=self.expires_at,
            now=now or timezone.now(),
        )


def session_state(
    *, status: str, started_at: datetime, expires_at: datetime | None, now: datetime
) -> str:
    """`MaskingSession.state` from its columns, for exports that read values, not instances."""
    if status == MaskingSession.Status.CLOSED:
        return "closed"
    if expires_at is not None and expires_at <= now:
        return "expired"
    if started_at > now:
        return "scheduled"
    return "open"


class Participant(models.Model):
    """One side of a masking session: a real phone number.

    `virtual_number` and `holds_routing_key` copy the session's number and openness so the
    database can enforce the routing key: among open sessions, a (virtual number, participant
    number) pair belongs to at most one session. That is what keeps two pairings' calls from ever
    crossing, whatever code path writes the rows.
    """

    class Role(models.TextChoices):
        A = "a", _("participant A")
        B = "b", _("participant B")

    session = models.ForeignKey(
        MaskingSession,
        on_delete=models.CASCADE,
        related_name="participants",
        verbose_name=_("session"),
    )
    role = models.CharField(_("role"), max_length=1, choices=Role.choices)
    number = personal_number(
        PhoneNumberField(
            _("number"), help_text=_("The person's real number. Example: “+6591230001”.")
        )
    )
    virtual_number = models.ForeignKey(
        "masking.VirtualNumber",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("virtual number"),
    )
    # Never the digits: a keyed hash (masking.pins.pin_hash), so nobody reading the database, a
    # page, an export or the API can learn a PIN. The digits are shown once, when issued.
    pin_hash = models.CharField(
        _("PIN (keyed hash)"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("Empty: no PIN access. Otherwise the PIN's keyed hash, never the PIN."),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        blank=True,
        choices=LANGUAGE_CHOICES,
        help_text=_("Prompts in this language when there are some; else by the number's country."),
    )
    holds_routing_key = models.BooleanField(
        _("reachable"),
        default=True,
        help_text=_(
            "Yes while the session is open: this person's calls to the virtual number reach the "
            "other person. No once it is closed."
        ),
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["session", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["virtual_number", "number"],
                condition=Q(holds_routing_key=True),
                name="masking_participant_unique_open_routing_key",
                violation_error_code="routing_key_taken",
                violation_error_message=_(
                    "This number is already paired on this virtual number in an open session."
                ),
            ),
            models.UniqueConstraint(
                fields=["session", "role"], name="masking_participant_one_per_role"
            ),
            # A PIN picks the session: among open sessions on one number it must be unique.
            models.UniqueConstraint(
                fields=["virtual_number", "pin_hash"],
                condition=Q(holds_routing_key=True) & ~Q(pin_hash=""),
                name="masking_participant_unique_open_pin",
                violation_error_code="pin_taken",
                violation_error_message=_("This PIN is already used on this virtual number."),
            ),
            models.UniqueConstraint(
                fields=["session", "number"],
                name="masking_participant_distinct_numbers",
                violation_error_message=_("The two participants must have different numbers."),
            ),
        ]
        indexes = [models.Index(fields=["number"], name="masking_participant_number")]

    def __str__(self):
        return f"{self.get_role_display()}: {mask(self.number)}"
