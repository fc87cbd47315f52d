"""Callbacks: what we tell the business backend happened, signed and delivered at least once.

A `Callback` is written in the same transaction as the change it reports (the outbox), so a
change that rolls back reports nothing and one that commits is never lost. A worker delivers it
(`masking.services.callbacks.callback_deliver`), retrying with growing delays over about a day.
"""

import base64
import secrets
import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masking.changes import stamp_fields
from masking.outbound import url_problem
from masking.privacy import number_text


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_secret(value: str) -> None:
    raw = value.removeprefix("whsec_")
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except ValueError:
        decoded = b""
    if len(decoded) < 24:
        raise ValidationError(
            _("A secret is “whsec_” followed by at least 24 random bytes in base64."),
            code="invalid_secret",
        )


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class CallbackEndpoint(models.Model):
    """Where the business backend listens, and the secret callbacks are signed with.

    One row. MASKING_CALLBACK_URL and MASKING_CALLBACK_SECRET in the environment, when set, win
    over it (`masking.services.callbacks.callback_endpoint`).
    """

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    url = models.URLField(
        _("callback URL"),
        max_length=500,
        help_text=_(
            "HTTPS address of the business backend. Example: “https://api.example.com/"
            "masking-events”."
        ),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=100,
        default=new_secret,
        validators=[validate_secret],
        help_text=_(
            "Standard Webhooks secret the receiver verifies signatures with. A new one "
            "is made for you; give it to the backend's developers."
        ),
    )
    previous_secret = models.CharField(
        _("previous signing secret"),
        max_length=100,
        blank=True,
        editable=False,
        help_text=_(
            "The secret before the last rotation: it signs too (a second signature) until "
            "the overlap ends, so receivers can switch without missing a callback."
        ),
    )
    previous_secret_until = models.DateTimeField(
        _("previous secret signs until"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("End of the rotation's overlap. Example: 2026-03-03 09:00 (a day later)."),
    )
    enabled = models.BooleanField(
        _("enabled"), default=True, help_text=_("Off: no callbacks are written or sent.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("callback endpoint")
        verbose_name_plural = _("callback endpoint")

    def __str__(self):
        return self.url

    def clean(self):
        # The same rules the transport applies when connecting (masking/outbound.py), told to
        # staff when they save; addresses are checked again at every connection.
        problem = url_problem(self.url) if self.url else None
        if problem:
            raise ValidationError({"url": f"The callback URL {problem}."})


class CallbackQuerySet(models.QuerySet):
    def due(self, now: datetime | None = None):
        """Callbacks a worker may take now: waiting and due, or taken by a worker whose lease
        ran out (it died mid-delivery)."""
        now = now or timezone.now()
        return self.filter(
            Q(status=Callback.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Callback.Status.DELIVERING, lease_until__lt=now)
        )


class Callback(models.Model):
    """One event for the business backend, with its delivery state."""

    class EventType(models.TextChoices):
        SESSION_OPENED = "session.opened", "session.opened"
        SESSION_CLOSED = "session.closed", "session.closed"
        CALL_COMPLETED = "call.completed", "call.completed"
        PIN_LOCKED = "pin.locked", "pin.locked"
        NUMBER_UNHEALTHY = "number.unhealthy", "number.unhealthy"

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        DELIVERING = "delivering", _("being delivered")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    webhook_id = models.CharField(
        _("webhook id"),
        max_length=40,
        unique=True,
        default=new_webhook_id,
        editable=False,
        help_text=_("Sent as “webhook-id” on every attempt: receivers dedupe by it."),
    )
    event_type = models.CharField(_("event"), max_length=20, choices=EventType.choices)
    session = models.ForeignKey(
        "masking.MaskingSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("session"),
    )
    pool = models.ForeignKey(
        "masking.Pool",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("pool"),
        help_text=_(
            "The pool of the session or number it reports: its callback endpoint, if it has one, "
            "receives it. Empty: the deployment's endpoint."
        ),
    )
    payload = number_text(models.JSONField(_("payload")))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"), default=timezone.now)
    lease_until = models.DateTimeField(
        _("worker's lease until"),
        null=True,
        blank=True,
        help_text=_("A worker is delivering it; if the worker dies, another takes over then."),
    )
    task_id = models.UUIDField(_("task"), null=True, blank=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = number_text(models.CharField(_("last error"), max_length=300, blank=True))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("happened at"), default=timezone.now, db_index=True)
    # Stamped by the database on every write, for the events API's cursors (masking/changes.py).
    created_tx, change_tx, changed_at = stamp_fields().values()

    objects = CallbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="masking_callback_due"),
            models.Index(fields=["created_tx", "id"], name="masking_callback_created_feed"),
            models.Index(fields=["change_tx", "id"], name="masking_callback_change_feed"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.webhook_id}"


class CallbackAttempt(models.Model):
    """One POST of a callback to the receiver, and what came of it."""

    callback = models.ForeignKey(
        Callback, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("callback")
    )
    number = models.PositiveSmallIntegerField(
        _("attempt"), help_text=_("Counted from 1 again after staff asked to redeliver.")
    )
    url = models.URLField(_("URL"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("at"))
    duration_ms = models.PositiveIntegerField(_("took (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = number_text(models.CharField(_("error"), max_length=300, blank=True))

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        ordering = ["callback", "started_at", "id"]

    def __str__(self):
        return f"attempt {self.number}: {self.status_code or self.error}"


class CallbackEndpointState(models.Model):
    """How a receiver's URL has been answering, and whether callbacks are still sent to it.

    An endpoint that answers `410 Gone` (it says it is gone for good), or fails every attempt for
    MASKING_CALLBACK_DISABLE_AFTER_HOURS, is disabled: events are still written (the events API
    lists them) but not sent, until staff enable it again; the backend then asks for what it
    missed (`POST /api/events/redeliver/`). Keyed by URL, so it serves an endpoint from the
    environment and one from the admin alike.
    """

    url = models.URLField(
        _("callback URL"),
        max_length=500,
        unique=True,
        help_text=_("Example: “https://api.example.com/masking-events”."),
    )
    failing_since = models.DateTimeField(
        _("failing since"),
        null=True,
        blank=True,
        help_text=_("First failed attempt since the last delivered one. Empty: answering."),
    )
    disabled_at = models.DateTimeField(
        _("disabled at"), null=True, blank=True, help_text=_("Empty: callbacks are sent.")
    )
    disabled_reason = models.CharField(
        _("why disabled"),
        max_length=200,
        blank=True,
        help_text=_("Example: “answered 410 Gone”."),
    )

    class Meta:
        verbose_name = _("callback endpoint state")
        verbose_name_plural = _("callback endpoint states")

    def __str__(self):
        return self.url
