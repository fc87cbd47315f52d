"""What the management API accepts and answers. Writes go through the services, not `save()`."""

from datetime import timedelta

from django.utils import timezone
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from callflows.callers import caller_role
from callflows.models import Call
from masking.api.fields import PersonalNumberField, PrivateModelSerializer, viewer
from masking.models import MaskingSession, RecordingOptIn, VirtualNumber
from masking.privacy import number_for


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


class SessionUpdateSerializer(ExpiryMixin):
    recording_requested = serializers.BooleanField(required=False)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)


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
            "created_at",
        ]
        read_only_fields = fields

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
