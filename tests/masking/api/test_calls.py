"""Calls in the API: what the business backend reads about its sessions' calls."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.utils import timezone

from callflows.models import Call
from tests.factories import VirtualNumberFactory, open_session
from tests.masking.api.conftest import client_for

pytestmark = pytest.mark.django_db

VN = "+6531500101"
A, B, STRANGER = "+6598761301", "+6598761302", "+6598761309"


def user_with(*codenames: str, username: str = "backend") -> User:
    user = User.objects.create_user(username)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


CALL_READER = ("view_call", "view_maskingsession")


@pytest.fixture
def calls(db):
    """A session with three calls: A connected and talked, B not answered, a stranger refused."""
    vn = VirtualNumberFactory(number=VN)
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-42")
    other = open_session(
        virtual_number=VirtualNumberFactory(number="+6531500102"), reference="booking-43"
    )
    start = timezone.now() - timedelta(hours=2)
    made = {
        "a_talked": Call.objects.create(
            provider_session_id="vs-1",
            caller=A,
            virtual_number=VN,
            masking_session=session,
            outcome=Call.Outcome.CONNECT,
            recorded=True,
            recording_id="rec-1",
            status=Call.Status.COMPLETED,
            started_at=start,
            ended_at=start + timedelta(seconds=95),
            caller_seconds=100,
            callee_seconds=93,
        ),
        "b_no_answer": Call.objects.create(
            provider_session_id="vs-2",
            caller=B,
            virtual_number=VN,
            masking_session=session,
            outcome=Call.Outcome.CONNECT,
            status=Call.Status.NO_ANSWER,
        ),
        "stranger": Call.objects.create(
            provider_session_id="vs-3",
            caller=STRANGER,
            virtual_number=VN,
            outcome=Call.Outcome.NO_SESSION,
        ),
        "other_session": Call.objects.create(
            provider_session_id="vs-4",
            caller=str(other.participants.get(role="a").number),
            virtual_number="+6531500102",
            masking_session=other,
            outcome=Call.Outcome.CONNECT,
        ),
    }
    Call.objects.filter(pk=made["stranger"].pk).update(created_at=start - timedelta(days=3))
    return {"session": session, **made}


def test_a_sessions_calls_with_decision_outcome_times_talk_time_recording_and_role(calls):
    client = client_for(user_with(*CALL_READER, "view_full_numbers"))
    response = client.get(f"/api/sessions/{calls['session'].pk}/calls/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["count"] == 2
    by_id = {row["id"]: row for row in body["results"]}
    talked = by_id[calls["a_talked"].pk]
    assert talked == {
        "id": calls["a_talked"].pk,
        "session": calls["session"].pk,
        "reference": "booking-42",
        "virtual_number": VN,
        "caller": A,
        "caller_role": "a",
        "decision": "connect",
        "outcome": "COMPLETED",
        "started_at": talked["started_at"],
        "ended_at": talked["ended_at"],
        "talk_seconds": 93,
        "recorded": True,
        "recording_received": True,
        "created_at": talked["created_at"],
    }
    assert talked["started_at"] and talked["ended_at"]
    no_answer = by_id[calls["b_no_answer"].pk]
    assert (no_answer["caller_role"], no_answer["outcome"], no_answer["talk_seconds"]) == (
        "b",
        "NO_ANSWER",
        0,
    )
    assert (no_answer["recorded"], no_answer["recording_received"]) == (False, False)


def test_all_calls_lists_every_call_newest_first_with_strangers_unassigned(calls):
    client = client_for(user_with(*CALL_READER, "view_full_numbers"))
    body = client.get("/api/calls/").json()
    assert body["count"] == 4
    stranger = next(r for r in body["results"] if r["id"] == calls["stranger"].pk)
    assert (stranger["session"], stranger["reference"], stranger["caller_role"]) == (
        None,
        None,
        None,
    )
    assert (stranger["decision"], stranger["outcome"]) == ("no_session", None)
    assert body["results"][-1]["id"] == calls["stranger"].pk  # the oldest


@pytest.mark.parametrize(
    "query, expected",
    [
        ("reference=booking-42", ["a_talked", "b_no_answer"]),
        ("reference=booking-43", ["other_session"]),
        ("outcome=COMPLETED", ["a_talked"]),
        ("outcome=NO_ANSWER", ["b_no_answer"]),
        ("decision=no_session", ["stranger"]),
        ("since={yesterday}", ["a_talked", "b_no_answer", "other_session"]),
        ("until={yesterday}", ["stranger"]),
        ("since={yesterday}&reference=booking-42&outcome=COMPLETED", ["a_talked"]),
    ],
)
def test_calls_filters(calls, query, expected):
    client = client_for(user_with(*CALL_READER))
    yesterday = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    query = query.format(yesterday=yesterday)
    response = client.get(f"/api/calls/?{query}")
    assert response.status_code == 200, response.json()
    assert sorted(r["id"] for r in response.json()["results"]) == sorted(
        calls[name].pk for name in expected
    )


def test_calls_filter_by_session(calls):
    client = client_for(user_with(*CALL_READER))
    body = client.get(f"/api/calls/?session={calls['session'].pk}").json()
    assert sorted(r["id"] for r in body["results"]) == sorted(
        [calls["a_talked"].pk, calls["b_no_answer"].pk]
    )


@pytest.mark.parametrize(
    "query, fields",
    [
        ("outcome=WHATEVER&since=yesterday", {"outcome", "since"}),
        (f"session={10**30}", {"session"}),  # found by the fuzzer: a 500 on SQLite
        ("session=1.5", {"session"}),
        ("session=-1", {"session"}),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_it(calls, query, fields):
    client = client_for(user_with(*CALL_READER))
    response = client.get(f"/api/calls/?{query}")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == fields


@pytest.mark.parametrize(
    "full, shown", [(True, A), (False, "+65 •••• •301")], ids=["full numbers", "masked"]
)
def test_callers_are_shown_as_the_disclosure_policy_says(calls, full, shown):
    codenames = CALL_READER + (("view_full_numbers",) if full else ())
    client = client_for(user_with(*codenames))
    for path in (f"/api/sessions/{calls['session'].pk}/calls/", "/api/calls/"):
        rows = client.get(path).json()["results"]
        caller = next(r["caller"] for r in rows if r["id"] == calls["a_talked"].pk)
        assert caller == shown


@pytest.mark.parametrize(
    "codenames, all_calls, session_calls",
    [
        ((), 403, 403),
        (("view_maskingsession",), 403, 403),
        (("view_call",), 200, 403),
        (("view_call", "view_maskingsession"), 200, 200),
        (("add_maskingsession", "change_maskingsession", "change_call"), 403, 403),
    ],
)
def test_permission_matrix(calls, codenames, all_calls, session_calls):
    client = client_for(user_with(*codenames))
    session = calls["session"].pk
    for method in ("get", "head", "options"):
        assert getattr(client, method)("/api/calls/").status_code == all_calls, method
        assert getattr(client, method)(f"/api/calls/{calls['a_talked'].pk}/").status_code == (
            all_calls
        )
        response = getattr(client, method)(f"/api/sessions/{session}/calls/")
        assert response.status_code == session_calls, method


def test_without_permission_the_answer_does_not_tell_whether_a_session_exists(calls):
    client = client_for(user_with("view_call"))
    known = client.get(f"/api/sessions/{calls['session'].pk}/calls/")
    unknown = client.get("/api/sessions/999999/calls/")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())


def test_calls_are_read_only(calls):
    client = client_for(user_with("view_call", "add_call", "change_call", "delete_call"))
    # Refused like any action the permission table does not list, before anything is looked up.
    assert client.post("/api/calls/", {"caller": A}, format="json").status_code == 403
    assert client.delete(f"/api/calls/{calls['a_talked'].pk}/").status_code == 403
    assert Call.objects.count() == 4


def test_anonymous_gets_nothing(client, calls):
    assert client.get("/api/calls/").status_code in (401, 403)


def test_calls_are_in_the_openapi_schema(admin_client):
    schema = admin_client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/calls/" in schema["paths"]
    assert "/api/calls/{id}/" in schema["paths"]
    assert "/api/sessions/{id}/calls/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/calls/"]["get"]["parameters"]}
    assert {"session", "reference", "since", "until", "outcome", "decision"} <= params


def test_the_backend_user_reads_calls(calls):
    call_command("setup_api_user", "backend")
    client = client_for(User.objects.get(username="backend"))
    assert client.get("/api/calls/").status_code == 200
    assert client.get(f"/api/sessions/{calls['session'].pk}/calls/").status_code == 200
