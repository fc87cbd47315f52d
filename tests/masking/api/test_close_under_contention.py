"""A close waits on its number's row like an opening does: with the writes' longer lock timeout,
not the Call Action's 300 ms one (PostgreSQL, where the web's timeouts apply)."""

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from masking.models import MaskingSession
from tests.factories import VirtualNumberFactory, open_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="lock timeouts are PostgreSQL's; `make test` runs this in its PostgreSQL pass",
    ),
]

HELD_SECONDS = 1.0  # longer than the web's lock timeout (250 ms), shorter than the writes' 5 s


def hold_number_row(number_id: int, held: threading.Event) -> None:
    """Another transaction (an opening, a retirement) holds the number's row for a while."""
    db = settings.DATABASES["default"]
    with (
        psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]
        ) as other,
        other.transaction(),
    ):
        other.execute("SELECT 1 FROM masking_virtualnumber WHERE id = %s FOR UPDATE", [number_id])
        held.set()
        time.sleep(HELD_SECONDS)


def test_a_close_waits_for_the_numbers_row_instead_of_failing(api):
    vn = VirtualNumberFactory(number="+6531500201")
    session = open_session(virtual_number=vn, a="+6598761601", b="+6598761602")
    held = threading.Event()
    holder = threading.Thread(target=hold_number_row, args=(vn.pk, held))
    holder.start()
    assert held.wait(5)
    response = api.post(f"/api/sessions/{session.pk}/close/")
    holder.join()
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert MaskingSession.objects.get(pk=session.pk).status == MaskingSession.Status.CLOSED
