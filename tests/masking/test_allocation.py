"""The allocation rule, preference by preference, and what happens when nothing is left."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from masking.models import MaskingSession, Participant, VirtualNumber
from masking.services.allocation import PoolExhausted, number_allocate
from masking.services.numbers import number_set_status
from masking.services.sessions import session_close, session_create, session_reopen
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
A, B, C = "+6591230001", "+6591230002", "+6591230003"


def pool(*numbers, status="active"):
    return [VirtualNumberFactory(number=n, status=status) for n in numbers]


def test_only_active_numbers():
    pool("+6531500101", status="unhealthy")
    pool("+6531500102", status="retired")
    (active,) = pool("+6531500103")
    assert number_allocate(participant_a=A, participant_b=B) == active


def test_prefers_the_participants_country():
    pool("+12025550101")  # United States, lower id
    (singapore,) = pool("+6531500101")
    assert number_allocate(participant_a=A, participant_b=B) == singapore
    assert (
        number_allocate(participant_a="+12025550177", participant_b="+12025550178").country == "US"
    )


def test_falls_back_to_another_country_rather_than_refusing():
    (us,) = pool("+12025550101")
    assert number_allocate(participant_a=A, participant_b=B) == us


def test_excludes_numbers_either_participant_holds():
    first, second, third = pool("+6531500101", "+6531500102", "+6531500103")
    open_session(virtual_number=first, a=A, b="+6591239001")
    open_session(virtual_number=second, a="+6591239002", b=B)
    assert number_allocate(participant_a=A, participant_b=B) == third


def test_prefers_the_number_the_pair_used_last_time():
    first, second = pool("+6531500101", "+6531500102")
    open_session(virtual_number=first, a="+6591239001", b="+6591239002")  # first is busier
    last_time = open_session(virtual_number=second, a=A, b=B)
    session_close(session=last_time, reason="api")
    open_session(virtual_number=second, a="+6591239003", b="+6591239004")
    open_session(virtual_number=second, a="+6591239005", b="+6591239006")
    assert number_allocate(participant_a=B, participant_b=A) == second


def test_then_the_least_loaded():
    busy, idle = pool("+6531500101", "+6531500102")
    open_session(virtual_number=busy)
    assert number_allocate(participant_a=A, participant_b=B) == idle


def test_closed_sessions_do_not_count_as_load():
    first, second = pool("+6531500101", "+6531500102")
    session_close(session=open_session(virtual_number=first), reason="api")
    open_session(virtual_number=second)
    assert number_allocate(participant_a=A, participant_b=B) == first


def test_pool_exhausted_for_these_participants():
    (only,) = pool("+6531500101")
    open_session(virtual_number=only, a=A, b=C)
    with pytest.raises(PoolExhausted, match="exhausted for these participants"):
        session_create(participant_a=A, participant_b=B)
    # Others still fit on the same number.
    assert session_create(participant_a="+6591239001", participant_b=B).virtual_number == only


def test_session_create_allocates_and_opens():
    pool("+6531500101")
    session = session_create(participant_a=A, participant_b=B, reference="booking-1")
    assert session.status == "open"
    assert Participant.objects.filter(session=session, holds_routing_key=True).count() == 2


def test_retiring_a_number_closes_its_open_sessions():
    (number,) = pool("+6531500101")
    session = open_session(virtual_number=number, a=A, b=B)
    number_set_status(number=number, status=VirtualNumber.Status.RETIRED, end_open_sessions=True)
    session.refresh_from_db()
    assert (session.status, session.close_reason) == ("closed", "number_retired")


def test_unhealthy_number_keeps_its_sessions_but_gets_no_new_ones():
    (number,) = pool("+6531500101")
    session = open_session(virtual_number=number, a=A, b=B)
    number_set_status(number=number, status=VirtualNumber.Status.UNHEALTHY)
    session.refresh_from_db()
    assert session.status == "open"
    with pytest.raises(PoolExhausted):
        session_create(participant_a=C, participant_b="+6591239001")


def test_reopen_only_when_routing_keys_are_free():
    (number,) = pool("+6531500101")
    session = open_session(virtual_number=number, a=A, b=B)
    session_close(session=session, reason="api")
    taker = open_session(virtual_number=number, a=A, b=C)
    with pytest.raises(Exception, match="another open session"):
        session_reopen(session=session)
    assert MaskingSession.objects.get(pk=session.pk).status == "closed"
    session_close(session=taker, reason="api")
    assert session_reopen(session=session).status == "open"


def test_sweep_closes_expired_sessions_and_frees_their_keys(capsys):
    (number,) = pool("+6531500101")
    past = timezone.now() - timedelta(hours=2)
    expired = [
        open_session(virtual_number=number, started_at=past, expires_at=past + timedelta(hours=1))
        for _ in range(5)
    ]
    current = open_session(virtual_number=number, expires_at=timezone.now() + timedelta(hours=1))
    call_command("close_expired_sessions", batch_size=2)
    assert "Closed 5 expired sessions." in capsys.readouterr().out
    assert set(MaskingSession.objects.closed().values_list("pk", flat=True)) == {
        s.pk for s in expired
    }
    assert not Participant.objects.filter(session__in=expired, holds_routing_key=True).exists()
    assert MaskingSession.objects.get(pk=current.pk).status == "open"


def test_open_session_counter_follows_every_open_and_close():
    (number,) = pool("+6531500101")
    sessions = [open_session(virtual_number=number) for _ in range(3)]
    session_close(session=sessions[0], reason="api")
    number.label = "edited by staff"  # a stale copy saved later must not reset the counter
    number.save()
    session_reopen(session=sessions[0])
    session_close(session=sessions[1], reason="api")
    number.refresh_from_db()
    assert number.open_sessions == MaskingSession.objects.open().count() == 2


def test_full_numbers_are_skipped_and_refused(settings):
    settings.MASKING_NUMBER_CAPACITY = 1
    full, spare = pool("+6531500101", "+6531500102")
    open_session(virtual_number=full)
    assert number_allocate(participant_a=A, participant_b=B) == spare
    full.refresh_from_db()
    with pytest.raises(Exception, match="is full"):
        open_session(virtual_number=full, a=A, b=B)
