"""Issue 27, finding 8: a 401 says in the log which check failed, never the secret."""

import logging

import pytest

from tests.callflows.conftest import VN, A, call_action

pytestmark = pytest.mark.django_db
SECRET = "Bearer 3f9c1e7a5b2d4c6e-secret"
TOKEN = SECRET.split(" ", 1)[1]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "no Authorization header"),
        (f"Bearer {SECRET}", "the scheme twice (Bearer Bearer …)"),
        (TOKEN, "the token without its scheme 'Bearer'"),
        ("Basic YWRtaW46c2VjcmV0", "another scheme ('Basic' where 'Bearer' is expected)"),
        (
            "Bearer 3f9c1e7a5b2d4c6e-secreT",
            "a wrong value (30 characters where 30 are expected, same scheme)",
        ),
        (f" {SECRET} ", "the expected value with whitespace around it"),
    ],
    ids=["missing", "doubled scheme", "no scheme", "other scheme", "wrong value", "whitespace"],
)
def test_a_refused_call_logs_which_check_failed(client, settings, caplog, header, reason):
    settings.WEBHOOK_AUTH_HEADER = SECRET
    caplog.set_level(logging.WARNING)
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.post(
        "/callflows/8x8/call-action/",
        call_action(A, VN),
        content_type="application/json",
        **extra,
    )
    assert response.status_code == 401
    assert f"refused (401): {reason}" in caplog.text
    assert TOKEN not in caplog.text and TOKEN[:-1] not in caplog.text
