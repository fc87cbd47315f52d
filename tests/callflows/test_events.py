"""VCS, VSS, VRU, VNU: stored once, in any order, tolerant of 8x8's spellings."""

import copy

import pytest

from callflows.models import Call, CallEvent, NumberEvent
from masking.models import MaskingSession, VirtualNumber
from tests.callflows import payloads
from tests.callflows.conftest import VN, A, call_action
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
SESSION = payloads.SESSION


def post(provider, path, body):
    return provider.post(f"/callflows/8x8/{path}/", body, format="json")


def test_call_action_puts_the_decision_on_record(provider, prompts, pairing):
    body = call_action(A, VN, sessionId=SESSION)
    answer = post(provider, "call-action", body).json()
    call = Call.objects.get()
    assert (call.provider_session_id, call.caller, call.virtual_number) == (SESSION, A, VN)
    assert (call.outcome, call.masking_session, call.answer) == ("connect", pairing, answer)


def test_redelivered_call_action_gets_the_same_answer_and_one_record(provider, prompts, pairing):
    body = call_action(A, VN, sessionId=SESSION)
    first = post(provider, "call-action", body).json()
    from masking.services.sessions import session_close

    session_close(session=pairing, reason="staff")  # the decision would now differ
    again = post(provider, "call-action", body).json()
    assert again == first
    assert Call.objects.count() == 1


def test_a_new_event_on_the_same_call_updates_its_record(provider, prompts, pairing):
    post(provider, "call-action", call_action(A, VN, sessionId=SESSION, eventId="e1"))
    from masking.services.sessions import session_close

    session_close(session=pairing, reason="staff")
    answer = post(provider, "call-action", call_action(A, VN, sessionId=SESSION, eventId="e2"))
    assert [s["action"] for s in answer.json()["callflow"]] == ["say", "hangup"]
    assert Call.objects.get().outcome == "no_session"


@pytest.mark.parametrize(
    "path, body, new_events",
    [
        ("call-status", payloads.status(), 1),
        ("session-summary", payloads.summary(), 1),
        ("recording-uploaded", payloads.recording(), 1),
    ],
)
def test_each_event_is_stored_once(provider, path, body, new_events):
    first = post(provider, path, body)
    assert (first.status_code, first.json()["result"]) == (200, "stored")
    again = post(provider, path, copy.deepcopy(body))
    assert (again.status_code, again.json()["result"]) == (200, "duplicate")
    assert CallEvent.objects.count() == new_events
    assert Call.objects.get().provider_session_id == SESSION


def test_events_before_the_call_action_still_attach(provider, prompts, pairing):
    post(provider, "session-summary", payloads.summary(a=60, b=55))
    post(provider, "call-status", payloads.status(event_id="s1", call_status="CALL_DISCONNECTED"))
    post(provider, "recording-uploaded", payloads.recording())
    post(provider, "call-action", call_action(A, VN, sessionId=SESSION))
    call = Call.objects.get()
    assert (call.outcome, call.masking_session, call.caller) == ("connect", pairing, A)
    assert (call.status, call.caller_seconds, call.callee_seconds) == ("COMPLETED", 60, 55)
    assert call.recording_id == "9d2e6b71-8d1e-11ef-8c22-0242ac120002"
    assert call.events.count() == 3


def test_summary_fills_outcome_talk_time_quality_and_errors(provider):
    post(
        provider,
        "session-summary",
        payloads.summary(
            session_status="ERROR",
            b=None,
            errorDetails={"errorMsg": "The call flow provided is invalid", "errorCode": -2003},
        ),
    )
    call = Call.objects.get()
    assert (call.status, call.error_code, call.error_message) == (
        "ERROR",
        -2003,
        "The call flow provided is invalid",
    )
    assert (call.caller_seconds, call.callee_seconds, call.caller_mos) == (133, None, 4.4)
    assert call.started_at.isoformat() == "2026-03-02T09:15:03+00:00"


@pytest.mark.parametrize(
    "variant, expected",
    [("NO ANSWER", "NO_ANSWER"), ("CANCELLED", "CANCELED"), ("completed", "COMPLETED")],
)
def test_status_spellings_are_normalised(provider, variant, expected):
    post(provider, "session-summary", payloads.summary(session_status=variant))
    assert Call.objects.get().status == expected


def test_leg_keys_in_any_case_and_numbers_as_strings(provider):
    body = payloads.summary()
    details = body["payload"]["details"]
    details["CallB"] = details.pop("callB")
    details["CallB"]["callDuration"] = "42"
    post(provider, "session-summary", body)
    assert Call.objects.get().callee_seconds == 42


def test_unknown_fields_are_accepted(provider):
    body = payloads.status(brandNewField={"nested": [1, 2]})
    body["version"] = 5
    assert post(provider, "call-status", body).status_code == 200


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("call-status", {"payload": {"sessionId": "x", "callStatus": "X"}}, "payload.eventId"),
        ("session-summary", payloads.summary(session_status="EXPLODED"), "payload.sessionStatus"),
        ("session-summary", {"eventType": "SESSION_SUMMARY"}, "payload"),
        ("recording-uploaded", {"payload": {"sessionId": SESSION}}, "payload.recordingId"),
        (  # an unreadable entry is skipped and recorded (test_provider_leniency); no list is 400
            "virtual-number-updated",
            {"payload": {"updateEventType": "UPDATES", "virtualNumbers": "abc"}},
            "payload.virtualNumbers",
        ),
        ("call-status", {**payloads.status(), "eventType": "SESSION_SUMMARY"}, "eventType"),
        ("call-status", [1], "body"),
    ],
)
def test_malformed_events_get_400_naming_the_field_and_change_nothing(provider, path, body, field):
    response = post(provider, path, body)
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert not Call.objects.exists() and not CallEvent.objects.exists()
    assert not NumberEvent.objects.exists()


@pytest.mark.parametrize(
    "path", ["call-status", "session-summary", "recording-uploaded", "virtual-number-updated"]
)
def test_event_webhooks_refuse_strangers(provider, path):
    provider.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert post(provider, path, payloads.status()).status_code == 401


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "before, reported, after",
    [
        ("active", "Unhealthy", "unhealthy"),
        ("active", "Expiring", "unhealthy"),
        ("active", "Inactive", "retired"),
        ("unhealthy", "Active", "active"),
        ("unhealthy", "INACTIVE", "retired"),
        ("retired", "Active", "retired"),
        ("active", "Active", "active"),
    ],
)
def test_number_events_update_the_pool(provider, before, reported, after):
    VirtualNumberFactory(number="+6531500123", status=before)
    post(
        provider,
        "virtual-number-updated",
        payloads.numbers("UPDATES", payloads.number("+6531500123", reported)),
    )
    assert VirtualNumber.objects.get().status == after
    assert NumberEvent.objects.count() == (0 if before == after else 1)


def test_unhealthy_number_keeps_serving_but_inactive_closes_sessions(provider, prompts):
    vn = VirtualNumberFactory(number="+6531500123")
    session = open_session(virtual_number=vn)
    post(
        provider,
        "virtual-number-updated",
        payloads.numbers("UPDATES", payloads.number("+6531500123", "Unhealthy")),
    )
    assert MaskingSession.objects.get(pk=session.pk).status == "open"
    post(
        provider,
        "virtual-number-updated",
        payloads.numbers("UPDATES", payloads.number("+6531500123", "Inactive")),
    )
    session.refresh_from_db()
    assert (session.status, session.close_reason) == ("closed", "number_retired")
    event = NumberEvent.objects.filter(status_after="retired").get()
    assert "inactive" in event.reason and event.status_before == "unhealthy"


def test_snapshot_adds_unknown_numbers_and_redelivery_changes_nothing(provider):
    body = payloads.numbers(
        "SNAPSHOT",
        payloads.number("+6531500201", "Active", "sg-pool-b"),
        payloads.number("+6531500202", "Inactive"),
    )
    assert post(provider, "virtual-number-updated", body).json()["changed"] == 1
    added = VirtualNumber.objects.get()
    assert (str(added.number), added.status, added.provider_reference) == (
        "+6531500201",
        "active",
        "sg-pool-b",
    )
    assert post(provider, "virtual-number-updated", body).json()["changed"] == 0
    assert NumberEvent.objects.count() == 1


def test_updates_do_not_add_unknown_numbers(provider):
    post(
        provider,
        "virtual-number-updated",
        payloads.numbers("UPDATES", payloads.number("+6531500201")),
    )
    assert not VirtualNumber.objects.exists()
