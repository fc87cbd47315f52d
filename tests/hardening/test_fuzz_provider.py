"""Garbage at every provider endpoint: never a 5xx, always a runnable callflow or a 4xx JSON error,
and nothing stored from a rejected request.

Budget: HYPOTHESIS_PROFILE=ci (default, 120 examples per test) or long (3000).
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callflows.models import Call, CallEvent, NumberEvent
from masking.models import VirtualNumber
from tests.callflow_shape import callflow_problems
from tests.callflows import payloads
from tests.callflows.conftest import VN, A, call_action

pytestmark = pytest.mark.django_db
ENDPOINTS = {
    "call-action": lambda: call_action(A, VN),
    "call-status": payloads.status,
    "session-summary": payloads.summary,
    "recording-uploaded": payloads.recording,
    "virtual-number-updated": lambda: payloads.numbers("SNAPSHOT", payloads.number("+6531500777")),
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "+6591230001",
            "6531500101",
            "CALL_ACTION",
            "COMPLETED",
            "Inactive",
            "",
            "😀" * 5,
            "x" * 5000,
            "-2003",
            "１２３",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=25,
)


def mutate(body: dict, draw_path: list, value):
    """Replace (or add) one field somewhere in a valid body."""
    target = body
    for key in draw_path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[draw_path[-1]] = value
    return body


def counts():
    return (
        Call.objects.count(),
        CallEvent.objects.count(),
        NumberEvent.objects.count(),
        VirtualNumber.objects.count(),
    )


def check(response, endpoint, before):
    assert response.status_code < 500, response.content[:300]
    answer = response.json()
    if response.status_code >= 400:
        assert isinstance(answer.get("error"), str)
        assert counts() == before, "a rejected request left something behind"
    elif endpoint == "call-action":
        assert callflow_problems(answer) == [], answer


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@given(body=json_values)
def test_any_json_at_all(provider, endpoint, body):
    before = counts()
    check(provider.post(f"/callflows/8x8/{endpoint}/", body, format="json"), endpoint, before)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@given(
    path=st.lists(
        st.sampled_from(
            [
                "payload",
                "eventType",
                "source",
                "destination",
                "eventId",
                "sessionId",
                "details",
                "callA",
                "callDuration",
                "sessionStatus",
                "virtualNumbers",
                "msisdn",
                "recordingId",
                "errorDetails",
                "callQuality",
            ]
        ),
        min_size=1,
        max_size=3,
    ),
    value=json_values,
)
def test_valid_bodies_with_one_field_broken(provider, endpoint, path, value):
    body = mutate(ENDPOINTS[endpoint](), path, value)
    before = counts()
    check(provider.post(f"/callflows/8x8/{endpoint}/", body, format="json"), endpoint, before)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 20000 + b"]" * 20000,
        b'{"payload": ' * 5000 + b"1" + b"}" * 5000,
        b"\xff\xfe\x00",
        b"",
        b"null",
        b'"just a string"',
        b"1e999999",
        b'{"payload": {"source": NaN}}',
    ],
    ids=["deep list", "deep object", "not utf-8", "empty", "null", "string", "huge number", "NaN"],
)
def test_hostile_raw_bodies(provider, endpoint, raw):
    before = counts()
    response = provider.post(f"/callflows/8x8/{endpoint}/", raw, content_type="application/json")
    check(response, endpoint, before)


def test_valid_call_actions_from_random_numbers_always_get_a_runnable_callflow(provider, prompts):
    @given(
        caller=st.from_regex(r"\+?[1-9][0-9]{6,14}", fullmatch=True),
        dialled=st.from_regex(r"\+?[1-9][0-9]{6,14}", fullmatch=True),
    )
    def run(caller, dialled):
        response = provider.post(
            "/callflows/8x8/call-action/",
            json.loads(json.dumps(call_action(caller, dialled))),
            format="json",
        )
        assert response.status_code == 200
        assert callflow_problems(response.json()) == []

    run()
