"""Session rules on real calls: the rules and the count of connected calls come with the Call
Action's one read (SQLite and PostgreSQL alike)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from callflows.models import Call
from masking.session_rules import SessionRules
from tests.callflows.conftest import VN, A, B, call_action
from tests.factories import VirtualNumberFactory, open_session

URL = "/callflows/8x8/call-action/"
pytestmark = pytest.mark.django_db
CALLS = iter(range(10_000))


def call(provider, caller):
    n = next(CALLS)
    response = provider.post(
        URL, call_action(caller, VN, sessionId=f"rules-{n}", eventId=f"rules-{n}-e"), format="json"
    )
    return [step["action"] for step in response.json()["callflow"]]


def pair(**rules):
    return open_session(
        virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, rules=SessionRules(**rules)
    )


def window(start_hours: float, end_hours: float) -> dict:
    now = timezone.now()
    return dict(
        calling_hours_start=(now + timedelta(hours=start_hours)).time().replace(microsecond=0),
        calling_hours_end=(now + timedelta(hours=end_hours)).time().replace(microsecond=0),
        calling_hours_time_zone="UTC",
    )


def test_one_way_lets_a_call_and_turns_b_away(provider, prompts):
    pair(one_way=True)
    assert call(provider, A)[-1] == "makeCall"
    assert call(provider, B) == ["say", "hangup"]
    assert Call.objects.filter(caller=B).get().outcome == "session_rule"


def test_calling_hours(provider, prompts):
    session = pair(**window(-1, 1))
    assert call(provider, A)[-1] == "makeCall"
    for field, value in window(1, 2).items():
        setattr(session, field, value)
    session.save()
    assert call(provider, A) == ["say", "hangup"]


def test_most_connected_calls_counts_the_bridges(provider, prompts):
    pair(max_calls=2)
    assert call(provider, A)[-1] == "makeCall"
    assert call(provider, B)[-1] == "makeCall"
    assert call(provider, A) == ["say", "hangup"]
    assert call(provider, B) == ["say", "hangup"]
    assert list(Call.objects.order_by("id").values_list("outcome", flat=True)) == [
        "connect",
        "connect",
        "session_rule",
        "session_rule",
    ]


def test_a_turned_away_caller_goes_to_the_fallback_line(provider, prompts, settings):
    settings.MASKING_FALLBACK_LINE = "+6562220000"
    pair(one_way=True)
    assert call(provider, B) == ["say", "makeCall"]
    assert Call.objects.get().outcome == "fallback"


def test_a_pin_holder_turned_away_by_one_way(provider, pin_session):
    from masking.services.sessions import session_update
    from tests.callflows.phone_calls import PIN_B

    session_update(session=pin_session, rules=SessionRules(one_way=True))
    stranger = "+6591239999"
    first = provider.post(
        URL, call_action(stranger, VN, sessionId="pin-1", eventId="pin-1-a"), format="json"
    ).json()
    follow_up = call_action(
        stranger,
        VN,
        sessionId="pin-1",
        eventId="pin-1-b",
        callStatus="ACTION_COMPLETED",
        clientActionId=first["clientActionId"],
        eventData={"dtmf": PIN_B},
    )
    flow = provider.post(URL, follow_up, format="json").json()["callflow"]
    assert [s["action"] for s in flow] == ["say", "hangup"]
    assert Call.objects.get(provider_session_id="pin-1").outcome == "session_rule"
