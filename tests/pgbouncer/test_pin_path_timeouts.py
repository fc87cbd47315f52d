"""Issues 24 x 26: behind a transaction pooler the web's timeouts are SET LOCAL with a
transaction's first statement. The PIN judgement's first statement is the SELECT ... FOR UPDATE
on the virtual number (pin_guess_begin): its lock wait must be bounded like any other.
Run with DATABASE_TRANSACTION_POOLING=true on PostgreSQL."""

import pytest
from django.conf import settings
from django.db import connection, transaction

from masking.services.pin_access import pin_guess_begin
from tests.factories import VirtualNumberFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql"
    or not settings.DATABASES["default"]["OPTIONS"].get("transaction_pooling"),
    reason="PostgreSQL with DATABASE_TRANSACTION_POOLING=true",
)


@pytest.mark.django_db(transaction=True)
def test_the_pin_guess_lock_is_taken_under_the_web_lock_timeout():
    VirtualNumberFactory(number="+6531500101")
    with transaction.atomic():
        guess = pin_guess_begin(virtual_number="+6531500101", caller="+6591230001")
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            lock = cursor.fetchone()[0]
            cursor.execute("SHOW statement_timeout")
            statement = cursor.fetchone()[0]
    assert guess is not None
    assert (lock, statement) == ("250ms", "300ms")
