"""An endpoint that answers 410 Gone is disabled at once; one failing for
MASKING_CALLBACK_DISABLE_AFTER_HOURS is disabled then. Staff are told (dashboard, metric), events
are still written and listed but not sent, and after *Enable again* the backend asks for them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from masking.models import Callback, CallbackEndpointState
from tests.callback_receiver import elapse, run_worker
from tests.factories import VirtualNumberFactory, open_session
from tests.masking.test_health_and_metrics import scrape, staff_token_client

pytestmark = pytest.mark.django_db

_n = iter(range(100))


def open_one():
    n = next(_n)
    vn = VirtualNumberFactory(number=f"+65315008{n:02d}")
    return open_session(virtual_number=vn, a=f"+6598763{n:03d}", b=f"+6598764{n:03d}")


def disabled_metric() -> float:
    return scrape(staff_token_client(is_staff=True))[("masking_callback_endpoints_disabled", ())]


def test_an_endpoint_answering_410_gone_is_disabled_and_staff_are_told(receiver, admin_client):
    receiver.answer(410)
    open_one()
    run_worker()
    assert len(receiver.requests()) == 1  # tried once, not retried like any error
    callback = Callback.objects.get()
    assert callback.status == Callback.Status.FAILED
    state = CallbackEndpointState.objects.get()
    assert state.disabled_reason == "answered 410 Gone"
    page = admin_client.get("/admin/").content.decode()
    assert "Callbacks stopped" in page and "410 Gone" in page
    assert disabled_metric() == 1

    # Later events are written (the events API lists them) but not sent.
    open_one()
    run_worker()
    assert len(receiver.requests()) == 1
    assert Callback.objects.filter(status=Callback.Status.FAILED).count() == 2

    # Staff enable it again; the backend asks for what it missed.
    receiver.answer()
    admin_client.post(
        "/admin/masking/callbackendpointstate/",
        {"action": "enable_again", "_selected_action": [state.pk]},
    )
    assert disabled_metric() == 0
    ids = list(Callback.objects.values_list("webhook_id", flat=True))
    backend = staff_token_client(is_staff=True)
    backend.force_authenticate(User.objects.filter(is_superuser=True).first())
    response = backend.post("/api/events/redeliver/", {"ids": ids}, format="json")
    assert response.status_code == 202, response.content
    run_worker()
    assert sorted(d.webhook_id for d in receiver.deliveries()) == sorted(ids)


def test_an_endpoint_failing_for_the_set_time_is_disabled(receiver, settings):
    settings.MASKING_CALLBACK_DISABLE_AFTER_HOURS = 1
    settings.MASKING_CALLBACK_ATTEMPTS = 100
    receiver.answer(*[500] * 50)
    open_one()
    run_worker()
    assert CallbackEndpointState.objects.get().disabled_at is None  # failing, not for long yet
    CallbackEndpointState.objects.update(failing_since=(timezone_now() - timedelta(hours=2)))
    elapse(3600)
    run_worker()
    state = CallbackEndpointState.objects.get()
    assert state.disabled_at is not None and state.disabled_reason.startswith("failing since")
    tried = len(receiver.requests())
    elapse(3600 * 24)
    run_worker()
    assert len(receiver.requests()) == tried  # no more tries


def test_a_delivery_clears_the_failing_streak(receiver, settings):
    receiver.answer(500)
    open_one()
    run_worker()
    assert CallbackEndpointState.objects.get().failing_since is not None
    elapse(60)
    run_worker()
    assert CallbackEndpointState.objects.get().failing_since is None


def timezone_now():
    from django.utils import timezone

    return timezone.now()
