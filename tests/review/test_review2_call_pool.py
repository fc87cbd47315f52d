"""Review 2 of "a call keeps the pool that answered it" (callflows 0014, `Call.pool`): the routes
and writes the change left out. Run on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User

from callflows.decision import Decision, Outcome
from callflows.models import Call
from callflows.records import call_record_answer
from callflows.rollup import ensure_rollup
from masking.models import MaskingSession
from masking.services.sessions import session_close
from tests.factories import PoolFactory, VirtualNumberFactory, open_session
from tests.review.test_rollup_number_moved import rolled_up_equals_the_calls

pytestmark = pytest.mark.django_db
NUMBER = "+6531500101"
AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def _action(event: str, outcome=Outcome.CONNECT, *, session=None):
    call_record_answer(
        provider_session_id="c1",
        event_id=event,
        virtual_number=NUMBER,
        caller="+6598761201",
        decision=Decision(outcome=outcome, session_id=session),
        answer_json="{}",
        now=AT,
    )


def test_a_sessions_page_shows_staff_only_the_calls_of_their_pools(client):
    """A closed session's number moves from Singapore to Malaysia: the session is Malaysia's now
    (sessions follow their number), but its call was answered by Singapore and stays Singapore's
    (the call log and API hide it from Malaysia's staff). The session's page must not show it to
    them either."""
    singapore, malaysia = PoolFactory(name="Singapore"), PoolFactory(name="Malaysia")
    number = VirtualNumberFactory(number=NUMBER, pool=singapore)
    session = open_session(virtual_number=number, a="+6598761201", b="+6598761202")
    _action("e1", session=session.pk)
    call = Call.objects.get()
    assert call.pool == singapore
    session_close(session=session, reason=MaskingSession.CloseReason.STAFF)
    number.pool = malaysia
    number.full_clean()
    number.save()

    staff = User.objects.create_superuser("malaysia-lead", password="pw")
    malaysia.users.add(staff)
    client.force_login(staff)
    assert client.get(f"/admin/callflows/call/{call.pk}/change/").status_code == 302  # hidden
    page = client.get(f"/admin/masking/maskingsession/{session.pk}/change/")
    assert page.status_code == 200
    shown = [
        form.instance.pk
        for formset in page.context["inline_admin_formsets"]
        if formset.formset.model is Call
        for form in formset.formset.forms
    ]
    assert shown == []

    singapore_staff = User.objects.create_superuser("singapore-lead", password="pw")
    singapore.users.add(singapore_staff)
    client.force_login(singapore_staff)
    assert client.get(f"/admin/callflows/call/{call.pk}/change/").status_code == 200


def test_a_call_answered_as_no_pools_stays_no_pools_after_a_follow_up_action(settings):
    """A call to a number that is not ours yet is no pool's; the number is added to Singapore
    while the caller is on the keypad prompt; the follow-up Call Action of the same call must not
    hand the call to Singapore (README: "a call answered while its number was no pool's stays no
    pool's")."""
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    _action("e1", outcome=Outcome.NO_SESSION)
    assert Call.objects.get().pool is None
    VirtualNumberFactory(number=NUMBER, pool=PoolFactory(name="Singapore"))
    _action("e2", outcome=Outcome.NO_SESSION)
    assert Call.objects.get().pool is None
    rolled_up_equals_the_calls()


def test_a_call_first_known_from_a_status_event_takes_its_pool_from_the_call_action(settings):
    """The other side of the above: a call 8x8's status event created (no number yet) takes its
    number's pool from its first Call Action."""
    from callflows.records import status_ingest

    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    singapore = PoolFactory(name="Singapore")
    VirtualNumberFactory(number=NUMBER, pool=singapore)
    status_ingest(
        payload={"eventId": "s1", "sessionId": "c1", "callStatus": "CALL_INITIATED"}, raw={}
    )
    assert Call.objects.get().pool is None
    _action("e1")
    assert Call.objects.get().pool == singapore
    rolled_up_equals_the_calls()


def test_a_deleted_pools_calls_count_as_no_pools_in_the_zone_of_no_pool(settings):
    """Singapore answered a call at 20:00 UTC (the 4th there, the 3rd in UTC); its number moved
    to Malaysia and Singapore was deleted: the call is no pool's (SET_NULL), and the roll-up
    counts it on no pool's day, as summing it again from the calls does."""
    settings.MASKING_OPERATIONS_TIME_ZONE = "UTC"
    ensure_rollup()
    singapore = PoolFactory(name="Singapore", operations_time_zone="Asia/Singapore")
    malaysia = PoolFactory(name="Malaysia")
    number = VirtualNumberFactory(number=NUMBER, pool=singapore)
    call_record_answer(
        provider_session_id="c1",
        event_id="e1",
        virtual_number=NUMBER,
        caller="+6598761201",
        decision=Decision(outcome=Outcome.NO_SESSION),
        answer_json="{}",
        now=datetime(2026, 11, 3, 20, 0, tzinfo=UTC),
    )
    number.pool = malaysia
    number.save()
    singapore.delete()
    assert Call.objects.get().pool is None
    rolled_up_equals_the_calls()


def test_an_api_user_of_the_pool_a_number_moved_to_reads_no_call_event_of_the_old_pool():
    """The API's events (`/api/events/`, callbacks) were scoped by their session's number's pool
    of now, not by the pool they were written for (`Callback.pool`): after a closed session's
    number moved from Singapore to Malaysia, Malaysia's backend read (and could redeliver)
    Singapore's `call.completed` of a call the API's /calls/ hides from it."""
    from django.contrib.auth.models import Permission

    from masking.models import Callback
    from tests.masking.api.conftest import client_for

    singapore, malaysia = PoolFactory(name="Singapore"), PoolFactory(name="Malaysia")
    number = VirtualNumberFactory(number=NUMBER, pool=singapore)
    session = open_session(virtual_number=number, a="+6598761201", b="+6598761202")
    _action("e1", session=session.pk)
    call = Call.objects.get()
    Callback.objects.create(
        webhook_id="msg_call",
        event_type="call.completed",
        session=session,
        pool=singapore,
        payload={"data": {"call": {"id": call.pk}}},
    )
    session_close(session=session, reason=MaskingSession.CloseReason.STAFF)
    number.pool = malaysia
    number.full_clean()
    number.save()
    user = User.objects.create_user("malaysia-backend")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["masking", "callflows"])
    )
    malaysia.users.add(user)
    api = client_for(user)
    assert api.get("/api/calls/").json()["results"] == []
    assert "msg_call" not in api.get("/api/events/").content.decode()
