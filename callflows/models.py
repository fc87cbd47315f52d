"""What happened on calls, as 8x8 reported it and as we answered it.

`Call` is one provider session (8x8 `sessionId`). The Call Action answer writes it in one statement
(`callflows.records.call_record_answer`); the session summary, status events and recording uploads
fill in the rest, in whatever order they arrive. `CallEvent` keeps every provider event once, raw,
for the timeline and for audits; `NumberEvent` keeps what 8x8 said about our numbers.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from callflows.reports import CallQuerySet
from masking.changes import stamp_fields
from masking.models import VirtualNumber
from masking.privacy import number_text, personal_number


class Call(models.Model):
    class Outcome(models.TextChoices):
        CONNECT = "connect", _("connected")
        NO_SESSION = "no_session", _("no session")
        NOT_IN_SERVICE = "not_in_service", _("not in service")
        APOLOGY = "apology", _("apology (failure)")
        ASK_PIN = "ask_pin", _("asked for a PIN")
        RETRY_PIN = "retry_pin", _("wrong PIN, asked again")
        PIN_FAILED = "pin_failed", _("wrong PIN, gave up")
        ASK_CONSENT = "ask_consent", _("asked for recording consent")
        PIN_LOCKED = "pin_locked", _("PIN entry paused")
        HANGUP = "hangup", _("follow-up, hung up")
        OTHER_ACCOUNT = "other_account", _("another 8x8 sub-account's call: not acted on")
        SESSION_RULE = "session_rule", _("turned away by a session rule")
        FALLBACK = "fallback", _("bridged to the fallback line")
        CONNECT_ONCE = "connect_once", _("bridged once, as the business asked")
        BUSINESS_PROMPT = "business_prompt", _("the business's prompt, hung up")
        REFUSED = "refused", _("refused by the business")

    class Status(models.TextChoices):
        COMPLETED = "COMPLETED", _("completed")
        NO_ANSWER = "NO_ANSWER", _("no answer")
        BUSY = "BUSY", _("busy")
        CANCELED = "CANCELED", _("canceled")
        FAILED = "FAILED", _("failed")
        ERROR = "ERROR", _("error")

    provider_session_id = models.CharField(
        _("provider session id"),
        max_length=200,
        unique=True,
        help_text=_("8x8's sessionId. Example: “5e9b7c20-8d1e-11ef-8b11-0242ac120002”."),
    )
    # --- what we answered (the Call Action) ---
    action_event_id = models.CharField(_("call action event id"), max_length=200, blank=True)
    virtual_number = models.CharField(_("virtual number dialled"), max_length=20, blank=True)
    pool = models.ForeignKey(
        "masking.Pool",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("pool"),
        db_index=False,  # indexed in Meta with the time, the order every list of a pool reads
        # No constraint in the database: its check locks the pool's row (FOR KEY SHARE) at each
        # call's insert, and every concurrent call of a pool would share that one row's lock.
        # Deleting a pool through Django empties this field (SET_NULL); the roll-up and the
        # reports read a call whose pool is gone as no pool's.
        db_constraint=False,
        help_text=_(
            "The pool whose number was dialled, when the call was first answered: the call stays "
            "in that pool's log and reports if the number later moves. Empty for a number that "
            "was no pool's then. Example: Singapore."
        ),
    )
    caller = personal_number(models.CharField(_("caller"), max_length=20, blank=True))
    masking_session = models.ForeignKey(
        "masking.MaskingSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
        verbose_name=_("masking session"),
    )
    outcome = models.CharField(
        _("our decision"), max_length=16, choices=Outcome.choices, blank=True
    )
    recorded = models.BooleanField(_("recording asked"), default=False)
    # db_default: writers of raw SQL (benchmarks, tests, other tools) that name no such column
    # still insert.
    recording_withheld = models.CharField(
        _("recording not asked because"),
        max_length=40,
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "Set when the session asked for recording but 8x8 could not "
            "record: no recording push configuration known (the call connected unrecorded)."
        ),
    )
    keypad_tries = models.PositiveSmallIntegerField(
        _("PIN tries"), default=0, help_text=_("How many PINs the caller has keyed on this call.")
    )
    answer = number_text(models.JSONField(_("callflow answered"), null=True, blank=True))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # --- from the session summary ---
    status = models.CharField(_("8x8's outcome"), max_length=12, choices=Status.choices, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    caller_seconds = models.PositiveIntegerField(_("caller leg seconds"), null=True, blank=True)
    callee_seconds = models.PositiveIntegerField(_("bridged leg seconds"), null=True, blank=True)
    caller_mos = models.FloatField(_("caller leg MOS"), null=True, blank=True)
    callee_mos = models.FloatField(_("bridged leg MOS"), null=True, blank=True)
    last_action = models.CharField(_("last action"), max_length=40, blank=True)
    error_code = models.IntegerField(_("error code"), null=True, blank=True)
    error_message = number_text(models.TextField(_("error message"), blank=True))
    summary_received_at = models.DateTimeField(_("summary received at"), null=True, blank=True)
    completed_reported_at = models.DateTimeField(
        _("call.completed written at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When `call.completed` was written for the business backend: once the call has both "
            "its session and 8x8's summary, whichever came last. Example: 2026-03-02 09:17:42."
        ),
    )
    # --- from the recording upload ---
    recording_id = models.CharField(_("recording id"), max_length=200, blank=True)
    recording_path = number_text(models.CharField(_("recording path"), max_length=500, blank=True))
    recording_seconds = models.PositiveIntegerField(_("recording seconds"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("first heard of"), auto_now_add=True, db_index=True)
    # Stamped by the database on every write, for the API's cursors (masking/changes.py).
    created_tx, change_tx, changed_at = stamp_fields().values()

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-created_at", "-id"]
        # Every index is paid for by each Call Action's insert: only those a query plan uses
        # (tests/callflows/test_indexes.py names the queries). `created_at` (db_index) serves
        # the call log's order, its dates, the reports, the dashboard and the API; this one a
        # number's calls in the log and in reports. No caller index: the whole-number search
        # is OR'd with the text search, which reads the table anyway. Django's `_like` copy of
        # the unique `provider_session_id` is dropped by migration 0007 (no LIKE on it).
        indexes = [
            models.Index(
                fields=["virtual_number", "created_at"], name="callflows_call_number_created"
            ),
            # Staff and API users given pools: their pools' calls, newest first.
            models.Index(fields=["pool", "created_at"], name="callflows_call_pool_created"),
            # The API's feeds (`after=`, `updated_after=`): every page one index range.
            models.Index(fields=["created_tx", "id"], name="callflows_call_created_feed"),
            models.Index(fields=["change_tx", "id"], name="callflows_call_change_feed"),
            # The call log's search (issue 28): a caller's calls, newest first; a recording by
            # its id, holding only recorded calls, so the Call Action's insert (recording id
            # empty) adds nothing to it.
            models.Index(fields=["caller", "created_at"], name="callflows_call_caller_created"),
            models.Index(
                fields=["recording_id"],
                condition=~Q(recording_id=""),
                name="callflows_call_recording",
            ),
        ]
        permissions = [
            ("view_recording_status", "Can see a call's recording status and location at 8x8")
        ]

    def __str__(self):
        return f"Call {self.provider_session_id}"

    def save(self, *args, **kwargs):
        # As the Call Action's write does (callflows.records): a call created with its number
        # takes that number's pool.
        if self._state.adding and self.pool_id is None and self.virtual_number:
            self.pool_id = (
                VirtualNumber.objects.filter(number=self.virtual_number)
                .values_list("pool_id", flat=True)
                .first()
            )
        super().save(*args, **kwargs)

    @property
    def talk_seconds(self) -> int:
        """Talk time: the bridged leg's connected seconds (0 when nobody was bridged)."""
        return self.callee_seconds or 0


class CallAction(models.Model):
    """One Call Action event (VCA) 8x8 sent us, stored once by its `eventId` with the answer given.

    A redelivery of the event, however late and however concurrent, gets this answer back and
    changes nothing: the call's record and the keypad effects (PIN lockouts, consent) follow only
    the delivery that stored the event. Written in the same statement as the call's record
    (`callflows.records.call_record_answer`).
    """

    event_id = models.CharField(
        _("event id"),
        max_length=200,
        help_text=_("8x8's eventId. Example: “b8e9c3a4-5e31-11ee-9f6b-0123456789ab”."),
    )
    call = models.ForeignKey(
        Call,
        to_field="provider_session_id",
        db_column="provider_session_id",
        on_delete=models.CASCADE,
        related_name="actions",
        verbose_name=_("call"),
        db_index=False,  # indexed in Meta, without Django's `_like` copy for text keys
    )
    outcome = models.CharField(_("our decision"), max_length=16, choices=Call.Outcome.choices)
    answer = number_text(models.JSONField(_("callflow answered"), null=True, blank=True))
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("call action")
        verbose_name_plural = _("call actions")
        ordering = ["answered_at", "id"]
        # Unique in Meta rather than `unique=True`: the same unique index (the upsert's ON
        # CONFLICT target) without Django's `_like` copy, which no query needs.
        constraints = [
            models.UniqueConstraint(fields=["event_id"], name="callflows_callaction_unique_event")
        ]
        # A call's actions: its page, and retention's anonymising join.
        indexes = [models.Index(fields=["call"], name="callflows_callaction_call")]

    def __str__(self):
        # Staff read this as the inline's title: the decision in words, as every page has it.
        words = dict(Call.Outcome.choices).get(self.outcome, self.outcome)
        return f"{self.event_id}: {words}"


class CallEvent(models.Model):
    """One provider event about a call, stored once (the dedupe key is unique), raw."""

    class Kind(models.TextChoices):
        STATUS = "status", _("call status (VCS)")
        SUMMARY = "summary", _("session summary (VSS)")
        RECORDING = "recording", _("recording uploaded (VRU)")

    dedupe_key = models.CharField(
        _("dedupe key"),
        max_length=220,
        unique=True,
        help_text=_("eventId, or “summary:<sessionId>”, or “recording:<recordingId>”."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="events", verbose_name=_("call")
    )
    leg = models.CharField(
        _("leg"),
        max_length=10,
        blank=True,
        help_text=_("INBOUND: the caller's leg. OUTBOUND: the leg to the person we bridged to."),
    )
    status = models.CharField(_("status"), max_length=40, blank=True)
    foreign_subaccount = models.CharField(
        _("sent for another sub-account"),
        max_length=60,
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "The subAccountId the event named when it is not the connected one "
            "(EIGHTX8_SUBACCOUNT_ID): stored, not acted on."
        ),
    )
    sip_code = models.IntegerField(_("SIP code"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    payload = number_text(models.JSONField(_("payload"), default=dict))
    # What 8x8 sent that we could not read, kept as sent in `payload` rather than refused
    # (a withheld caller's "anonymous", a number in no plan). Example: "source".
    unreadable = models.CharField(
        _("unreadable fields"),
        max_length=100,
        blank=True,
        help_text=_("Fields kept as 8x8 sent them, not understood. Example: “source”."),
    )

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        ordering = ["occurred_at", "received_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.status}"


class NumberEvent(models.Model):
    """What 8x8 said about one of our numbers, and what we changed because of it."""

    msisdn = models.CharField(_("number"), max_length=20, db_index=True)
    virtual_number = models.ForeignKey(
        "masking.VirtualNumber",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="provider_events",
        verbose_name=_("virtual number"),
    )
    update_type = models.CharField(
        _("update type"),
        max_length=10,
        help_text=_("SNAPSHOT: 8x8's whole list. UPDATES: changes only."),
    )
    operational_status = models.CharField(_("8x8 status"), max_length=20)
    status_before = models.CharField(_("our status before"), max_length=16, blank=True)
    status_after = models.CharField(_("our status after"), max_length=16, blank=True)
    reason = models.CharField(_("what we did"), max_length=200)
    foreign_subaccount = models.CharField(
        _("sent for another sub-account"),
        max_length=60,
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "The subAccountId the event named when it is not the connected one: not applied."
        ),
    )
    provider_updated_at = models.DateTimeField(_("8x8 updated at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    payload = number_text(models.JSONField(_("payload"), default=dict))

    class Meta:
        verbose_name = _("number event")
        verbose_name_plural = _("number events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(msisdn=""), name="callflows_numberevent_has_msisdn")
        ]

    def __str__(self):
        return f"{self.msisdn}: {self.operational_status}"


class ProviderConnection(models.Model):
    """What the last connect_8x8 learnt about the 8x8 sub-account that changes our callflows:
    the dialect its voice catalogue speaks, and whether it has somewhere to push recordings.
    One row (pk 1); none until connect_8x8 has read 8x8. Read on every call through a short
    per-process cache (`callflows.provider_state`)."""

    SINGLETON = 1

    dialect = models.CharField(
        _("dialect its voices speak"),
        max_length=8,
        blank=True,
        help_text=_("seed or current: what MASKING_CALLFLOW_DIALECT=auto uses."),
    )
    dialect_reason = models.CharField(_("why"), max_length=400, blank=True)
    recording_push = models.BooleanField(
        _("8x8 has a recording push configuration"),
        null=True,
        help_text=_("Empty: 8x8's configuration was never read."),
    )
    recording_push_described = models.CharField(
        _("recording push"), max_length=300, blank=True, help_text=_("Where 8x8 pushes files.")
    )
    read_at = models.DateTimeField(_("read from 8x8 at"))

    class Meta:
        verbose_name = _("8x8 connection")
        verbose_name_plural = _("8x8 connection")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="callflows_providerconnection_one_row"),
            models.CheckConstraint(
                condition=Q(dialect__in=["", "seed", "current"]),
                name="callflows_providerconnection_dialect",
            ),
        ]

    def __str__(self):
        return f"8x8 connection read at {self.read_at}"


class OutOfSessionAnswer(models.Model):
    """What the business answered when asked about a call from a phone in no session on the
    number (README, "Calls outside a session"), and how long it took. One per call asked."""

    class Answer(models.TextChoices):
        OPEN_SESSION = "open_session", _("open a session and connect")
        CONNECT = "connect", _("connect once, no session")
        PROMPT = "prompt", _("play a prompt")
        REFUSE = "refuse", _("refuse")
        TIMEOUT = "timeout", _("no answer in time")
        ERROR = "error", _("error")
        BAD_ANSWER = "bad_answer", _("bad answer")

    call = models.OneToOneField(
        Call,
        on_delete=models.CASCADE,
        related_name="out_of_session_answer",
        verbose_name=_("call"),
    )
    answer = models.CharField(
        _("business's answer"),
        max_length=12,
        choices=Answer.choices,
        help_text=_("What the business answered, or why there was no answer. Example: refuse."),
    )
    elapsed_ms = models.PositiveIntegerField(
        _("took (ms)"), help_text=_("From sending the request to reading the answer. Example: 52.")
    )
    detail = models.CharField(
        _("detail"),
        max_length=300,
        blank=True,
        help_text=_("Why there was no usable answer. Example: “HTTP 500”."),
    )
    opened_session = models.ForeignKey(
        "masking.MaskingSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session opened"),
        help_text=_("The session opened for this call, when the business asked for one."),
    )
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)

    class Meta:
        verbose_name = _("business's answer")
        verbose_name_plural = _("business's answers")

    def __str__(self):
        return f"{self.get_answer_display()} ({self.elapsed_ms} ms)"


# The roll-up the dashboard and the reports read (its own module: one concept a file).
from callflows.call_days import CallDay, CallNumberDay  # noqa: E402

__all__ = [
    "Call",
    "CallAction",
    "CallDay",
    "CallEvent",
    "CallNumberDay",
    "NumberEvent",
    "OutOfSessionAnswer",
    "ProviderConnection",
]
