"""The edges of the event webhooks: no input gives a 5xx, and no value is stored wrapped or cut.

A value we cannot keep as sent is either refused (400 naming the field, nothing stored) or kept
in a column wide enough for it.
"""

import io
import json

import pytest

from callflows.models import Call, CallEvent, NumberEvent
from masking.models import VirtualNumber
from tests.callflows import payloads
from tests.callflows.conftest import VN, A, call_action

pytestmark = pytest.mark.django_db
INT32_MAX = 2**31 - 1


def post_raw(provider, path, text: str):
    return provider.post(f"/callflows/8x8/{path}/", text, content_type="application/json")


def with_raw_value(body: dict, raw: str, *, where: str = "payload") -> str:
    """`body` as JSON text with an unknown field `extra` holding `raw`, JSON text we write by
    hand because Python's encoder cannot produce it (a lone surrogate escape, 1e400)."""
    target = body if where == "top" else body["payload"]
    target["extra"] = "@@RAW@@"
    return json.dumps(body).replace('"@@RAW@@"', raw)


EVENTS = {
    "call-status": payloads.status,
    "session-summary": payloads.summary,
    "recording-uploaded": payloads.recording,
}

ODD_VALUES = [
    # (JSON text, what the raw event keeps)
    (r'"\ud800"', "\ufffd"),  # a lone surrogate is no character: the replacement character
    (r'"a\udfffb"', "a\ufffdb"),
    (r'"\ud83d\ude00"', "😀"),  # a proper pair is a character like any other
    (r'{"\udc00": 1}', {"\ufffd": 1}),
    ("1e400", "1e400"),  # beyond a double: kept as its text, never as Infinity
    ("-1e400", "-1e400"),
    ("1e-400", 0.0),
    (str(2**70), 2**70),
    ("[" * 50 + "1" + "]" * 50, json.loads("[" * 50 + "1" + "]" * 50)),
]


@pytest.mark.parametrize("where", ["payload", "top"])
@pytest.mark.parametrize("raw, kept", ODD_VALUES, ids=[v[0][:12] for v in ODD_VALUES])
@pytest.mark.parametrize("path", EVENTS)
def test_odd_values_in_unknown_fields_are_stored_not_a_500(provider, path, raw, kept, where):
    response = post_raw(provider, path, with_raw_value(EVENTS[path](), raw, where=where))
    assert response.status_code == 200, response.content
    stored = CallEvent.objects.get().payload
    assert (stored if where == "top" else stored["payload"])["extra"] == kept


@pytest.mark.parametrize("raw, kept", ODD_VALUES[:2] + ODD_VALUES[4:5])
def test_odd_values_in_a_number_update_entry_are_stored_and_the_change_applied(provider, raw, kept):
    body = payloads.numbers("SNAPSHOT", payloads.number("+6531500777"))
    body["payload"]["virtualNumbers"][0]["extra"] = "@@RAW@@"
    text = json.dumps(body).replace('"@@RAW@@"', raw)
    response = post_raw(provider, "virtual-number-updated", text)
    assert response.status_code == 200, response.content
    assert VirtualNumber.objects.filter(number="+6531500777").exists()
    assert NumberEvent.objects.get().payload["extra"] == kept


def test_a_surrogate_in_a_number_updates_reference_is_stored_replaced(provider):
    body = payloads.numbers("SNAPSHOT", payloads.number("+6531500777", reference="@@RAW@@"))
    text = json.dumps(body).replace('"@@RAW@@"', r'"pool-\ud800"')
    assert post_raw(provider, "virtual-number-updated", text).status_code == 200
    assert VirtualNumber.objects.get().provider_reference == "pool-\ufffd"


def summary_with(**changes):
    body = payloads.summary()
    for path, value in changes.items():
        target = body["payload"]
        *parents, name = path.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[name] = value
    return body


TOO_LARGE = [
    ("call-status", payloads.status(sipCode=2**63), "payload.sipCode"),
    ("call-status", payloads.status(sipCode=2**31), "payload.sipCode"),
    ("call-status", payloads.status(sipCode=-(2**31) - 1), "payload.sipCode"),
    ("call-status", payloads.status(sipCode="1e400"), "payload.sipCode"),
    ("call-status", payloads.status(callDuration=2**31), "payload.callDuration"),
    (
        "session-summary",
        summary_with(**{"details.callA.callDuration": 2**31}),
        "payload.details.callA.callDuration",
    ),
    (
        "session-summary",
        summary_with(**{"details.callB.callDuration": 2**63}),
        "payload.details.callB.callDuration",
    ),
    (
        "session-summary",
        summary_with(**{"errorDetails.errorCode": 2**63}),
        "payload.errorDetails.errorCode",
    ),
    (
        "session-summary",
        summary_with(**{"errorDetails.errorCode": 2**31}),
        "payload.errorDetails.errorCode",
    ),
    ("session-summary", summary_with(callCount=2**63), "payload.callCount"),
    (
        "session-summary",
        summary_with(**{"details.callA.callQuality.mos": 1e300}),
        "payload.details.callA.callQuality.mos",
    ),
]


@pytest.mark.parametrize("too_large", [2**31, 2**63])
def test_recording_duration_too_large_gets_400(provider, too_large):
    body = payloads.recording()
    body["payload"]["durationSeconds"] = too_large
    response = provider.post("/callflows/8x8/recording-uploaded/", body, format="json")
    assert response.status_code == 400
    assert "payload.durationSeconds" in response.json()["fields"]
    assert not CallEvent.objects.exists()


@pytest.mark.parametrize("path, body, field", TOO_LARGE, ids=[t[2] for t in TOO_LARGE])
def test_integers_too_large_for_their_column_get_400_naming_the_field(provider, path, body, field):
    response = provider.post(f"/callflows/8x8/{path}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert (Call.objects.count(), CallEvent.objects.count()) == (0, 0)


def test_numbers_at_the_edge_of_their_column_are_stored_exactly(provider):
    status = payloads.status(sipCode=INT32_MAX)
    assert provider.post("/callflows/8x8/call-status/", status, format="json").status_code == 200
    summary = summary_with(
        **{
            "errorDetails.errorCode": -(2**31),
            "details.callA.callDuration": INT32_MAX,
            "details.callB.callDuration": str(INT32_MAX),
        }
    )
    assert (
        provider.post("/callflows/8x8/session-summary/", summary, format="json").status_code == 200
    )
    call = Call.objects.get()
    assert CallEvent.objects.get(kind="status").sip_code == INT32_MAX
    assert (call.error_code, call.caller_seconds, call.callee_seconds) == (
        -(2**31),
        INT32_MAX,
        INT32_MAX,
    )


def test_a_long_error_message_is_stored_whole(provider):
    message = "Callee unreachable: " + "x" * 5000
    body = summary_with(**{"errorDetails.errorMsg": message, "errorDetails.errorCode": -2003})
    assert provider.post("/callflows/8x8/session-summary/", body, format="json").status_code == 200
    assert Call.objects.get().error_message == message


@pytest.mark.parametrize("path", EVENTS)
def test_session_ids_up_to_200_characters_are_stored_whole(provider, path):
    session = "s" * 200
    body = EVENTS[path](session=session)
    assert provider.post(f"/callflows/8x8/{path}/", body, format="json").status_code == 200
    assert Call.objects.get().provider_session_id == session
    too_long = EVENTS[path](session="s" * 201)
    response = provider.post(f"/callflows/8x8/{path}/", too_long, format="json")
    assert response.status_code == 400
    assert "payload.sessionId" in response.json()["fields"]


def test_a_call_action_with_a_200_character_session_id_is_on_record(provider, prompts, pairing):
    session, event = "s" * 200, "e" * 200
    body = call_action(A, VN, sessionId=session, eventId=event)
    response = provider.post("/callflows/8x8/call-action/", body, format="json")
    assert response.json()["callflow"][-1]["action"] == "makeCall"
    call = Call.objects.get()
    assert (call.provider_session_id, call.action_event_id, call.outcome) == (
        session,
        event,
        "connect",
    )


def post_chunked(client, path: str, body: dict):
    """POST `body` the way gunicorn hands over a chunked request: no Content-Length, and an input
    stream that ends where the body ends (`wsgi.input_terminated`)."""
    data = json.dumps(body).encode()
    return client.generic(
        "POST",
        path,
        data,
        "application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
        **{"wsgi.input": io.BytesIO(data), "wsgi.input_terminated": True},
    )


@pytest.mark.parametrize(
    "path, body",
    [
        ("call-action", call_action(A, VN)),
        ("call-status", payloads.status()),
        ("session-summary", payloads.summary()),
        ("recording-uploaded", payloads.recording()),
        ("virtual-number-updated", payloads.numbers("SNAPSHOT", payloads.number("+6531500777"))),
    ],
)
def test_chunked_bodies_are_read_like_any_other(provider, prompts, pairing, path, body):
    """gunicorn decodes a chunked body and marks its input as ending with it; Django alone would
    read such a body (it has no Content-Length) as empty."""
    response = post_chunked(provider, f"/callflows/8x8/{path}/", body)
    assert response.status_code == 200, response.content
    if path == "call-action":
        assert response.json()["callflow"][-1]["action"] == "makeCall"


def test_a_chunked_body_too_large_is_413(provider):
    body = payloads.status()
    body["payload"]["padding"] = "x" * 65_536
    response = post_chunked(provider, "/callflows/8x8/call-status/", body)
    assert response.status_code == 413


def test_api_reads_chunked_bodies_too(provider, django_user_model):
    from django.contrib.auth.models import Permission
    from rest_framework.test import APIClient

    from tests.factories import VirtualNumberFactory

    VirtualNumberFactory(number="+6531500101")
    user = django_user_model.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    api = APIClient()
    api.force_authenticate(user)
    body = {"participant_a": "+6591230001", "participant_b": "+6591230002"}
    response = post_chunked(api, "/api/sessions/", body)
    assert response.status_code == 201, response.content


def encoded(body: dict, codec: str, *, bom: bytes = b"") -> bytes:
    return bom + json.dumps(body, ensure_ascii=False).encode(codec)


# (Content-Type, how the body is encoded). 8x8 sends UTF-8; a body in the charset its
# Content-Type declares was read in it on DRF too, and a UTF-8 byte order mark, which JSON
# parsers may ignore (RFC 8259, 8.1), must not cost a caller their call.
CHARSET_BODIES = [
    ("application/json", "utf-8", b""),
    ("application/json; charset=UTF-8", "utf-8", b""),
    ("application/json; charset=iso-8859-1", "latin-1", b""),
    ("application/json; charset=utf-16", "utf-16", b""),
    ("application/json; charset=utf-16-le", "utf-16-le", b""),
    ("application/json", "utf-8", b"\xef\xbb\xbf"),
    ("application/json; charset=utf-8", "utf-8", b"\xef\xbb\xbf"),
    # Not text encodings (Python's codecs know them): read as UTF-8, as if undeclared. On DRF
    # these were a 500.
    ("application/json; charset=base64", "utf-8", b""),
    ("application/json; charset=rot13", "utf-8", b""),
    ("application/json; charset=no-such-codec", "utf-8", b""),
    ("text/plain", "utf-8", b""),
]


@pytest.mark.parametrize("content_type, codec, bom", CHARSET_BODIES)
def test_a_call_action_in_its_declared_charset_connects(
    provider, prompts, pairing, content_type, codec, bom
):
    body = encoded(call_action(A, VN, note="café"), codec, bom=bom)
    response = provider.generic("POST", "/callflows/8x8/call-action/", body, content_type)
    assert response.status_code == 200, response.content
    assert response.json()["callflow"][-1]["action"] == "makeCall"


@pytest.mark.parametrize("content_type, codec, bom", CHARSET_BODIES)
def test_an_event_in_its_declared_charset_is_stored_as_sent(provider, content_type, codec, bom):
    body = payloads.status()
    body["payload"]["note"] = "café"
    response = provider.generic(
        "POST", "/callflows/8x8/call-status/", encoded(body, codec, bom=bom), content_type
    )
    assert response.status_code == 200, response.content
    assert CallEvent.objects.get().payload["payload"]["note"] == "café"


def test_a_lone_surrogate_a_charset_decodes_to_is_stored_replaced(provider):
    """UTF-7 (unlike UTF-8 and UTF-16) decodes to lone surrogates, which no database stores."""
    body = payloads.status()
    body["payload"]["note"] = "@@RAW@@"
    # In UTF-7 "+" opens a run of base64 ("+-" is the "+" itself).
    text = json.dumps(body).replace("+", "+-").replace('"@@RAW@@"', '"a+2AA-b"').encode()
    response = provider.generic(
        "POST", "/callflows/8x8/call-status/", text, "application/json; charset=utf-7"
    )
    assert response.status_code == 200, response.content
    assert CallEvent.objects.get().payload["payload"]["note"] == "a\ufffdb"


@pytest.mark.parametrize("charset", ["base64", "rot13", "zlib"])
def test_api_reads_a_body_whose_charset_is_no_text_encoding_as_utf8(
    provider, django_user_model, charset
):
    """Python's codecs know these, so Django takes them as the request's encoding; decoding with
    one raised LookupError (a 500) in the API's parser."""
    from django.contrib.auth.models import Permission
    from rest_framework.test import APIClient

    from tests.factories import VirtualNumberFactory

    VirtualNumberFactory(number="+6531500101")
    user = django_user_model.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    api = APIClient()
    api.force_authenticate(user)
    body = json.dumps({"participant_a": "+6591230001", "participant_b": "+6591230002"})
    content_type = f"application/json; charset={charset}"
    response = api.generic("POST", "/api/sessions/", body.encode(), content_type)
    assert response.status_code == 201, response.content
