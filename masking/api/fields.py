"""Serializer fields for people's numbers: read in full, answered as the viewer may see them."""

from django.contrib.auth.models import AnonymousUser
from phonenumber_field.serializerfields import PhoneNumberField

from masking.privacy import number_for


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
