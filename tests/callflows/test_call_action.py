"""The Call Action webhook end to end: authentication, validation, decision, callflow."""

import logging
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from callflows.models import Call
from callflows.provider_state import provider_connection_record
from masking.models import MaskingSession, VirtualNumber
from masking.services.consent import consent_record, consent_revoke
from masking.services.sessions import session_close
from tests.callflows.conftest import AUTH, VN, A, B, call_action
from tests.factories import VirtualNumberFactory, open_session

URL = "/callflows/8x8/call-action/"
pytestmark = pytest.mark.django_db


def actions(response):
    return [step["action"] for step in response.json()["callflow"]]


def spoken(response):
    return [s["params"]["text"] for s in response.json()["callflow"] if s["action"] == "say"]


@pytest.mark.parametrize(
    "caller, dialled, other",
    [
        (A, VN, "6591230002"),
        (B, VN, "6591230001"),
        (A.lstrip("+"), VN.lstrip("+"), "6591230002"),
        (" " + B, VN, "6591230001"),
    ],
)
def test_participant_is_connected_to_the_other_party(
    provider, prompts, pairing, caller, dialled, other
):
    response = provider.post(URL, call_action(caller, dialled), format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["clientActionId"] == f"masking-connect-{pairing.pk}"
    assert spoken(response) == ["[connecting]"]
    make_call = body["callflow"][-1]
    assert make_call == {
        "action": "makeCall",
        "params": {"source": "6531500101", "destination": other},
    }


def test_e164_number_format_setting(provider, settings, prompts, pairing):
    settings.MASKING_CALLFLOW_NUMBER_FORMAT = "e164"
    params = provider.post(URL, call_action(A, VN), format="json").json()["callflow"][-1]["params"]
    assert params == {"source": "+6531500101", "destination": "+6591230002"}


@pytest.mark.parametrize(
    "opted_in, rule, first_action, recorded",
    [
        ([A, B], "every_party", "say", True),
        ([A], "every_party", "say", False),
        ([B], "every_party", "say&capture", False),  # the caller is asked by keypad
        ([A], "caller_only", "say", True),
        ([B], "caller_only", "say&capture", False),
        ([], "every_party", "say", False),
    ],
)
def test_recording_follows_request_and_consent(
    provider, settings, prompts, recording_push, opted_in, rule, first_action, recorded
):
    settings.MASKING_RECORDING_CONSENT = rule
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, recording_requested=True)
    for number in opted_in:
        consent_record(number=number, method="admin")
    response = provider.post(URL, call_action(A, VN), format="json")
    flow = response.json()["callflow"]
    assert flow[0]["action"] == first_action
    if first_action == "say&capture":
        assert [s["action"] for s in flow] == ["say&capture"]
        # The consent request, not the notice: it says what pressing 1 does.
        assert flow[0]["params"]["text"].startswith("This call can be recorded. Press 1")
        return
    params = flow[-1]["params"]
    assert params.get("callRecording", False) is recorded
    assert spoken(response) == (["[recording_notice]"] if recorded else ["[connecting]"])


# Issue 27, finding 4: recording asked for only where 8x8 can record.
@pytest.mark.parametrize("known", ["never read", "8x8 reported none"])
def test_without_a_recording_push_configuration_the_call_connects_unrecorded(
    provider, prompts, admin_client, known
):
    if known == "8x8 reported none":
        provider_connection_record(
            dialect="seed", dialect_reason="", recording_push=False, recording_push_described=""
        )
    session = open_session(
        virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, recording_requested=True
    )
    consent_record(number=B, method="admin")  # the caller's yes would decide: not even asked
    flow = provider.post(URL, call_action(A, VN), format="json").json()["callflow"]
    assert [step["action"] for step in flow] == ["say", "makeCall"]
    assert "callRecording" not in flow[-1]["params"]
    call = Call.objects.get()
    assert (call.recorded, call.recording_withheld) == (False, "no_push_config")
    page = admin_client.get(reverse("admin:callflows_call_change", args=[call.pk]))
    assert "no recording push configuration" in page.content.decode()
    assert session.pk == call.masking_session_id


def test_revoked_consent_stops_recording(provider, prompts):
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, recording_requested=True)
    consent_record(number=A, method="admin")
    consent_revoke(opt_in=consent_record(number=B, method="admin"))
    params = provider.post(URL, call_action(A, VN), format="json").json()["callflow"][-1]["params"]
    assert "callRecording" not in params


def test_stranger_gets_no_session_prompt_and_hangup(provider, prompts, pairing):
    response = provider.post(URL, call_action("+6591239999", VN), format="json")
    assert response.status_code == 200
    assert spoken(response) == ["[no_session]"]
    assert actions(response) == ["say", "hangup"]


def test_participant_of_another_number_is_not_connected(provider, prompts, pairing):
    other_vn = VirtualNumberFactory(number="+6531500102")
    response = provider.post(URL, call_action(A, str(other_vn.number)), format="json")
    assert actions(response) == ["say", "hangup"]


@pytest.mark.parametrize("state", ["expired", "closed", "future"])
def test_sessions_that_do_not_route(provider, prompts, state):
    now = timezone.now()
    vn = VirtualNumberFactory(number=VN)
    times = {
        "expired": dict(started_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1)),
        "closed": {},
        "future": dict(started_at=now + timedelta(hours=1)),
    }[state]
    session = open_session(virtual_number=vn, a=A, b=B, **times)
    if state == "closed":
        session_close(session=session, reason="staff")
    response = provider.post(URL, call_action(A, VN), format="json")
    assert spoken(response) == ["[no_session]"]
    assert actions(response) == ["say", "hangup"]
    if state == "expired":  # routing did not need the sweep, and did not write either
        assert MaskingSession.objects.get().status == "open"


def test_unknown_number_gets_not_in_service(provider, prompts):
    response = provider.post(URL, call_action(A, "+6531509999"), format="json")
    assert spoken(response) == ["[not_in_service]"]
    assert actions(response) == ["say", "hangup"]


def test_unknown_number_without_prompt_just_hangs_up(provider):
    response = provider.post(URL, call_action(A, "+6531509999"), format="json")
    assert response.json()["callflow"] == [{"action": "hangup"}]


def test_retired_number_routes_nobody(provider, prompts, pairing):
    VirtualNumber.objects.filter(number=VN).update(status="retired")
    response = provider.post(URL, call_action(A, VN), format="json")
    assert spoken(response) == ["[not_in_service]"]


@pytest.mark.parametrize("header", [None, "", "Bearer wrong", AUTH + " ", AUTH.lower()])
def test_strangers_get_401_json(provider, pairing, header):
    provider.credentials(**({"HTTP_AUTHORIZATION": header} if header is not None else {}))
    response = provider.post(URL, call_action(A, VN), format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert "makeCall" not in response.content.decode()


def test_unset_secret_refuses_everyone(provider, settings, pairing):
    settings.WEBHOOK_AUTH_HEADER = ""
    provider.credentials(HTTP_AUTHORIZATION="")
    assert provider.post(URL, call_action(A, VN), format="json").status_code == 401


def without(body, field):
    del body["payload"][field]
    return body


@pytest.mark.parametrize(
    "body, field",
    [
        (without(call_action(A, VN), "destination"), "payload.destination"),
        (call_action(A, None), "payload.destination"),
        (call_action(A, {"number": VN}), "payload.destination"),
        (call_action(A, [VN]), "payload.destination"),
        ({"eventType": "CALL_ACTION"}, "payload"),
        ({"eventType": "CALL_ACTION", "payload": "x"}, "payload"),
        ({**call_action(A, VN), "eventType": "CALL_STATUS"}, "eventType"),
        ([1, 2, 3], "body"),
    ],
)
def test_bodies_that_are_not_a_call_action_get_400_naming_the_field(provider, pairing, body, field):
    response = provider.post(URL, body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["fields"]


# Caller IDs 8x8 may forward that are no number we can read: withheld ("anonymous",
# "Restricted", missing), short codes, impossible numbers, and 8x8's own documentation example
# (+65 with 9 digits, one too many for Singapore).
ODD_CALLER_IDS = [
    "anonymous",
    "Restricted",
    "12345",
    "+0000000000",
    "+65123456789",
    "",
    None,
    12345,
    {"number": A},
    "x" * 300,
]


@pytest.mark.parametrize("caller", ODD_CALLER_IDS)
def test_odd_caller_id_is_still_a_caller_and_gets_the_no_session_flow(
    provider, prompts, pairing, caller, caplog
):
    with caplog.at_level(logging.INFO):
        response = provider.post(URL, call_action(caller, VN), format="json")
    assert response.status_code == 200
    assert spoken(response) == ["[no_session]"]
    assert actions(response) == ["say", "hangup"]
    # On record as a call from nobody we can name, never as a mangled number.
    call = Call.objects.get()
    assert (call.outcome, call.caller, call.virtual_number) == ("no_session", "", VN)
    if isinstance(caller, str) and caller:
        assert caller not in _redacted(caplog.records)


def test_odd_caller_id_on_a_number_with_pin_sessions_is_asked_for_a_pin(provider, prompts):
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, pin_a="482193")
    response = provider.post(URL, call_action("anonymous", VN), format="json")
    assert response.status_code == 200
    assert response.json()["clientActionId"] == "masking-ask_pin-1"


def test_odd_caller_id_to_a_number_not_ours_gets_not_in_service(provider, prompts):
    response = provider.post(URL, call_action("Restricted", "+6531509999"), format="json")
    assert response.status_code == 200
    assert spoken(response) == ["[not_in_service]"]


@pytest.mark.parametrize(
    "dialled", ["12", "+999123456789", "+0000000000", "anonymous", "", 6531500101999999]
)
def test_destination_we_cannot_read_gets_not_in_service(provider, prompts, pairing, dialled):
    response = provider.post(URL, call_action(A, dialled), format="json")
    assert response.status_code == 200
    assert spoken(response) == ["[not_in_service]"]
    assert actions(response) == ["say", "hangup"]
    call = Call.objects.get()
    assert (call.outcome, call.caller, call.virtual_number) == ("not_in_service", A, "")


def test_a_number_sent_as_a_json_number_is_read(provider, prompts, pairing):
    response = provider.post(URL, call_action(6591230001, 6531500101), format="json")
    assert response.json()["callflow"][-1]["action"] == "makeCall"


def test_body_that_is_not_json_gets_400(provider, pairing):
    response = provider.post(URL, "source=+6591230001", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_failure_inside_the_decision_answers_apology_and_logs_no_number(
    provider, prompts, pairing, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError(f"bug while routing {A}")

    monkeypatch.setattr("callflows.answer.decide", broken)
    with caplog.at_level(logging.INFO):
        response = provider.post(URL, call_action(A, VN), format="json")
    assert response.status_code == 200
    assert spoken(response) == ["[apology]"]
    assert actions(response) == ["say", "hangup"]
    assert any("answering apology" in r.getMessage() for r in caplog.records)
    assert not re.search(r"\+?65\d{8}", _redacted(caplog.records))


def _redacted(records) -> str:
    """What the console handler writes: messages and tracebacks, through its redaction filter."""
    from masking.privacy import RedactPhoneNumbersFilter

    redact = RedactPhoneNumbersFilter()
    formatter = logging.Formatter("%(message)s")
    lines = []
    for record in records:
        redact.filter(record)
        lines.append(formatter.format(record))
    return "\n".join(lines)


def test_fallback_apology_when_no_prompt_exists(provider, pairing, monkeypatch):
    monkeypatch.setattr("callflows.answer.decide", lambda *a, **k: 1 / 0)
    response = provider.post(URL, call_action(A, VN), format="json")
    assert response.status_code == 200
    assert spoken(response) == [
        "Sorry, we cannot connect your call right now. Please try again later."
    ]
    assert response.json()["callflow"][0]["params"]["language"] == "en"


@pytest.mark.parametrize("sessions", [1, 200])
def test_connect_path_makes_a_fixed_number_of_queries(
    provider, prompts, django_assert_max_num_queries, sessions
):
    vn = VirtualNumberFactory(number=VN)
    for _ in range(sessions):
        open_session(virtual_number=vn, recording_requested=True)
    open_session(virtual_number=vn, a=A, b=B, recording_requested=True)
    provider.post(URL, call_action(B, VN, eventId="warm-up"), format="json")  # prompts cached
    # One read (the call's facts) and one write (its record; on SQLite two statements in one
    # transaction, in process, plus the test's savepoint around them).
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 5):
        response = provider.post(URL, call_action(A, VN), format="json")
    assert actions(response)[-1] == "makeCall"
