"""Each event, from each path that makes it happen: API, admin, the expiry sweep, 8x8's events.

Every test ends at the receiver: the worker delivered it, signed, and the payload names the
session by id and reference and the participants by role, never by number.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from callflows.models import Call
from masking.models import Callback, MaskingSession, PinLockout
from tests.callback_receiver import numbers_in, run_worker
from tests.callflows import payloads
from tests.callflows.conftest import AUTH, call_action
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

VN = "+6531500101"
A, B, STRANGER = "+6598761501", "+6598761502", "+6598761509"
PEOPLE = [A, B, STRANGER, "+6598761503", "+6598761504"]


@pytest.fixture
def vn(db):
    return VirtualNumberFactory(number=VN)


@pytest.fixture
def provider(client, settings):
    settings.WEBHOOK_AUTH_HEADER = AUTH

    def post(path, body):
        return client.post(
            f"/callflows/8x8/{path}/",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=AUTH,
        )

    return post


def delivered(receiver) -> list[tuple[str, dict]]:
    run_worker()
    events = receiver.events()
    for _event, data in events:
        assert numbers_in(data, PEOPLE) == []
    return events


def session_ref(session, number=VN) -> dict:
    return {"id": session.pk, "reference": session.reference, "virtual_number": number}


# --- session.opened -------------------------------------------------------------------------


def test_opened_through_the_api(receiver, vn, admin_client):
    response = admin_client.post(
        "/api/sessions/",
        {"participant_a": A, "participant_b": B, "reference": "booking-1", "ttl_seconds": 3600},
        content_type="application/json",
    )
    assert response.status_code == 201
    [(event, data)] = delivered(receiver)
    assert event == "session.opened"
    assert data["session"]["id"] == response.json()["id"]
    assert data["session"]["reference"] == "booking-1"
    assert data["session"]["virtual_number"] == VN
    assert data["session"]["expires_at"] == response.json()["expires_at"]
    assert data["session"]["recording_requested"] is False


def test_opened_in_the_admin(receiver, vn, admin_client):
    now = timezone.now()
    response = admin_client.post(
        "/admin/masking/maskingsession/add/",
        {
            "virtual_number": vn.pk,
            "participant_a": A,
            "participant_b": B,
            "reference": "booking-admin",
            "started_at_0": now.strftime("%Y-%m-%d"),
            "started_at_1": now.strftime("%H:%M:%S"),
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 302
    [(event, data)] = delivered(receiver)
    assert (event, data["session"]["reference"]) == ("session.opened", "booking-admin")


def test_csv_import_opens_each_and_a_failed_import_sends_nothing(receiver, vn, admin_client):
    url = "/admin/masking/maskingsession/import/"

    def upload(text):
        page = admin_client.post(url, {"file": SimpleUploadedFile("rows.csv", text.encode())})
        return admin_client.post(url, {"confirm": "1", "payload": page.context["payload"]})

    # Each row fits alone; together they need two numbers for A and the pool has one.
    upload(f"participant_a,participant_b\n{A},{B}\n{A},{STRANGER}\n")
    assert not MaskingSession.objects.exists()
    assert delivered(receiver) == []
    upload(f"participant_a,participant_b,reference\n{A},{B},csv-1\n")
    assert [(e, d["session"]["reference"]) for e, d in delivered(receiver)] == [
        ("session.opened", "csv-1")
    ]


def test_reopened_through_the_api(receiver, vn, admin_client):
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-2")
    admin_client.post(f"/api/sessions/{session.pk}/close/")
    admin_client.post(f"/api/sessions/{session.pk}/reopen/")
    assert [event for event, _ in delivered(receiver)] == [
        "session.opened",
        "session.closed",
        "session.opened",
    ]


# --- session.closed, with each reason --------------------------------------------------------


def test_closed_through_the_api(receiver, vn, admin_client):
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-3")
    admin_client.post(f"/api/sessions/{session.pk}/close/")
    admin_client.post(f"/api/sessions/{session.pk}/close/")  # twice: changes nothing
    events = delivered(receiver)
    assert events[1:] == [("session.closed", {"session": session_ref(session), "reason": "api"})]


def test_ended_by_staff_in_the_admin(receiver, vn, admin_client):
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-4")
    admin_client.post(
        "/admin/masking/maskingsession/",
        {"action": "end_sessions", "_selected_action": [session.pk], "post": "yes"},
    )
    assert delivered(receiver)[1:] == [
        ("session.closed", {"session": session_ref(session), "reason": "staff"})
    ]


def test_closed_by_the_expiry_sweep(receiver, vn):
    sessions = [
        open_session(
            virtual_number=vn,
            reference=f"booking-exp-{n}",
            expires_at=timezone.now() + timedelta(seconds=1),
            started_at=timezone.now() - timedelta(hours=1),
        )
        for n in range(3)
    ]
    MaskingSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("close_expired_sessions", "--batch-size", "2", verbosity=0)
    closed = [(e, d) for e, d in delivered(receiver) if e == "session.closed"]
    assert sorted(closed, key=lambda row: row[1]["session"]["id"]) == [
        ("session.closed", {"session": session_ref(s), "reason": "expired"}) for s in sessions
    ]


def test_closed_because_its_number_was_retired_through_the_api(receiver, vn, admin_client):
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-5")
    admin_client.patch(
        f"/api/virtual-numbers/{vn.pk}/",
        {"status": "retired", "end_open_sessions": True},
        content_type="application/json",
    )
    assert delivered(receiver)[1:] == [
        ("session.closed", {"session": session_ref(session), "reason": "number_retired"})
    ]


def test_closed_because_8x8_says_the_number_is_inactive(receiver, vn, provider):
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-6")
    response = provider(
        "virtual-number-updated", payloads.numbers("UPDATES", payloads.number(VN, "Inactive"))
    )
    assert response.status_code == 200
    assert delivered(receiver)[1:] == [
        ("session.closed", {"session": session_ref(session), "reason": "number_retired"})
    ]


# --- call.completed --------------------------------------------------------------------------


@pytest.mark.parametrize("caller, role", [(A, "a"), (B, "b")])
def test_call_completed_after_8x8s_session_summary(receiver, vn, provider, caller, role):
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-7")
    PromptFactory(purpose="connecting", text="Connecting.")
    answer = provider("call-action", call_action(caller, VN, sessionId=payloads.SESSION))
    assert answer.json()["callflow"][-1]["action"] == "makeCall"
    assert Callback.objects.filter(event_type="call.completed").count() == 0
    response = provider("session-summary", payloads.summary(a=140, b=133))
    assert response.json() == {"result": "stored"}
    provider("session-summary", payloads.summary(a=140, b=133))  # 8x8 delivers again
    call = Call.objects.get()
    events = [row for row in delivered(receiver) if row[0] == "call.completed"]
    assert events == [
        (
            "call.completed",
            {
                "session": session_ref(session),
                "call": {
                    "id": call.pk,
                    "caller_role": role,
                    "outcome": "COMPLETED",
                    "started_at": "2026-03-02T09:15:03Z",
                    "ended_at": "2026-03-02T09:17:41Z",
                    "talk_seconds": 133,
                    "recorded": False,
                },
            },
        )
    ]


def test_call_completed_once_when_the_summary_comes_before_the_call_action(receiver, vn, provider):
    """8x8 does not promise order: a summary first, then the Call Action links the call to its
    session; `call.completed` is sent then, once, however often either is delivered again."""
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-8")
    PromptFactory(purpose="connecting", text="Connecting.")
    provider("session-summary", payloads.summary(a=140, b=133))
    assert Callback.objects.filter(event_type="call.completed").count() == 0
    action = call_action(A, VN, sessionId=payloads.SESSION)
    assert provider("call-action", action).json()["callflow"][-1]["action"] == "makeCall"
    provider("call-action", action)  # 8x8 delivers the Call Action again
    provider("session-summary", payloads.summary(a=140, b=133))  # and the summary
    events = [row for row in delivered(receiver) if row[0] == "call.completed"]
    assert [(kind, data["session"], data["call"]["caller_role"]) for kind, data in events] == [
        ("call.completed", session_ref(session), "a")
    ]
    assert events[0][1]["call"]["talk_seconds"] == 133


def test_no_call_completed_for_a_caller_in_no_session(receiver, vn, provider):
    PromptFactory(purpose="no_session", text="No session.")
    provider("call-action", call_action(STRANGER, VN, sessionId=payloads.SESSION))
    provider("session-summary", payloads.summary(session_status="COMPLETED", b=None))
    assert delivered(receiver) == []


def test_the_call_action_enqueues_nothing_and_costs_no_query_more(receiver, vn, client, settings):
    """The hot path: with callbacks on, a Call Action writes no callback and no task, and makes
    the same statements as with callbacks off (tests/callflows/test_query_budget.py)."""
    settings.WEBHOOK_AUTH_HEADER = AUTH
    open_session(virtual_number=vn, a=A, b=B)
    PromptFactory(purpose="connecting", text="Connecting.")
    Callback.objects.all().delete()
    DBTaskResult.objects.all().delete()

    def statements(session_id):
        body = call_action(A, VN, sessionId=session_id, eventId=session_id)
        with CaptureQueriesContext(connection) as ctx:
            client.post(
                "/callflows/8x8/call-action/",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=AUTH,
            )
        words = [q["sql"].split()[0].upper() for q in ctx.captured_queries]
        return [w for w in words if w not in ("SAVEPOINT", "RELEASE")]

    statements("warm-up")
    with_callbacks = statements("on")
    settings.MASKING_CALLBACK_URL = ""
    without_callbacks = statements("off")
    # The facts, then the write (one WITH on PostgreSQL; two INSERTs in one transaction on SQLite).
    assert with_callbacks == without_callbacks
    assert with_callbacks in (["SELECT", "WITH"], ["SELECT", "INSERT", "INSERT"])
    assert (Callback.objects.count(), DBTaskResult.objects.count()) == (0, 0)


# --- pin.locked ------------------------------------------------------------------------------


def test_pin_locked_after_repeated_wrong_pins(receiver, vn, provider, settings):
    """A stranger's wrong PINs lock that phone on the number: the backend hears `pin.locked`
    naming the number's PIN sessions by id and reference, never the phone or a participant."""
    settings.MASKING_PIN_TRIES, settings.MASKING_PIN_LOCK_AFTER = 2, 3
    for purpose in ["no_session", "pin_request", "wrong_pin", "goodbye"]:
        PromptFactory(purpose=purpose, text=f"[{purpose}]")
    session = open_session(virtual_number=vn, a=A, b=B, pin_a="482193", pin_b="903417")
    for n in range(2):
        sid = f"guess-{n}"
        provider("call-action", call_action(STRANGER, VN, sessionId=sid, eventId=f"{sid}-0"))
        for k, digits in enumerate(["000000", "000001"], start=1):
            tag = Call.objects.get(provider_session_id=sid).answer["clientActionId"]
            keypad = {"callStatus": "ACTION_COMPLETED", "clientActionId": tag}
            body = call_action(
                STRANGER, VN, sessionId=sid, eventId=f"{sid}-{k}", eventData={"dtmf": digits}
            )
            body["payload"].update(keypad)
            provider("call-action", body)
    lockout = PinLockout.objects.get(caller=STRANGER)
    locked = [row for row in delivered(receiver) if row[0] == "pin.locked"]
    assert locked == [
        (
            "pin.locked",
            {
                "scope": "caller",
                "virtual_number": {"id": vn.pk, "number": VN},
                "locked_until": lockout.locked_until.isoformat().replace("+00:00", "Z"),
                "sessions": [session_ref(session)],
            },
        )
    ]
    assert STRANGER[1:] not in str(locked) and A[1:] not in str(locked)


# --- number.unhealthy ------------------------------------------------------------------------


def test_number_unhealthy_from_8x8(receiver, vn, provider):
    open_session(virtual_number=vn, a=A, b=B)
    provider(
        "virtual-number-updated", payloads.numbers("UPDATES", payloads.number(VN, "Unhealthy"))
    )
    provider(  # said again: no change, no second event
        "virtual-number-updated", payloads.numbers("UPDATES", payloads.number(VN, "Unhealthy"))
    )
    unhealthy = [row for row in delivered(receiver) if row[0] == "number.unhealthy"]
    assert unhealthy == [
        (
            "number.unhealthy",
            {
                "virtual_number": {"id": vn.pk, "number": VN, "status": "unhealthy"},
                "open_sessions": 1,
            },
        )
    ]


def test_number_unhealthy_through_the_api_and_the_admin(receiver, vn, admin_client):
    admin_client.patch(
        f"/api/virtual-numbers/{vn.pk}/", {"status": "unhealthy"}, content_type="application/json"
    )
    other = VirtualNumberFactory(number="+6531500102")
    response = admin_client.post(
        f"/admin/masking/virtualnumber/{other.pk}/change/",
        {
            "number": "+6531500102",
            "label": "two",
            "status": "unhealthy",
            "provider_reference": "",
            "provider_events-TOTAL_FORMS": "0",
            "provider_events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    numbers = [d["virtual_number"]["number"] for e, d in delivered(receiver)]
    assert numbers == [VN, "+6531500102"]
