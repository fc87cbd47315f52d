"""Serializer fields for people's numbers: read in full, answered as the viewer may see them."""

from django.contrib.auth.models import AnonymousUser
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from masking.privacy import is_personal_number, number_for


def viewer(serializer_field) -> object:
    """The user the answer is for. Without a request in the context, nobody: numbers are masked."""
    request = serializer_field.context.get("request")
    return getattr(request, "user", None) or AnonymousUser()


class PersonalNumberField(PhoneNumberField):
    """A person's real number. Accepts any format `PhoneNumberField` does; answers E.164 to users
    with `masking.view_full_numbers` and "+65 9123 ••01" to everyone else
    (`masking.privacy.may_see_full_numbers`). Use it for every number that belongs to a person, so
    a new serializer is safe by default."""

    def to_representation(self, value):
        return number_for(value, viewer(self))


class PrivateModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields follow the model's own declaration: a field marked
    `masking.privacy.personal_number` becomes a `PersonalNumberField`, so a model field added
    later is answered masked without anyone remembering to say so."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if is_personal_number(model_field):
            return PersonalNumberField, kwargs
        return field_class, kwargs
