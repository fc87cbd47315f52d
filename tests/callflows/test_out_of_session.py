"""Calls from a phone in no session, asked of the business: a real receiver (pytest-httpserver)
that verifies our signature as a business backend would, for each answer and each failure."""

import json
import time

import pytest
from standardwebhooks import Webhook
from werkzeug import Response

from callflows.models import Call, OutOfSessionAnswer
from masking.models import MaskingSession
from tests.callback_receiver import SECRET
from tests.callflows.conftest import VN, A, B, call_action
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

URL = "/callflows/8x8/call-action/"
PATH = "/out-of-session"
STRANGER, SUPPORT, DRIVER = "+6591239999", "+6562220000", "+6591237777"
pytestmark = pytest.mark.django_db


class Business:
    """The business backend: answers as told, and verifies each request's signature."""

    def __init__(self, server):
        self.server = server

    def answers(self, body, *, status=200, delay=0.0):
        def handler(request):
            if delay:
                time.sleep(delay)
            text = body if isinstance(body, str) else json.dumps(body)
            return Response(text, status=status, content_type="application/json")

        self.server.clear()
        self.server.expect_request(PATH, method="POST").respond_with_handler(handler)

    def asked(self) -> list[dict]:
        """Each request's payload, verified with the secret (raises on a bad signature)."""
        return [
            Webhook(SECRET).verify(request.get_data(as_text=True), dict(request.headers))
            for request, _response in self.server.log
        ]


@pytest.fixture
def business(httpserver, settings, prompts):
    settings.MASKING_OUT_OF_SESSION_URL = httpserver.url_for(PATH)
    settings.MASKING_OUT_OF_SESSION_SECRET = SECRET
    PromptFactory(purpose="fallback_line", text="[fallback_line]")
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, reference="ride-41")
    return Business(httpserver)


def call(provider, caller=STRANGER, session_id="oos-1"):
    response = provider.post(
        URL, call_action(caller, VN, sessionId=session_id, eventId=f"{session_id}-e"), format="json"
    )
    assert response.status_code == 200
    flow = response.json()["callflow"]
    return [(step["action"], step.get("params", {})) for step in flow]


def on_record(session_id="oos-1") -> OutOfSessionAnswer:
    return Call.objects.get(provider_session_id=session_id).out_of_session_answer


def test_open_session_answer_opens_it_and_connects(provider, business):
    business.answers({"action": "open_session", "participant": DRIVER, "reference": "ride-42"})
    flow = call(provider)
    assert flow[-1] == ("makeCall", {"source": "6531500101", "destination": "6591237777"})
    session = MaskingSession.objects.get(reference="ride-42")
    assert {p.number for p in session.participants.all()} == {STRANGER, DRIVER}
    record = on_record()
    assert (record.answer, record.opened_session) == ("open_session", session)
    assert Call.objects.get(provider_session_id="oos-1").outcome == "connect"
    # and the caller's next call connects through that session, without asking again
    assert call(provider, session_id="oos-2")[-1][0] == "makeCall"
    assert len(business.asked()) == 1


def test_open_session_that_cannot_open_is_the_no_session_flow(provider, business):
    # B is paired with A on this number already: B's routing key on it is taken.
    business.answers({"action": "open_session", "participant": B})
    assert call(provider)[-1][0] == "hangup"
    record = on_record()
    assert (record.answer, record.opened_session) == ("error", None)
    assert "open_session" in record.detail


def test_connect_answer_bridges_once_without_a_session(provider, business):
    business.answers({"action": "connect", "number": "+6591237777"})
    flow = call(provider)
    assert flow[-1] == ("makeCall", {"source": "6531500101", "destination": "6591237777"})
    assert not MaskingSession.objects.filter(participants__number=STRANGER).exists()
    assert (on_record().answer, Call.objects.get().outcome) == ("connect", "connect_once")


def test_prompt_answer_is_said_then_hung_up(provider, business):
    business.answers({"action": "prompt", "text": "Your ride has ended. Use the app."})
    flow = call(provider)
    assert [a for a, _p in flow] == ["say", "hangup"]
    assert flow[0][1]["text"] == "Your ride has ended. Use the app."
    assert on_record().answer == "prompt"


def test_refuse_answer_hears_the_no_session_prompt(provider, business):
    business.answers({"action": "refuse"})
    flow = call(provider)
    assert flow == [("say", flow[0][1]), ("hangup", {})]
    assert flow[0][1]["text"] == "[no_session]"
    assert (on_record().answer, Call.objects.get().outcome) == ("refuse", "refused")


@pytest.mark.parametrize(
    "answer, status, delay, kind",
    [
        ({"action": "refuse"}, 500, 0, "error"),
        ("this is not JSON", 200, 0, "bad_answer"),
        ({"action": "transfer"}, 200, 0, "bad_answer"),
        ({"action": "connect", "number": "12"}, 200, 0, "bad_answer"),
        ({"action": "refuse"}, 200, 1.5, "timeout"),
    ],
    ids=["500", "not JSON", "unknown action", "not a number", "slow"],
)
def test_no_usable_answer_is_the_no_session_flow(provider, business, answer, status, delay, kind):
    business.answers(answer, status=status, delay=delay)
    started = time.monotonic()
    flow = call(provider)
    took = time.monotonic() - started
    time.sleep(delay)  # the receiver answers one request at a time: let it finish this one
    assert [a for a, _p in flow] == ["say", "hangup"]
    assert flow[0][1]["text"] == "[no_session]"
    record = on_record()
    assert record.answer == kind, record.detail
    # Within the Call Action's deadline (2 s), a slow receiver included.
    assert took < 1.0
    if kind == "timeout":
        assert 400 <= record.elapsed_ms < 600


def test_no_usable_answer_with_a_fallback_line_bridges_there(provider, business, settings):
    settings.MASKING_FALLBACK_LINE = SUPPORT
    business.answers({"action": "refuse"}, status=500)
    flow = call(provider)
    assert flow == [
        ("say", flow[0][1]),
        ("makeCall", {"source": "6531500101", "destination": "6562220000"}),
    ]
    assert flow[0][1]["text"] == "[fallback_line]"
    assert Call.objects.get().outcome == "fallback"


def test_the_request_is_signed_by_us(provider, business):
    business.answers({"action": "refuse"})
    call(provider)
    (asked,) = business.asked()  # verify() raises on a missing or wrong signature
    assert asked["type"] == "call.out_of_session"
    assert asked["data"]["virtual_number"] == VN
    assert asked["data"]["call"]["provider_session_id"] == "oos-1"


def test_the_caller_number_goes_whole_only_to_a_user_who_may_see_it(
    provider, business, settings, django_user_model
):
    from django.contrib.auth.models import Permission

    business.answers({"action": "refuse"})
    call(provider)
    assert business.asked()[-1]["data"]["call"]["caller"] != STRANGER  # masked: no user set
    user = django_user_model.objects.create_user("backend")
    user.user_permissions.add(Permission.objects.get(codename="view_full_numbers"))
    settings.MASKING_OUT_OF_SESSION_USER = "backend"
    call(provider, session_id="oos-2")
    assert business.asked()[-1]["data"]["call"]["caller"] == STRANGER


def test_recent_sessions_are_named_by_reference_never_by_number(provider, business):
    from masking.models import VirtualNumber
    from masking.services.sessions import session_close

    number = VirtualNumber.objects.get(number=VN)
    old = open_session(virtual_number=number, a=STRANGER, b="+6591238888", reference="ride-40")
    session_close(session=old, reason="api")
    business.answers({"action": "refuse"})
    call(provider)
    (asked,) = business.asked()
    recent = asked["data"]["recent_sessions"]
    assert [(s["reference"], s["status"], s["caller_role"]) for s in recent] == [
        ("ride-40", "closed", "a")
    ]
    assert "6591238888" not in json.dumps(asked)


def test_calls_in_a_session_never_ask_the_business(provider, business):
    business.answers({"action": "refuse"})
    assert call(provider, caller=A)[-1][0] == "makeCall"
    assert business.asked() == []


def test_the_business_is_not_asked_when_no_endpoint_is_set(provider, business, settings):
    settings.MASKING_OUT_OF_SESSION_URL = ""
    business.answers({"action": "connect", "number": B})
    assert call(provider)[-1][0] == "hangup"
    assert business.asked() == []


def test_the_call_page_shows_what_the_business_answered(provider, business, admin_client):
    from django.urls import reverse

    business.answers({"action": "open_session", "participant": DRIVER})
    call(provider)
    record = on_record()
    page = admin_client.get(reverse("admin:callflows_call_change", args=[record.call_id]))
    text = page.content.decode()
    assert f"open a session and connect, in {record.elapsed_ms} ms" in text
    assert f"session #{record.opened_session_id}" in text


@pytest.mark.parametrize("kept_alive", [False, True], ids=["new connection", "kept alive"])
def test_a_dripping_business_is_cut_at_the_deadline(provider, business, settings, kept_alive):
    """A receiver sending its answer a byte at a time never lets one read wait long: only a
    whole-request deadline stops it, on a kept-alive connection as on a new one."""
    from tests.drip_receiver import DripReceiver, KeepAliveDripReceiver

    settings.MASKING_OUTBOUND_ALLOW_PRIVATE = True
    if kept_alive:
        receiver = KeepAliveDripReceiver(
            first_answer=b'{"action": "refuse"}', interval=0.05, hold=3
        )
    else:
        receiver = DripReceiver(interval=0.05, hold=3)
    settings.MASKING_OUT_OF_SESSION_URL = receiver.url
    try:
        if kept_alive:
            call(provider, session_id="oos-0")
            assert on_record("oos-0").answer == "refuse"
        started = time.monotonic()
        flow = call(provider)
        took = time.monotonic() - started
    finally:
        receiver.close()
    assert flow[-1][0] == "hangup"
    record = on_record()
    assert record.answer == "timeout", record.detail
    assert 400 <= record.elapsed_ms < 600
    assert took < 1.0
    if kept_alive:
        assert (receiver.connections, receiver.requests) == (1, 2)


def _backend_user(django_user_model, how):
    from django.contrib.auth.models import Group, Permission

    permission = Permission.objects.get(codename="view_full_numbers")
    user = django_user_model.objects.create_user(
        "backend", is_superuser=how == "superuser", is_active=how != "inactive"
    )
    if how in ("permission", "inactive"):
        user.user_permissions.add(permission)
    if how == "group":
        group = Group.objects.create(name="backends")
        group.permissions.add(permission)
        user.groups.add(group)
    return user


@pytest.mark.parametrize(
    "how, whole",
    [
        ("permission", True),
        ("group", True),
        ("superuser", True),
        ("inactive", False),
        ("no permission", False),
        ("no such user", False),
    ],
)
def test_the_caller_is_shown_as_the_endpoints_user_may_see_them_in_one_query(
    business, settings, django_user_model, django_assert_num_queries, how, whole
):
    from django.utils import timezone

    from callflows.ask_business import request_body
    from masking.routing import CallFacts

    _backend_user(django_user_model, how)
    settings.MASKING_OUT_OF_SESSION_USER = "nobody" if how == "no such user" else "backend"
    facts = CallFacts(virtual_number=VN, caller=STRANGER, number_status="active")
    with django_assert_num_queries(1):  # the recent sessions and the disclosure together
        body = request_body(facts=facts, provider_session_id="s", now=timezone.now())
    assert (body["data"]["call"]["caller"] == STRANGER) == whole


def test_a_permission_taken_away_masks_the_next_call(
    provider, business, settings, django_user_model
):
    user = _backend_user(django_user_model, "permission")
    settings.MASKING_OUT_OF_SESSION_USER = "backend"
    business.answers({"action": "refuse"})
    call(provider)
    user.user_permissions.clear()
    call(provider, session_id="oos-2")
    assert [a["data"]["call"]["caller"] == STRANGER for a in business.asked()] == [True, False]
