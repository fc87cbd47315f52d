"""The simulator answers "what happened to my call at 10:52?" (issue 28, finding 7).

A past call is replayed from what the database held then: the session's history (opened,
closed, extended), the PIN lockouts in force; 8x8's outcome is shown beside the decision.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from callflows.models import Call
from masking.models import AuditEntry, MaskingSession, PinLockout
from masking.services.audit import API
from masking.services.sessions import session_close, session_extend
from masking.timezones import staff_time
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
A, B = "+6591230001", "+6591230002"
URL = "/admin/simulator/"


def backdate(session, action, at):
    """Move the history entry `action` of `session` (and its times) to `at`."""
    AuditEntry.objects.filter(
        object_type="masking.MaskingSession", object_id=str(session.pk), action=action
    ).update(at=at)
    if action == "ended":
        MaskingSession.objects.filter(pk=session.pk).update(closed_at=at)


def call_at(at, *, outcome, status="", caller=A, number="+6531500101", seconds=None):
    call = Call.objects.create(
        provider_session_id=f"s-{outcome}-{at.timestamp()}",
        caller=caller,
        virtual_number=number,
        outcome=outcome,
        status=status,
        callee_seconds=seconds,
    )
    Call.objects.filter(pk=call.pk).update(created_at=at)
    return Call.objects.get(pk=call.pk)


@pytest.fixture
def closed_by_api(settings):
    """booking-1 opened 3 hours ago, closed through the API an hour ago."""
    settings.TIME_ZONE = "Asia/Singapore"
    vn = VirtualNumberFactory(number="+6531500101")
    now = timezone.now()
    session = open_session(
        virtual_number=vn, a=A, b=B, reference="booking-1", started_at=now - timedelta(hours=3)
    )
    backdate(session, "opened", now - timedelta(hours=3))
    session_close(session=session, reason="api", via=API)
    backdate(session, "ended", now - timedelta(hours=1))
    return {"vn": vn, "session": session, "now": now, "closed_at": now - timedelta(hours=1)}


def test_a_call_before_the_closure_replays_as_connected(admin_client, closed_by_api):
    call = call_at(closed_by_api["now"] - timedelta(hours=2), outcome="connect", status="COMPLETED")
    page = admin_client.get(URL, {"call": call.pk})
    result = page.context["result"]
    assert (result["outcome"], result["words"]) == ("connect", "connected")
    assert result["destination"]  # bridged to B, as the call was
    html = page.content.decode()
    assert "decided from what the database held then" in html


def test_a_no_session_call_names_the_closure_when_and_why(admin_client, closed_by_api):
    call = call_at(closed_by_api["now"] - timedelta(minutes=30), outcome="no_session")
    page = admin_client.get(URL, {"call": call.pk})
    assert page.context["result"]["outcome"] == "no_session"
    story = next(s for s in page.context["result"]["sections"] if s.id == "caller-sessions")
    (row,) = story.data["rows"]
    closed = staff_time(closed_by_api["closed_at"])
    assert row["state"] == f"closed at {closed} through the API (closed through the API)"
    assert "booking-1" in page.content.decode() and closed in page.content.decode()


def test_now_too_names_the_closed_session_on_that_number(admin_client, closed_by_api):
    page = admin_client.get(URL, {"virtual_number": closed_by_api["vn"].pk, "caller": A})
    assert page.context["result"]["outcome"] == "no_session"
    html = page.content.decode()
    assert "booking-1" in html and "through the API" in html


def test_the_outcome_at_8x8_beside_the_decision(admin_client, closed_by_api):
    call = call_at(closed_by_api["now"] - timedelta(hours=2), outcome="connect", status="NO_ANSWER")
    html = admin_client.get(URL, {"call": call.pk}).content.decode()
    assert "We answered then" in html and "8x8's outcome" in html
    answered = html.split('id="replay-answered">', 1)[1].split("<", 1)[0]
    provider = html.split('id="replay-provider">', 1)[1].split("<", 1)[0]
    assert (answered, provider) == ("connected", "no answer")


def test_a_caller_number_and_time_replay_too(admin_client, closed_by_api):
    before = timezone.localtime(closed_by_api["now"] - timedelta(hours=2))
    page = admin_client.get(
        URL,
        {
            "virtual_number": closed_by_api["vn"].pk,
            "caller": A,
            "at": before.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert page.context["result"]["outcome"] == "connect"


def test_an_expiry_extended_later_is_read_as_it_stood(admin_client, settings):
    vn = VirtualNumberFactory(number="+6531500101")
    now = timezone.now()
    session = open_session(
        virtual_number=vn,
        a=A,
        b=B,
        started_at=now - timedelta(hours=3),
        expires_at=now + timedelta(minutes=5),
    )
    backdate(session, "opened", now - timedelta(hours=3))
    # It had expired 2 hours ago... then staff extended it an hour ago (the history says so).
    MaskingSession.objects.filter(pk=session.pk).update(expires_at=now - timedelta(hours=2))
    session.refresh_from_db()
    session_extend(session=session, expires_at=now + timedelta(days=1))
    backdate(session, "extended", now - timedelta(hours=1))
    call = call_at(now - timedelta(minutes=90), outcome="no_session")
    page = admin_client.get(URL, {"call": call.pk})
    assert page.context["result"]["outcome"] == "no_session"  # not "connect", as it would now
    story = next(s for s in page.context["result"]["sections"] if s.id == "caller-sessions")
    assert story.data["rows"][0]["state"].startswith("expired at")
    assert "extended" in story.data["rows"][0]["later"][0]


def test_a_pin_lockout_in_force_then(admin_client):
    vn = VirtualNumberFactory(number="+6531500101")
    now = timezone.now()
    pinned = open_session(virtual_number=vn, pin_a="482193", pin_b="903417")
    MaskingSession.objects.filter(pk=pinned.pk).update(started_at=now - timedelta(days=1))
    stranger = "+6591239999"
    PinLockout.objects.create(
        virtual_number=vn,
        caller=stranger,
        wrong_pins=5,
        locked_at=now - timedelta(hours=2),
        locked_until=now - timedelta(hours=1),
    )
    during = call_at(now - timedelta(minutes=90), outcome="pin_locked", caller=stranger)
    after = call_at(now - timedelta(minutes=30), outcome="ask_pin", caller=stranger)
    locked = admin_client.get(URL, {"call": during.pk})
    assert locked.context["result"]["outcome"] == "pin_locked"
    assert "lockouts-then" in [s.id for s in locked.context["result"]["sections"]]
    assert admin_client.get(URL, {"call": after.pk}).context["result"]["outcome"] == "ask_pin"


def test_the_calls_page_links_to_its_replay(admin_client, closed_by_api):
    call = call_at(closed_by_api["now"] - timedelta(hours=2), outcome="connect")
    html = admin_client.get(f"/admin/callflows/call/{call.pk}/change/").content.decode()
    assert f'href="/admin/simulator/?call={call.pk}"' in html


def test_a_replay_writes_nothing_and_counts_no_lookup(admin_client, closed_by_api):
    call = call_at(closed_by_api["now"] - timedelta(hours=2), outcome="connect")
    entries = AuditEntry.objects.count()
    calls = Call.objects.count()
    admin_client.get(URL, {"call": call.pk})
    assert (AuditEntry.objects.count(), Call.objects.count()) == (entries, calls)
