"""Callbacks delivered at least once, signed, never for a change that did not happen.

The receiver is a real local HTTP server (pytest-httpserver) that verifies every delivery with
the `standardwebhooks` package; the worker is django-tasks' own, run in-process.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook, WebhookVerificationError

from masking import outbound
from masking.models import Callback, CallbackEndpoint, MaskingSession
from masking.services import callback_delivery
from masking.services.callback_delivery import retry_delay
from masking.services.callbacks import callback_redeliver, callbacks_requeue
from masking.services.sessions import session_close
from tests.callback_receiver import PATH, SECRET, elapse, free_port, numbers_in, run_worker
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

A, B = "+6598761401", "+6598761402"


def open_one(**kwargs):
    return open_session(
        virtual_number=VirtualNumberFactory(number="+6531500101"),
        a=A,
        b=B,
        reference="booking-77",
        **kwargs,
    )


def test_a_delivery_is_signed_so_a_standard_webhooks_library_verifies_it(receiver):
    session = open_one()
    run_worker()
    [delivery] = receiver.deliveries()  # verified with SECRET, or this raises
    callback = Callback.objects.get()
    assert delivery.webhook_id == callback.webhook_id
    assert abs(delivery.timestamp - timezone.now().timestamp()) < 60
    assert delivery.payload["type"] == "session.opened"
    assert delivery.payload["data"]["session"]["id"] == session.pk
    assert delivery.payload["data"]["session"]["reference"] == "booking-77"
    assert numbers_in(delivery.payload, [A, B]) == []
    request = receiver.requests()[0]
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(delivery.body, dict(request.headers))
    tampered = delivery.body.replace("booking-77", "booking-78")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, dict(request.headers))
    callback.refresh_from_db()
    assert (callback.status, callback.attempts, callback.last_status_code) == ("delivered", 1, 204)


def test_receiver_down_then_up_is_delivered_after_retries_with_growing_delays(receiver, settings):
    port = free_port()  # nothing listens there yet: connections are refused
    settings.MASKING_CALLBACK_URL = f"http://127.0.0.1:{port}{PATH}"
    open_one()
    callback = Callback.objects.get()

    delays = []
    for _ in range(3):
        before = timezone.now()
        run_worker()
        callback.refresh_from_db()
        assert (callback.status, callback.last_status_code) == ("pending", None)
        assert "ConnectError" in callback.last_error
        delays.append((callback.next_attempt_at - before).total_seconds())
        run_worker()  # not due yet: nothing is tried
        assert callback.attempt_log.count() == len(delays)
        elapse(delays[-1] + 1)
    assert 9 < delays[0] < 12 and 29 < delays[1] < 34 and 89 < delays[2] < 100

    up = HTTPServer(host="127.0.0.1", port=port)
    up.expect_request(PATH, method="POST").respond_with_data("", status=200)
    up.start()
    try:
        run_worker()
    finally:
        up.stop()
    [(request, _response)] = up.log
    Webhook(SECRET).verify(request.get_data(as_text=True), dict(request.headers))
    assert request.headers["webhook-id"] == callback.webhook_id
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == ("delivered", 4)
    assert [a.status_code for a in callback.attempt_log.all()] == [None, None, None, 200]


def test_error_answers_are_retried_until_a_2xx(receiver):
    receiver.answer(503, 500, 302)
    open_one()
    for _ in range(4):
        run_worker()
        elapse(3600)
    deliveries = receiver.deliveries()
    assert len(deliveries) == 4
    assert len({d.webhook_id for d in deliveries}) == 1  # the same event each time
    callback = Callback.objects.get()
    assert [a.status_code for a in callback.attempt_log.all()] == [503, 500, 302, 204]
    assert callback.status == "delivered"


def test_after_the_last_try_it_is_marked_failed(receiver, settings):
    settings.MASKING_CALLBACK_ATTEMPTS = 3
    receiver.answer(*[500] * 10)
    open_one()
    for _ in range(5):
        run_worker()
        elapse(24 * 3600)
    callback = Callback.objects.get()
    assert (callback.status, callback.attempts, callback.last_status_code) == ("failed", 3, 500)
    assert callback.last_error.startswith("HTTP 500")
    assert len(receiver.requests()) == 3


def test_the_retries_span_about_a_day(settings):
    settings.MASKING_CALLBACK_ATTEMPTS = 10
    waits = [retry_delay(n) for n in range(1, 10)]  # between the 10 tries
    assert all(later > earlier for earlier, later in zip(waits, waits[1:], strict=False))
    assert timedelta(hours=24) < sum(waits, timedelta()) < timedelta(hours=31)


def test_a_rolled_back_change_sends_nothing(receiver):
    vn = VirtualNumberFactory(number="+6531500101")
    with pytest.raises(RuntimeError), transaction.atomic():
        open_session(virtual_number=vn, a=A, b=B)
        assert Callback.objects.count() == 1  # written with the change...
        raise RuntimeError("the rest of the change failed")
    assert (Callback.objects.count(), DBTaskResult.objects.count()) == (0, 0)  # ...and undone
    run_worker()
    assert receiver.requests() == []


def test_a_refused_change_through_the_api_sends_nothing(receiver, admin_client):
    VirtualNumberFactory(number="+6531500101", status="retired")
    response = admin_client.post(
        "/api/sessions/",
        {"participant_a": A, "participant_b": B, "virtual_number": "+6531500101"},
        content_type="application/json",
    )
    assert response.status_code == 400
    run_worker()
    assert (Callback.objects.count(), receiver.requests()) == (0, [])


def test_a_worker_dead_mid_delivery_leaves_it_to_be_delivered_again_with_the_same_id(
    receiver, settings, monkeypatch
):
    """The worker's process ends right after the receiver got the POST, before it could record
    anything: here `SystemExit` from inside the HTTP call, past which none of our code runs."""
    real_send = outbound.GuardedTransport.handle_request

    def send_then_die(self, request):
        real_send(self, request)
        raise SystemExit("worker killed")

    open_one()
    monkeypatch.setattr(outbound.GuardedTransport, "handle_request", send_then_die)
    run_worker()
    monkeypatch.setattr(outbound.GuardedTransport, "handle_request", real_send)
    callback = Callback.objects.get()
    assert callback.status == "delivering"  # held by the dead worker's lease

    run_worker()
    assert callbacks_requeue() == 0  # the lease still runs: nobody takes over yet
    elapse(settings.MASKING_CALLBACK_LEASE_SECONDS + 1)
    assert callbacks_requeue() == 1
    assert callbacks_requeue() == 0  # once
    run_worker()

    first, second = receiver.deliveries()
    assert first.webhook_id == second.webhook_id == callback.webhook_id
    assert first.payload == second.payload
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == ("delivered", 2)


def test_a_task_lost_before_it_ran_is_queued_again(receiver, settings):
    open_one()
    DBTaskResult.objects.all().delete()  # e.g. a queue table restored from an old backup
    run_worker()
    assert receiver.requests() == []
    elapse(settings.MASKING_CALLBACK_LEASE_SECONDS + 1)
    assert callbacks_requeue() == 1
    run_worker()
    assert len(receiver.deliveries()) == 1


def test_waiting_callbacks_with_a_live_task_are_not_queued_twice(receiver, settings):
    receiver.answer(500)
    open_one()
    run_worker()  # fails once, its retry is queued for later
    elapse(settings.MASKING_CALLBACK_LEASE_SECONDS + 1)  # overdue, but its task is still there
    assert callbacks_requeue() == 0
    run_worker()
    assert len(receiver.requests()) == 2


def test_two_workers_never_send_one_callback_at_once(receiver):
    open_one()
    callback = Callback.objects.get()
    Callback.objects.filter(pk=callback.pk).update(
        status="delivering", lease_until=timezone.now() + timedelta(seconds=60)
    )
    assert callback_delivery.callback_deliver(webhook_id=callback.webhook_id) == "not due"
    assert receiver.requests() == []


def test_staff_redeliver_sends_it_again_with_the_same_id(receiver):
    open_one()
    run_worker()
    callback = Callback.objects.get()
    assert callback_redeliver(callback=callback)
    run_worker()
    first, second = receiver.deliveries()
    assert first.webhook_id == second.webhook_id
    callback.refresh_from_db()
    assert (callback.status, callback.attempts) == ("delivered", 1)


def test_without_an_endpoint_nothing_is_written(db):
    open_one()
    assert (Callback.objects.count(), DBTaskResult.objects.count()) == (0, 0)


def test_the_endpoint_set_in_the_admin_is_used_when_the_environment_sets_none(receiver, settings):
    settings.MASKING_CALLBACK_URL = ""
    CallbackEndpoint.objects.create(url=receiver.url, secret=SECRET)
    session = open_one()
    session_close(session=session, reason=MaskingSession.CloseReason.API)
    run_worker()
    assert [event for event, _data in receiver.events()] == ["session.opened", "session.closed"]


def test_a_disabled_admin_endpoint_sends_nothing(receiver, settings):
    settings.MASKING_CALLBACK_URL = ""
    CallbackEndpoint.objects.create(url=receiver.url, secret=SECRET, enabled=False)
    open_one()
    assert Callback.objects.count() == 0


def test_the_requeue_command_hands_a_dead_workers_callback_on(receiver, settings):
    from django.core.management import call_command

    open_one()
    Callback.objects.update(status="delivering", lease_until=timezone.now())
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now())
    elapse(settings.MASKING_CALLBACK_LEASE_SECONDS + 1)
    call_command("requeue_callbacks", verbosity=0)
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 0  # the dead one is closed
    run_worker()
    assert len(receiver.deliveries()) == 1


@pytest.mark.parametrize(
    "overrides, error",
    [
        (
            {"MASKING_CALLBACK_URL": "https://b.example.com/h", "MASKING_CALLBACK_SECRET": ""},
            "E020",
        ),
        (
            {"MASKING_CALLBACK_URL": "https://b.example.com/h", "MASKING_CALLBACK_SECRET": SECRET},
            None,
        ),
        ({"MASKING_CALLBACK_URL": "", "MASKING_CALLBACK_SECRET": ""}, None),
        ({"MASKING_CALLBACK_LEASE_SECONDS": 30, "MASKING_CALLBACK_TIMEOUT_SECONDS": 10}, "E021"),
    ],
)
def test_callback_settings_are_checked_at_startup(settings, overrides, error):
    from masking.checks import callback_setting_errors

    for name, value in overrides.items():
        setattr(settings, name, value)
    found = [e.id for e in callback_setting_errors()]
    assert found == ([f"masking.{error}"] if error else [])
