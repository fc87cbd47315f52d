"""The whole request has a deadline, which a receiver dripping its answer cannot extend, and a
worker never sends a callback whose lease it no longer holds: never two deliveries of one
webhook-id in flight, and every request sent is on record."""

import threading
import time

import pytest
from django.db import connection

from masking.models import Callback, CallbackAttempt
from masking.services.callback_delivery import callback_deliver
from masking.services.callbacks import callbacks_requeue
from tests.callback_receiver import SECRET
from tests.drip_receiver import DripReceiver
from tests.factories import VirtualNumberFactory, open_session

DEADLINE = 1.0


@pytest.fixture
def dripping(settings):
    receiver = DripReceiver(interval=0.1, hold=6.0)
    settings.MASKING_OUTBOUND_ALLOW_PRIVATE = True
    settings.MASKING_CALLBACK_URL = receiver.url
    settings.MASKING_CALLBACK_SECRET = SECRET
    settings.MASKING_CALLBACK_TIMEOUT_SECONDS = 0.5  # each read: longer than the drip's gaps
    settings.MASKING_CALLBACK_DEADLINE_SECONDS = DEADLINE
    settings.MASKING_CALLBACK_LEASE_SECONDS = 2
    yield receiver
    receiver.close()


def opened_callback() -> Callback:
    vn = VirtualNumberFactory(number="+6531500401")
    open_session(virtual_number=vn, a="+6598761801", b="+6598761802")
    return Callback.objects.get()


@pytest.mark.django_db
def test_a_dripping_receiver_cannot_hold_a_worker_past_the_deadline(dripping):
    callback = opened_callback()
    started = time.monotonic()
    outcome = callback_deliver(webhook_id=callback.webhook_id)
    took = time.monotonic() - started
    assert took < DEADLINE + 0.5, took
    assert outcome == "retry"
    assert dripping.received == [callback.webhook_id]
    (attempt,) = CallbackAttempt.objects.all()
    assert attempt.error.startswith("deadline")
    callback.refresh_from_db()
    assert callback.status == Callback.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_requeue_never_send_one_callback_twice_at_once(dripping):
    if connection.vendor == "sqlite":
        pytest.skip("two workers need a database two connections share: PostgreSQL's pass")
    callback = opened_callback()
    outcomes = []

    def first_worker():
        try:
            outcomes.append(callback_deliver(webhook_id=callback.webhook_id))
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    time.sleep(0.3)  # the first worker is sending
    assert callback_deliver(webhook_id=callback.webhook_id) == "not due"
    time.sleep(2.2)  # past the first worker's lease
    callbacks_requeue()
    second = callback_deliver(webhook_id=callback.webhook_id)
    worker.join()
    assert dripping.most_in_flight[callback.webhook_id] == 1
    assert dripping.received == [callback.webhook_id]
    assert second == "not due" and outcomes == ["retry"]
    # Staff see what the receiver got: one attempt.
    assert CallbackAttempt.objects.filter(callback=callback).count() == len(dripping.received)
