"""What the management API accepts and answers. Writes go through the services, not `save()`."""

from dataclasses import replace
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from callflows.callers import caller_role
from callflows.models import Call
from masking.api.fields import PersonalNumberField, PrivateModelSerializer, viewer
from masking.models import (
    Callback,
    CallbackAttempt,
    MaskingSession,
    RecordingOptIn,
    VirtualNumber,
)
from masking.privacy import number_for, numbers_in_text_for
from masking.session_rules import SessionRules, validate_time_zone


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a typo ("ttl" for "ttl_seconds") must not pass silently."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class ExpiryMixin(StrictSerializer):
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the pairing ends. Example: 2026-12-01T18:00:00Z.",
    )
    ttl_seconds = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=366 * 24 * 3600,
        help_text="Or: how long the pairing lasts from now, in seconds. Example: 7200.",
    )

    def validate(self, data):
        if "ttl_seconds" in data:
            if data.get("expires_at") is not None:
                raise serializers.ValidationError(
                    {"ttl_seconds": ["Give expires_at or ttl_seconds, not both."]}
                )
            data["expires_at"] = timezone.now() + timedelta(seconds=data.pop("ttl_seconds"))
        if data.get("expires_at") is not None and data["expires_at"] <= timezone.now():
            raise serializers.ValidationError({"expires_at": ["The expiry is in the past."]})
        return data


class NumberSlugField(serializers.SlugRelatedField):
    """A virtual number by its E.164 text. Anything but a string is refused before the database
    sees it (the fuzzer found a JSON object reaching the query)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class CallingHoursSerializer(StrictSerializer):
    start = serializers.TimeField(help_text="From this time of day. Example: 08:00.")
    end = serializers.TimeField(
        help_text="Until this time of day; earlier than start spans midnight. Example: 20:00."
    )
    time_zone = serializers.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA zone the hours are in. Example: Asia/Singapore.",
    )

    def validate(self, data):
        if data["start"] == data["end"]:
            raise serializers.ValidationError({"end": ["The end must differ from the start."]})
        return data


class SessionRulesSerializer(StrictSerializer):
    """A session's rules (README, "Session rules"). Each key left out keeps its value (on
    creation: the settings' default). A maximum call length is not offered: 8x8's makeCall
    takes none."""

    one_way = serializers.BooleanField(
        required=False, help_text="Only participant A may call B. Example: true."
    )
    calling_hours = CallingHoursSerializer(
        required=False,
        allow_null=True,
        help_text="Calls route only within this daily window; null: any hour.",
    )
    max_calls = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=100_000,
        help_text="After this many connected calls the session routes no more; null: no limit. "
        "Example: 3.",
    )


def rules_from(data: dict | None, *, base: SessionRules) -> SessionRules | None:
    """The rules `data` (a SessionRulesSerializer's) sets over `base`; None when not given."""
    if data is None:
        return None
    changes = {}
    if "one_way" in data:
        changes["one_way"] = data["one_way"]
    if "calling_hours" in data:
        hours = data["calling_hours"] or {}
        changes.update(
            calling_hours_start=hours.get("start"),
            calling_hours_end=hours.get("end"),
            calling_hours_time_zone=hours.get("time_zone", ""),
        )
    if "max_calls" in data:
        changes["max_calls"] = data["max_calls"]
    return replace(base, **changes)


def rules_data(rules: SessionRules) -> dict:
    hours = None
    if rules.calling_hours_start is not None and rules.calling_hours_end is not None:
        hours = {
            "start": rules.calling_hours_start.strftime("%H:%M"),
            "end": rules.calling_hours_end.strftime("%H:%M"),
            "time_zone": rules.calling_hours_time_zone,
        }
    return {"one_way": rules.one_way, "calling_hours": hours, "max_calls": rules.max_calls}


class SessionCreateSerializer(ExpiryMixin):
    participant_a = PersonalNumberField(help_text="A real number in E.164. Example: +6591230001.")
    participant_b = PersonalNumberField(help_text="The other real number. Example: +6591230002.")
    virtual_number = NumberSlugField(
        slug_field="number",
        queryset=VirtualNumber.objects.all(),
        required=False,
        allow_null=True,
        help_text="Leave out to let the service choose. Example: +6531500101.",
    )
    recording_requested = serializers.BooleanField(required=False, default=False)
    reference = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=100,
        help_text="Your own id for the pairing. Example: booking-7731.",
    )
    generate_pins = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Give each participant a PIN to call from any phone. The PINs are in this "
        "response only (pin_a, pin_b).",
    )
    rules = SessionRulesSerializer(required=False)


class SessionUpdateSerializer(ExpiryMixin):
    recording_requested = serializers.BooleanField(required=False)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)
    rules = SessionRulesSerializer(required=False)


class SessionSerializer(PrivateModelSerializer):
    virtual_number = serializers.CharField(source="virtual_number.number", read_only=True)
    participant_a = serializers.SerializerMethodField(
        help_text="E.164 for users allowed to see numbers in full, else masked: +65 9123 ••01."
    )
    participant_b = serializers.SerializerMethodField(
        help_text="E.164 for users allowed to see numbers in full, else masked: +65 9123 ••01."
    )
    state = serializers.SerializerMethodField(
        help_text="open, scheduled, expired or closed: whether it routes calls now."
    )
    rules = serializers.SerializerMethodField(
        help_text='{"one_way": false, "calling_hours": {"start": "08:00", "end": "20:00", '
        '"time_zone": "Asia/Singapore"} or null, "max_calls": 3 or null}'
    )

    class Meta:
        model = MaskingSession
        fields = [
            "id",
            "virtual_number",
            "participant_a",
            "participant_b",
            "status",
            "state",
            "recording_requested",
            "reference",
            "started_at",
            "expires_at",
            "closed_at",
            "close_reason",
            "rules",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SessionRulesSerializer)
    def get_rules(self, obj) -> dict:
        return rules_data(obj.rules)

    def _participant(self, obj, role) -> str | None:
        for participant in obj.participants.all():
            if participant.role == role:
                return number_for(participant.number, viewer(self))
        return None

    def get_participant_a(self, obj) -> str | None:
        return self._participant(obj, "a")

    def get_participant_b(self, obj) -> str | None:
        return self._participant(obj, "b")

    def get_state(self, obj) -> str:
        return obj.state()


class VirtualNumberSerializer(PrivateModelSerializer):
    number = PhoneNumberField(help_text="E.164. Example: +6531500101.")
    end_open_sessions = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Required (true) to retire a number that holds open sessions: retiring it ends "
        "them. Without it such a retirement is refused (400 naming `status`, with the count).",
    )

    class Meta:
        model = VirtualNumber
        fields = [
            "id",
            "number",
            "label",
            "status",
            "provider_reference",
            "country",
            "open_sessions",
            "created_at",
            "end_open_sessions",
        ]
        read_only_fields = ["country", "open_sessions", "created_at"]


class RecordingOptInSerializer(PrivateModelSerializer):
    number = PersonalNumberField(
        help_text="The person's real number. Example: +6591230001. Answered masked to users not "
        "allowed to see numbers in full."
    )

    class Meta:
        model = RecordingOptIn
        fields = ["id", "number", "method", "evidence", "opted_in_at", "revoked_at"]
        read_only_fields = ["method", "opted_in_at", "revoked_at"]
        # The one-active-per-number rule is checked by the service's full_clean(), with its message.
        validators = []


class CallSerializer(PrivateModelSerializer):
    """A call through one of our numbers: our decision, 8x8's outcome, times, and who called."""

    session = serializers.IntegerField(
        source="masking_session_id", read_only=True, allow_null=True, help_text="Its session."
    )
    reference = serializers.SerializerMethodField(help_text="The session's reference.")
    caller = serializers.SerializerMethodField(
        help_text="E.164 for users allowed to see numbers in full, else masked: +65 9123 ••01. "
        "Null once retention has anonymised the call."
    )
    caller_role = serializers.SerializerMethodField(
        help_text="Which participant called (a or b); null for a caller in no session."
    )
    decision = serializers.CharField(
        source="outcome",
        read_only=True,
        help_text="What we answered: connect, no_session, not_in_service, apology, ask_pin, ...",
    )
    outcome = serializers.SerializerMethodField(
        help_text="8x8's outcome from the session summary (COMPLETED, NO_ANSWER, BUSY, CANCELED, "
        "FAILED, ERROR); null until it arrives."
    )
    talk_seconds = serializers.IntegerField(
        read_only=True, help_text="Seconds the two people talked (0 if nobody was bridged)."
    )
    recorded = serializers.BooleanField(read_only=True, help_text="We asked 8x8 to record it.")
    recording_received = serializers.SerializerMethodField(
        help_text="8x8 reported the recording uploaded."
    )

    class Meta:
        model = Call
        fields = [
            "id",
            "session",
            "reference",
            "virtual_number",
            "caller",
            "caller_role",
            "decision",
            "outcome",
            "started_at",
            "ended_at",
            "talk_seconds",
            "recorded",
            "recording_received",
            "created_at",
        ]
        read_only_fields = fields

    def get_reference(self, obj) -> str | None:
        return obj.masking_session.reference if obj.masking_session_id else None

    def get_caller(self, obj) -> str | None:
        return number_for(obj.caller, viewer(self)) if obj.caller else None

    def get_caller_role(self, obj) -> str | None:
        if not obj.masking_session_id:
            return None
        participants = obj.masking_session.participants.all()
        return caller_role(caller=obj.caller, answer=obj.answer, participants=participants)

    def get_outcome(self, obj) -> str | None:
        return obj.status or None

    def get_recording_received(self, obj) -> bool:
        return bool(obj.recording_id)


class CallbackAttemptSerializer(serializers.ModelSerializer):
    """One POST of an event to the backend, and what came of it."""

    error = serializers.SerializerMethodField(help_text="Why it failed, numbers masked.")

    class Meta:
        model = CallbackAttempt
        fields = ["number", "started_at", "duration_ms", "status_code", "error"]

    def get_error(self, attempt) -> str:
        return numbers_in_text_for(attempt.error, viewer(self))


class EventSerializer(serializers.ModelSerializer):
    """An event the product sent (or is sending) to the business backend, as it was signed, with
    its delivery state: `webhook-id` is what the receiver dedupes by."""

    id = serializers.CharField(source="webhook_id", read_only=True, help_text="msg_9f0c2d6e...")
    type = serializers.CharField(source="event_type", read_only=True)
    payload = serializers.JSONField(read_only=True, help_text="The body POSTed, as signed.")
    last_error = serializers.SerializerMethodField(help_text="Numbers masked.")
    attempt_log = CallbackAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Callback
        fields = [
            "id",
            "type",
            "created_at",
            "status",
            "attempts",
            "next_attempt_at",
            "delivered_at",
            "last_status_code",
            "last_error",
            "payload",
            "attempt_log",
        ]

    def get_last_error(self, callback) -> str:
        return numbers_in_text_for(callback.last_error, viewer(self))


class RedeliverSerializer(StrictSerializer):
    """Which events to send again: a list of ids, or a time range (`since`, `until`)."""

    MAX = 1000

    ids = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=MAX,
        help_text='webhook-ids. Example: ["msg_9f0c2d6e5b8a4e1f9a3c7b2d1e0f4a5b"].',
    )
    since = serializers.DateTimeField(
        required=False, help_text="Events that happened from then on. Example: 2026-03-02T00:00Z."
    )
    until = serializers.DateTimeField(
        required=False, help_text="...and before then (default: now)."
    )

    def validate(self, data):
        if "ids" in data and ("since" in data or "until" in data):
            raise serializers.ValidationError({"ids": ["Either ids or a time range, not both."]})
        if "ids" not in data and "since" not in data:
            raise serializers.ValidationError({"since": ["Give ids or since (and until)."]})
        if "ids" in data and not data["ids"]:
            raise serializers.ValidationError({"ids": ["At least one id."]})
        until = data.get("until") or timezone.now()
        if "since" in data and data["since"] >= until:
            raise serializers.ValidationError({"until": ["until must be after since."]})
        return data


class RedeliveredSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="Events queued to be sent again.")
    being_delivered = serializers.ListField(
        child=serializers.CharField(), help_text="Ids being sent right now: left alone."
    )
