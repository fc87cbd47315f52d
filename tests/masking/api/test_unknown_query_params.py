"""Every route of the API refuses query parameters it does not know, with a 400 naming them, and
changes nothing: `?sesion=4` (a typo of `session`) must not answer every call. By enumeration:
each route the resolver knows, each method it answers."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Q

from callflows.models import Call
from masking.api.urls import urlpatterns
from masking.models import Callback, MaskingSession, RecordingOptIn, VirtualNumber
from tests.factories import VirtualNumberFactory, open_session
from tests.masking.api.conftest import client_for

pytestmark = pytest.mark.django_db

# Documentation, not data: the schema and its page take drf-spectacular's own parameters.
NOT_DATA = {"schema", "docs", "api-root"}


def routes():
    for pattern in urlpatterns:
        regex = pattern.pattern.regex.pattern
        if pattern.name in NOT_DATA or "format" in regex:
            continue
        for method in pattern.callback.actions:
            yield pattern.name, regex, method


def url_for(regex: str, pk) -> str:
    path = re.sub(r"\(\?P<pk>[^)]*\)", str(pk), regex).lstrip("^").rstrip("$")
    return f"/api/{path}"


def state():
    return [
        list(model.objects.order_by("pk").values())
        for model in (MaskingSession, VirtualNumber, RecordingOptIn, Callback, Call)
    ]


@pytest.mark.parametrize("name, regex, method", list(routes()))
def test_every_route_refuses_an_unknown_query_parameter(
    name, regex, method, django_user_model, receiver
):
    user = django_user_model.objects.create_user("backend")
    user.user_permissions.set(
        Permission.objects.filter(Q(content_type__app_label="masking") | Q(codename="view_call"))
    )
    vn = VirtualNumberFactory(number="+6531500601")
    session = open_session(virtual_number=vn, a="+6598762001", b="+6598762002")
    opt_in = RecordingOptIn.objects.create(number="+6598762001")
    Call.objects.create(provider_session_id="params-1")
    pk = {
        "session": session.pk,
        "call": Call.objects.get().pk,
        "virtual-number": vn.pk,
        "recording-opt-in": opt_in.pk,
        "event": Callback.objects.get().webhook_id,
    }[name.rsplit("-", 1)[0] if not name.startswith("recording") else "recording-opt-in"]
    before = state()
    response = getattr(client_for(user), method)(
        url_for(regex, pk) + "?sesion=4&ordering=id", {}, format="json"
    )
    assert response.status_code == 400, (name, method, response.content)
    assert sorted(response.json()["fields"]) == ["ordering", "sesion"]
    assert state() == before
