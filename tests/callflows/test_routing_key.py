"""The routing key (virtual number, participant number) is unique among open sessions, in the DB.

Written straight through the ORM, past every service, so the constraint itself is what is tested.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from masking.models import MaskingSession, Participant
from tests.factories import VirtualNumberFactory

pytestmark = pytest.mark.django_db


def raw_session(vn, a, b, *, open_=True):
    session = MaskingSession.objects.create(
        virtual_number=vn,
        status="open" if open_ else "closed",
        closed_at=None if open_ else timezone.now(),
    )
    for role, number in [("a", a), ("b", b)]:
        Participant.objects.create(
            session=session, role=role, number=number, virtual_number=vn, holds_routing_key=open_
        )
    return session


# What each database names in its error: PostgreSQL the constraint, SQLite the columns.
VIOLATION = {
    "postgresql": "masking_participant_unique_open_routing_key",
    "sqlite": "UNIQUE constraint failed: masking_participant.virtual_number_id, "
    "masking_participant.number",
}


def test_two_open_sessions_cannot_share_a_routing_key():
    vn = VirtualNumberFactory(number="+6531500101")
    raw_session(vn, "+6591230001", "+6591230002")
    with pytest.raises(IntegrityError, match=VIOLATION[connection.vendor]), transaction.atomic():
        raw_session(vn, "+6591230001", "+6591230009")
    assert Participant.objects.filter(number="+6591230001").count() == 1


def test_closed_sessions_do_not_hold_routing_keys():
    vn = VirtualNumberFactory(number="+6531500101")
    raw_session(vn, "+6591230001", "+6591230002", open_=False)
    raw_session(vn, "+6591230001", "+6591230002")
    assert MaskingSession.objects.count() == 2


def test_same_participant_on_another_virtual_number_is_fine():
    raw_session(VirtualNumberFactory(number="+6531500101"), "+6591230001", "+6591230002")
    raw_session(VirtualNumberFactory(number="+6531500102"), "+6591230001", "+6591230002")
    assert Participant.objects.filter(number="+6591230001", holds_routing_key=True).count() == 2
