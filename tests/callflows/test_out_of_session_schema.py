"""The API's schema describes what the business receives and answers about calls in no session
(issue 30), and it matches the code: what we send validates, and the answers `read_answer` takes
are exactly those the schema allows."""

import copy
import json

import jsonschema
import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from callflows.decision import BusinessKind
from callflows.out_of_session import read_answer
from masking.api.business_schemas import OUT_OF_SESSION_ANSWER, OUT_OF_SESSION_REQUEST
from masking.routing import CallFacts


def _json_schema(openapi: dict) -> dict:
    """OpenAPI 3.0's `nullable` as JSON Schema's null type, for jsonschema."""
    found = copy.deepcopy(openapi)

    def walk(node):
        if isinstance(node, dict):
            if node.pop("nullable", False):
                node["type"] = [node["type"], "null"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(found)
    return found


def test_the_api_schema_carries_the_request_and_the_answers():
    pristine = copy.deepcopy((OUT_OF_SESSION_REQUEST, OUT_OF_SESSION_ANSWER))
    for _ in range(2):  # and generating it again finds them the same
        schema = SchemaGenerator().get_schema(request=None, public=True)
        components = schema["components"]["schemas"]
        assert components["OutOfSessionRequest"] == pristine[0]
        assert components["OutOfSessionAnswer"] == pristine[1]


@pytest.mark.django_db
def test_what_we_send_validates():
    from callflows.ask_business import request_body
    from tests.factories import VirtualNumberFactory, open_session

    number = VirtualNumberFactory()
    session = open_session(virtual_number=number, a="+6591230001", b="+6591230002")
    session.status = "closed"
    session.closed_at = timezone.now()
    session.save()
    facts = CallFacts(
        virtual_number=str(number.number), caller="+6591230001", number_status="active"
    )
    body = request_body(facts=facts, provider_session_id="abc-1", now=timezone.now())
    assert body["data"]["recent_sessions"]  # the closed session, by reference
    jsonschema.validate(json.loads(json.dumps(body)), _json_schema(OUT_OF_SESSION_REQUEST))
    withheld = CallFacts(virtual_number=str(number.number), caller="", number_status="active")
    body = request_body(facts=withheld, provider_session_id="abc-2", now=timezone.now())
    jsonschema.validate(json.loads(json.dumps(body)), _json_schema(OUT_OF_SESSION_REQUEST))


ANSWERS = [
    ({"action": "refuse"}, True),
    ({"action": "prompt", "text": "Your ride has ended."}, True),
    ({"action": "prompt", "text": ""}, False),
    ({"action": "prompt", "text": "x" * 3001}, False),
    ({"action": "prompt"}, False),
    ({"action": "connect", "number": "+6591230002"}, True),
    ({"action": "connect"}, False),
    ({"action": "open_session", "participant": "+6591230002"}, True),
    (
        {
            "action": "open_session",
            "participant": "+6591230002",
            "reference": "ride-42",
            "expires_in_seconds": 3600,
        },
        True,
    ),
    ({"action": "open_session", "participant": "+6591230002", "expires_in_seconds": 59}, False),
    ({"action": "open_session", "participant": "+6591230002", "reference": "r" * 101}, False),
    ({"action": "hold"}, False),
    ({}, False),
]


@pytest.mark.parametrize(("answer", "accepted"), ANSWERS)
def test_the_answers_read_are_the_answers_the_schema_allows(answer, accepted):
    read = read_answer(json.dumps(answer).encode(), elapsed_ms=5)
    assert (read.kind != BusinessKind.BAD_ANSWER) == accepted, read.detail
    try:
        jsonschema.validate(answer, _json_schema(OUT_OF_SESSION_ANSWER))
        valid = True
    except jsonschema.ValidationError:
        valid = False
    assert valid == accepted
