"""The business backend's side of callbacks, for tests: a real HTTP receiver (pytest-httpserver)
that verifies each delivery with the `standardwebhooks` package, and the task worker run in-process.
"""

import json
import socket
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db.models import F
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, get_date_max
from pytest_httpserver import HTTPServer
from standardwebhooks import Webhook
from werkzeug import Response

from masking.models import Callback

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes, base64
PATH = "/masking-events"


@dataclass
class Delivery:
    webhook_id: str
    timestamp: int
    payload: dict
    body: str


class Receiver:
    """What the receiver was sent. Each delivery is verified as a receiver would verify it."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self.url = server.url_for(PATH)

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, in order, then 204 to every later one."""
        pending = list(statuses)

        def handler(request):
            return Response(status=pending.pop(0) if pending else 204)

        self.server.clear()
        self.server.expect_request(PATH, method="POST").respond_with_handler(handler)

    def requests(self):
        return [request for request, _response in self.server.log]

    def deliveries(self) -> list[Delivery]:
        found = []
        for request in self.requests():
            body = request.get_data(as_text=True)
            payload = Webhook(SECRET).verify(body, dict(request.headers))
            found.append(
                Delivery(
                    webhook_id=request.headers["webhook-id"],
                    timestamp=int(request.headers["webhook-timestamp"]),
                    payload=payload,
                    body=body,
                )
            )
        return found

    def events(self) -> list[tuple[str, dict]]:
        return [(d.payload["type"], d.payload["data"]) for d in self.deliveries()]


@pytest.fixture
def receiver(httpserver, settings, db):
    """The business backend, configured as this deployment's callback URL, answering 204."""
    settings.MASKING_CALLBACK_URL = httpserver.url_for(PATH)
    settings.MASKING_CALLBACK_SECRET = SECRET
    found = Receiver(httpserver)
    found.answer()
    return found


def run_worker() -> None:
    """`manage.py db_worker --batch`: run every task due now, then return.

    In-process, inside the test's transaction: the worker's `close_old_connections()` would end
    that transaction (autocommit differs from the settings'), so it is left out here.
    """
    original = db_worker.close_old_connections
    db_worker.close_old_connections = lambda: None
    try:
        db_worker.Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()
    finally:
        db_worker.close_old_connections = original


def elapse(seconds: float) -> None:
    """Let time pass for the queue: every stored time moves `seconds` into the past."""
    delta = timedelta(seconds=seconds)
    Callback.objects.update(
        next_attempt_at=F("next_attempt_at") - delta,
        lease_until=F("lease_until") - delta,
        created_at=F("created_at") - delta,
    )
    DBTaskResult.objects.exclude(run_after=get_date_max()).update(run_after=F("run_after") - delta)
    DBTaskResult.objects.update(
        enqueued_at=F("enqueued_at") - delta, started_at=F("started_at") - delta
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def numbers_in(payload: dict, numbers) -> list[str]:
    text = json.dumps(payload)
    return [n for n in numbers if n in text or n.lstrip("+") in text or n[3:] in text]
