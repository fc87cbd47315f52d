"""Validating 8x8 webhook bodies with DRF serializers.

Only what we act on is required; unknown extra fields are accepted, as 8x8 says more fields may
appear. Errors name the field by its path in the body ("payload.source").
"""

from rest_framework import serializers

from callflows.numbers import NotAPhoneNumber, parse_provider_number


class ProviderNumberField(serializers.Field):
    default_error_messages = {"invalid": "Not a phone number."}

    def to_internal_value(self, data):
        try:
            return parse_provider_number(data)
        except NotAPhoneNumber as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from exc

    def to_representation(self, value):
        return value


class CallActionPayloadSerializer(serializers.Serializer):
    source = ProviderNumberField(help_text="The caller, E.164 with or without '+'.")
    destination = ProviderNumberField(help_text="The virtual number dialled.")
    eventId = serializers.CharField(max_length=100, required=False, allow_null=True)
    sessionId = serializers.CharField(max_length=100, required=False, allow_null=True)
    callId = serializers.CharField(max_length=100, required=False, allow_null=True)
    callStatus = serializers.CharField(max_length=40, required=False, allow_null=True)
    clientActionId = serializers.CharField(
        max_length=200, required=False, allow_null=True, allow_blank=True
    )


class CallActionSerializer(serializers.Serializer):
    """The CALL_ACTION envelope (provider document, section 2)."""

    eventType = serializers.CharField(required=False)
    payload = CallActionPayloadSerializer()

    def validate_eventType(self, value):
        if value != "CALL_ACTION":
            raise serializers.ValidationError(f"Expected 'CALL_ACTION', got {value[:40]!r}.")
        return value


def error_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into {"payload.source": ["..."]}."""
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = "body" if key == "non_field_errors" and not prefix else key
            path = f"{prefix}.{name}" if prefix and key != "non_field_errors" else (prefix or name)
            fields.update(error_fields(value, path))
        return fields
    if isinstance(detail, list) and detail and not isinstance(detail[0], (dict, list)):
        return {prefix or "body": [str(item) for item in detail]}
    if isinstance(detail, list):
        fields = {}
        for index, item in enumerate(detail):
            fields.update(error_fields(item, f"{prefix}[{index}]"))
        return fields
    return {prefix or "body": [str(detail)]}
