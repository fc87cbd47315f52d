"""GET /api/events/ and POST /api/events/redeliver/: a backend back from an outage lists what it
missed and asks for it again, without staff."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from masking.models import Callback, CallbackAttempt
from tests.callback_receiver import run_worker
from tests.factories import VirtualNumberFactory, open_session
from tests.masking.api.conftest import client_for

pytestmark = pytest.mark.django_db

A, B = "+6598761901", "+6598761902"


@pytest.fixture
def events(receiver):
    vn = VirtualNumberFactory(number="+6531500501")
    session = open_session(virtual_number=vn, a=A, b=B, reference="booking-9")
    return session


def user_with(django_user_model, *codenames):
    user = django_user_model.objects.create_user("events-" + "-".join(codenames))
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return client_for(user)


def test_events_are_listed_with_their_delivery_state_and_attempts(
    events, receiver, django_user_model
):
    receiver.answer(500)
    run_worker()
    backend = user_with(django_user_model, "view_callback")
    body = backend.get("/api/events/").json()
    (event,) = body["results"]
    callback = Callback.objects.get()
    assert event["id"] == callback.webhook_id
    assert event["type"] == "session.opened"
    assert event["status"] == "pending" and event["attempts"] == 1
    assert [a["status_code"] for a in event["attempt_log"]] == [500]
    assert event["payload"]["data"]["session"]["reference"] == "booking-9"
    assert A not in str(body) and B not in str(body)
    detail = backend.get(f"/api/events/{callback.webhook_id}/")
    assert detail.status_code == 200 and detail.json()["id"] == callback.webhook_id


def test_events_need_the_view_permission(events, django_user_model):
    response = user_with(django_user_model, "view_maskingsession").get("/api/events/")
    assert response.status_code == 403


def test_redeliver_by_ids_and_by_time_range(events, receiver, django_user_model):
    run_worker()
    callback = Callback.objects.get()
    assert callback.status == Callback.Status.DELIVERED
    backend = user_with(django_user_model, "view_callback", "change_callback")
    response = backend.post("/api/events/redeliver/", {"ids": [callback.webhook_id]}, format="json")
    assert response.status_code == 202
    assert response.json() == {"queued": 1, "being_delivered": []}
    run_worker()
    hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    response = backend.post("/api/events/redeliver/", {"since": hour_ago}, format="json")
    assert response.json()["queued"] == 1
    run_worker()
    ids = [d.webhook_id for d in receiver.deliveries()]
    assert ids == [callback.webhook_id] * 3  # the same id: the receiver dedupes
    assert CallbackAttempt.objects.filter(callback=callback).count() == 3


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "since"),
        ({"ids": []}, "ids"),
        ({"ids": ["msg_unknown"]}, "ids"),
        ({"ids": ["x"], "since": "2026-01-01T00:00:00Z"}, "ids"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"idz": ["x"]}, "idz"),
    ],
)
def test_bad_redeliver_requests_are_400_naming_the_field_and_change_nothing(
    events, receiver, django_user_model, body, field
):
    run_worker()
    before = list(Callback.objects.values_list("status", "attempts", "task_id"))
    backend = user_with(django_user_model, "view_callback", "change_callback")
    response = backend.post("/api/events/redeliver/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert list(Callback.objects.values_list("status", "attempts", "task_id")) == before


def test_redeliver_needs_the_change_permission(events, django_user_model):
    backend = user_with(django_user_model, "view_callback")
    callback = Callback.objects.get()
    response = backend.post("/api/events/redeliver/", {"ids": [callback.webhook_id]}, format="json")
    assert response.status_code == 403
