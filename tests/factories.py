"""Test data: factory_boy factories and a helper that opens sessions the way production does."""

import factory

from masking.models import Pool, Prompt, RecordingOptIn, VirtualNumber
from masking.services.sessions import session_open


class PoolFactory(factory.django.DjangoModelFactory):
    """A second (third...) sub-account; numbers made without one join the deployment's pool."""

    class Meta:
        model = Pool
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Pool {n}")
    subaccount_id = factory.Sequence(lambda n: f"acme-sub-{n}")


class VirtualNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VirtualNumber
        django_get_or_create = ["number"]

    number = factory.Sequence(lambda n: f"+65315{n:05d}")
    label = factory.Sequence(lambda n: f"Pool number {n}")
    status = VirtualNumber.Status.ACTIVE


class RecordingOptInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecordingOptIn

    number = factory.Sequence(lambda n: f"+65912{n:05d}")
    method = RecordingOptIn.Method.ADMIN


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt
        django_get_or_create = ["purpose", "language", "pool"]

    pool = None  # the deployment's
    purpose = Prompt.Purpose.CONNECTING
    language = "en"
    voice_profile = "generic-en-female"
    text = factory.LazyAttribute(lambda p: f"The {p.purpose} prompt.")


_participants = iter(range(10_000_000))


def participant_number() -> str:
    return f"+65900{next(_participants):05d}"


def open_session(*, virtual_number=None, a=None, b=None, **kwargs):
    """Open a session through the service, as the admin and the API do."""
    return session_open(
        virtual_number=virtual_number or VirtualNumberFactory(),
        participant_a=a or participant_number(),
        participant_b=b or participant_number(),
        **kwargs,
    )
