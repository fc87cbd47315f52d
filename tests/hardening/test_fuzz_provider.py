"""Garbage at every provider endpoint: never a 5xx, always a runnable callflow or a 4xx JSON error,
and nothing stored from a rejected request. Bodies come as JSON values, as raw JSON text with
what Python's encoder cannot write (lone surrogates, numbers beyond a double, deep nesting), and
chunked; Call Actions come from any caller ID at all.

Budget: HYPOTHESIS_PROFILE=ci (default, 120 examples per test) or long (3000).
"""

import io
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
    | st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, 2**63, 2**64])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    # Lone surrogates, which no database stores.
    | st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
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


def post_json(provider, endpoint: str, body):
    # json.dumps escapes lone surrogates ("\\ud800"), as a JSON sender would have to.
    return provider.post(
        f"/callflows/8x8/{endpoint}/", json.dumps(body), content_type="application/json"
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@given(body=json_values)
def test_any_json_at_all(provider, endpoint, body):
    before = counts()
    check(post_json(provider, endpoint, body), endpoint, before)


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
    check(post_json(provider, endpoint, body), endpoint, before)


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


# JSON text Python's encoder never writes: a value for the placeholder in a dumped body.
RAW_VALUES = [
    r'"\ud800"',
    r'"x\udfff"',
    r'{"\udc00": "\ud800"}',
    "1e400",
    "-1e400",
    "1e-400",
    "4.9e-324",
    "1E+308",
    "-0",
    "123456789012345678901234567890123456789",
    r'"\u0000"',
    "[" * 200 + "]" * 200,
    '{"a": ' * 200 + "1" + "}" * 200,
]
PLACEHOLDER = "@@RAW@@"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@given(
    path=st.lists(
        st.sampled_from(
            [
                "payload",
                "extra",
                "source",
                "destination",
                "eventId",
                "sessionId",
                "callDuration",
                "sipCode",
                "details",
                "callA",
                "errorDetails",
                "errorCode",
                "durationSeconds",
                "virtualNumbers",
                "referenceId",
                "msisdn",
            ]
        ),
        min_size=1,
        max_size=3,
    ),
    raw=st.sampled_from(RAW_VALUES),
)
def test_raw_json_python_cannot_write_anywhere(provider, endpoint, path, raw):
    text = json.dumps(mutate(ENDPOINTS[endpoint](), path, PLACEHOLDER)).replace(
        json.dumps(PLACEHOLDER), raw
    )
    before = counts()
    response = provider.post(
        f"/callflows/8x8/{endpoint}/", text.encode(), content_type="application/json"
    )
    check(response, endpoint, before)


def post_chunked(client, path: str, data: bytes):
    """As gunicorn hands over a chunked body: no Content-Length, an input that ends with it."""
    return client.generic(
        "POST",
        path,
        data,
        "application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
        **{"wsgi.input": io.BytesIO(data), "wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@given(body=json_values | st.just(None).map(lambda _: "valid"))
def test_chunked_bodies(provider, endpoint, body):
    body = ENDPOINTS[endpoint]() if body == "valid" else body
    before = counts()
    response = post_chunked(provider, f"/callflows/8x8/{endpoint}/", json.dumps(body).encode())
    check(response, endpoint, before)
    if body == ENDPOINTS[endpoint]():
        assert response.status_code == 200


def test_any_caller_id_at_all_gets_a_runnable_callflow_and_200(provider, prompts):
    @given(
        caller=st.none()
        | st.text(max_size=30)
        | st.sampled_from(["anonymous", "Restricted", "12345", "+0000000000", "+65123456789"])
        | st.integers()
        | json_values,
    )
    def run(caller):
        response = post_json(provider, "call-action", call_action(caller, VN))
        assert response.status_code == 200, response.content[:300]
        assert callflow_problems(response.json()) == []

    run()


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
