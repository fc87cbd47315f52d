"""Reading 8x8's status, summary, recording and number events, tolerantly.

8x8's documents disagree on spellings (provider document, section 10); these serializers accept
every variant seen and hand the rest of the code one normal form: upper-case statuses with
underscores ("NO ANSWER" → "NO_ANSWER", "CANCELLED" → "CANCELED"), leg keys in lower case
(`callA`, `CallA` → "calla"), numbers or numeric strings for durations and codes. Unknown extra
fields are accepted; only what we act on is required.
"""

from rest_framework import serializers

from callflows.parsing import ProviderNumberField, readable_number

SESSION_STATUSES = ["COMPLETED", "NO_ANSWER", "BUSY", "CANCELED", "FAILED", "ERROR"]


def normal_status(value: str) -> str:
    status = value.strip().upper().replace(" ", "_").replace("-", "_")
    return "CANCELED" if status == "CANCELLED" else status


class StatusField(serializers.CharField):
    def __init__(self, *, choices=None, **kwargs):
        self.allowed = choices
        super().__init__(max_length=40, **kwargs)

    def to_internal_value(self, data):
        status = normal_status(super().to_internal_value(data))
        if self.allowed and status not in self.allowed:
            raise serializers.ValidationError(f"Unknown status {status[:40]!r}.")
        return status


# Every integer we keep sits in a 32-bit column (PostgreSQL `integer`): a value outside it is
# refused naming its field, never stored wrapped or cut.
INT32 = (-(2**31), 2**31 - 1)
# 8x8's ids are UUIDs; the columns that keep them (and the Call Action's check) allow 200.
ID_LENGTH = 200


class LenientInteger(serializers.IntegerField):
    """8x8 types some integers as strings in one document and numbers in another. Bounded by
    the 32-bit column it is stored in unless a narrower range is given."""

    def __init__(self, **kwargs):
        kwargs["min_value"] = max(kwargs.get("min_value", INT32[0]), INT32[0])
        kwargs["max_value"] = min(kwargs.get("max_value", INT32[1]), INT32[1])
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        return super().to_internal_value(data)


class Envelope(serializers.Serializer):
    event_type = ""
    eventType = serializers.CharField(required=False)

    def validate_eventType(self, value):
        if value.upper() != self.event_type:
            raise serializers.ValidationError(f"Expected {self.event_type!r}, got {value[:40]!r}.")
        return value


# --- VCS ---------------------------------------------------------------------------------------


class StatusPayload(serializers.Serializer):
    eventId = serializers.CharField(max_length=ID_LENGTH)
    sessionId = serializers.CharField(max_length=ID_LENGTH)
    callId = serializers.CharField(max_length=ID_LENGTH, required=False, allow_null=True)
    callStatus = StatusField()
    callDirection = serializers.CharField(max_length=10, required=False, allow_null=True)
    # Telemetry: a number we cannot read (a withheld caller's "anonymous", 8x8's own example
    # "+656833033") is kept as sent in the stored payload and flagged, never refused.
    source = serializers.JSONField(required=False, allow_null=True)
    destination = serializers.JSONField(required=False, allow_null=True)
    callDuration = LenientInteger(required=False, allow_null=True, min_value=0)
    sipCode = LenientInteger(required=False, allow_null=True)
    timestamp = serializers.DateTimeField(required=False, allow_null=True)

    def validate(self, data):
        data["unreadable"] = [
            name
            for name in ("source", "destination")
            if name in data and readable_number(data[name]) is None
        ]
        return data


class StatusEvent(Envelope):
    event_type = "CALL_STATUS"
    payload = StatusPayload()


# --- VSS ---------------------------------------------------------------------------------------


class CallQuality(serializers.Serializer):
    mos = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=5)


class Leg(serializers.Serializer):
    callId = serializers.CharField(max_length=ID_LENGTH, required=False, allow_null=True)
    callStatus = StatusField(required=False, allow_null=True)
    callDuration = LenientInteger(required=False, allow_null=True, min_value=0)
    callQuality = CallQuality(required=False, allow_null=True)


class ErrorDetails(serializers.Serializer):
    errorCode = LenientInteger(required=False, allow_null=True)
    errorMsg = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class SummaryPayload(serializers.Serializer):
    sessionId = serializers.CharField(max_length=ID_LENGTH)
    sessionStatus = StatusField(choices=SESSION_STATUSES)
    startTime = serializers.DateTimeField(required=False, allow_null=True)
    endTime = serializers.DateTimeField(required=False, allow_null=True)
    lastAction = serializers.CharField(max_length=40, required=False, allow_null=True)
    callCount = LenientInteger(required=False, allow_null=True)
    details = serializers.DictField(required=False, allow_null=True)
    errorDetails = ErrorDetails(required=False, allow_null=True)

    def validate_details(self, value):
        legs = {}
        for key, leg in (value or {}).items():
            if key.lower() not in ("calla", "callb"):
                continue  # unknown legs are kept in the raw payload, not interpreted
            serializer = Leg(data=leg)
            if not serializer.is_valid():
                raise serializers.ValidationError({key: serializer.errors})
            legs[key.lower()] = serializer.validated_data
        return legs

    def validate(self, data):
        data["legs"] = data.pop("details", None) or {}
        return data


class SummaryEvent(Envelope):
    event_type = "SESSION_SUMMARY"
    payload = SummaryPayload()


# --- VRU ---------------------------------------------------------------------------------------


class RecordingPayload(serializers.Serializer):
    sessionId = serializers.CharField(max_length=ID_LENGTH)
    recordingId = serializers.CharField(max_length=ID_LENGTH)
    durationSeconds = LenientInteger(required=False, allow_null=True, min_value=0)
    filePath = serializers.CharField(max_length=500, required=False, allow_null=True)
    status = StatusField(required=False, allow_null=True)


class RecordingEvent(Envelope):
    event_type = "CALL_RECORDING_STATUS"
    payload = RecordingPayload()


# --- VNU ---------------------------------------------------------------------------------------

OPERATIONAL_STATUSES = ["ACTIVE", "UNHEALTHY", "EXPIRING", "INACTIVE"]


class NumberUpdate(serializers.Serializer):
    msisdn = ProviderNumberField()
    operationalStatus = StatusField(choices=OPERATIONAL_STATUSES)
    referenceId = serializers.CharField(max_length=100, required=False, allow_null=True)
    updatedTimestamp = serializers.DateTimeField(required=False, allow_null=True)
    updateStatus = StatusField(required=False, allow_null=True)


class NumbersPayload(serializers.Serializer):
    """The entries are read one by one (`read_number_entries`): one we cannot read is skipped and
    recorded, never a reason to refuse the rest. No cap on their count: a SNAPSHOT lists the whole
    pool, and the body's size (MASKING_NUMBER_UPDATE_MAX_BODY_BYTES) bounds it."""

    updateEventType = StatusField(choices=["SNAPSHOT", "UPDATES"])
    virtualNumbers = serializers.ListField(child=serializers.JSONField())


class NumbersEvent(Envelope):
    # 8x8 spells it VIRTUAL_NUMBER_UPDATE; accept the past tense too.
    event_type = "VIRTUAL_NUMBER_UPDATE"
    payload = NumbersPayload()

    def validate_eventType(self, value):
        if value.upper() not in ("VIRTUAL_NUMBER_UPDATE", "VIRTUAL_NUMBER_UPDATED"):
            raise serializers.ValidationError(f"Expected {self.event_type!r}, got {value[:40]!r}.")
        return value


def _entry_label(raw, index: int) -> str:
    """How a skipped entry is named on record: its msisdn as sent (cut to the column), or where
    it was."""
    if not isinstance(raw, dict):
        return f"(entry {index})"
    msisdn = raw.get("msisdn")
    if msisdn is None or msisdn == "":
        return "(missing)"
    return str(msisdn)[:20]


def _skip_reason(raw, errors: dict) -> str:
    if not isinstance(raw, dict):
        return "skipped: not an object"
    if "msisdn" in errors:
        if raw.get("msisdn") is None or raw.get("msisdn") == "":
            return "skipped: msisdn is missing"
        return "skipped: msisdn is not a phone number we can read"
    if "operationalStatus" in errors and raw.get("operationalStatus") is not None:
        status = normal_status(str(raw["operationalStatus"]))[:40]
        return f"skipped: operationalStatus {status!r} is not one we know"
    return f"skipped: unreadable {', '.join(sorted(errors))}"[:200]


def read_number_entries(entries: list) -> tuple[list[tuple[dict, object]], list[dict]]:
    """A number event's entries, read one by one: ([(entry, raw entry)], [skipped]), each skipped
    one as {"msisdn": label, "status": as sent, "reason": why, "raw": raw entry}."""
    readable, skipped = [], []
    for index, raw in enumerate(entries):
        reader = NumberUpdate(data=raw) if isinstance(raw, dict) else None
        if reader is not None and reader.is_valid():
            readable.append((reader.validated_data, raw))
            continue
        errors = reader.errors if reader is not None else {}
        status = raw.get("operationalStatus") if isinstance(raw, dict) else None
        skipped.append(
            {
                "msisdn": _entry_label(raw, index),
                "status": str(status or "")[:20],
                "reason": _skip_reason(raw, errors),
                "raw": raw,
            }
        )
    return readable, skipped
