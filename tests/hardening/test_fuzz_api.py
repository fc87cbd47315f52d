"""Schemathesis against the management API's own OpenAPI schema: no 5xx, answers as documented,
and a rejected request changes nothing.

Examples per operation follow the Hypothesis profile (tests/conftest.py).
"""

import pytest
import schemathesis
from django.contrib.auth.models import Permission, User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.db.models import Q
from rest_framework.authtoken.models import Token

from masking.models import MaskingSession, RecordingOptIn, VirtualNumber
from masking.wsgi import application
from tests.factories import VirtualNumberFactory, open_session

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def keep_connection():
    """Schemathesis calls the WSGI app directly, past Django's test client, which is what normally
    stops each request from closing the test's database connection (and its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, keep_connection):
    user = User.objects.create_user("fuzzer")
    user.user_permissions.set(
        Permission.objects.filter(Q(content_type__app_label="masking") | Q(codename="view_call"))
    )
    VirtualNumberFactory(number="+6531500101")
    open_session(a="+6591230001", b="+6591230002")
    return Token.objects.create(user=user).key


def rows():
    return (
        MaskingSession.objects.count(),
        VirtualNumber.objects.count(),
        RecordingOptIn.objects.count(),
    )


@pytest.mark.django_db
@schema.parametrize()
def test_api_conforms_to_its_schema(case, token):
    before = rows()
    response = case.call(headers={"Authorization": f"Token {token}"})
    assert response.status_code < 500, response.text[:300]
    if response.status_code >= 400:
        assert rows() == before, "a rejected request left something behind"
        assert "error" in response.json()
    case.validate_response(
        response,
        checks=[
            schemathesis.checks.not_a_server_error,
            schemathesis.checks.content_type_conformance,
        ],
    )
