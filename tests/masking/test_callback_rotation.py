"""Rotating the signing secret: during the overlap every callback carries both signatures, so a
receiver still holding the old secret and one already holding the new one both verify every
request; after it, only the new secret signs."""

import base64
import hashlib
import hmac
import itertools
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from masking.models import CallbackEndpoint
from masking.models.callbacks import new_secret
from tests.callback_receiver import PATH, run_worker
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

OLD, NEW = new_secret(), new_secret()


def by_hand(secret: str, request) -> bool:
    """What a receiver without a library does: HMAC-SHA256 over id.timestamp.body, compared
    with each `v1,` entry of the header."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = ".".join(
        [
            request.headers["webhook-id"],
            request.headers["webhook-timestamp"],
            request.get_data(as_text=True),
        ]
    )
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest()).decode()
    entries = request.headers["webhook-signature"].split(" ")
    return any(hmac.compare_digest(f"v1,{expected}", entry) for entry in entries)


def verifies(secret: str, request) -> bool:
    body = request.get_data(as_text=True)
    try:
        Webhook(secret).verify(body, dict(request.headers))
    except WebhookVerificationError:
        library = False
    else:
        library = True
    assert library == by_hand(secret, request)  # the library and the hand agree
    return library


_opened = itertools.count()


def open_sessions(count: int) -> None:
    for _ in range(count):
        n = next(_opened)
        vn = VirtualNumberFactory(number=f"+65315003{n:02d}")
        open_session(virtual_number=vn, a=f"+6598761{n:03d}", b=f"+6598762{n:03d}")


@pytest.fixture
def posts(httpserver):
    httpserver.expect_request(PATH, method="POST").respond_with_data(status=204)

    def delivered():
        run_worker()
        requests = [request for request, _response in httpserver.log]
        httpserver.clear_log()
        return requests

    return delivered


def test_environment_rotation_both_secrets_verify_during_the_overlap(httpserver, settings, posts):
    settings.MASKING_CALLBACK_URL = httpserver.url_for(PATH)
    settings.MASKING_CALLBACK_SECRET = NEW
    settings.MASKING_CALLBACK_SECRET_PREVIOUS = OLD
    settings.MASKING_CALLBACK_SECRET_PREVIOUS_UNTIL = timezone.now() + timedelta(hours=1)
    open_sessions(5)
    during = posts()
    assert len(during) == 5
    assert all(verifies(OLD, request) for request in during)  # a receiver not yet switched
    assert all(verifies(NEW, request) for request in during)  # one already switched

    settings.MASKING_CALLBACK_SECRET_PREVIOUS_UNTIL = timezone.now() - timedelta(seconds=1)
    open_sessions(1)
    (after,) = posts()
    assert verifies(NEW, after)
    assert not verifies(OLD, after)
    assert len(after.headers["webhook-signature"].split(" ")) == 1


def test_rotating_in_the_admin_keeps_the_old_secret_signing_for_the_overlap(
    httpserver, settings, admin_client, posts
):
    settings.MASKING_CALLBACK_URL = ""
    settings.MASKING_CALLBACK_SECRET_OVERLAP_HOURS = 24
    endpoint = CallbackEndpoint.objects.create(url=httpserver.url_for(PATH), secret=OLD)
    response = admin_client.post(
        "/admin/masking/callbackendpoint/",
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != OLD
    assert endpoint.secret in response.content.decode()  # shown once, to give the receiver
    new = endpoint.secret
    open_sessions(3)
    during = posts()
    assert len(during) == 3
    assert all(verifies(OLD, request) and verifies(new, request) for request in during)

    CallbackEndpoint.objects.update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    open_sessions(1)
    (after,) = posts()
    assert verifies(new, after) and not verifies(OLD, after)
