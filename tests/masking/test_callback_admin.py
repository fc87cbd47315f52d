"""Staff see deliveries: the list with attempts, last error and next try; redeliver; endpoint."""

import pytest

from masking.models import Callback, CallbackEndpoint
from masking.models.callbacks import validate_secret
from tests.callback_receiver import SECRET, run_worker
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

LIST = "/admin/masking/callback/"


@pytest.fixture
def failing(receiver):
    receiver.answer(503)
    session = open_session(virtual_number=VirtualNumberFactory(), reference="booking-9")
    run_worker()
    return session


def test_the_list_shows_attempts_last_error_and_next_try(admin_client, failing):
    callback = Callback.objects.get()
    page = admin_client.get(LIST).content.decode()
    assert callback.webhook_id in page
    assert "session.opened" in page and "booking-9" in page
    assert "HTTP 503" in page
    assert "waiting" in page  # its status: a retry is due
    detail = admin_client.get(f"{LIST}{callback.pk}/change/").content.decode()
    assert "503" in detail and "booking-9" in detail
    assert admin_client.get(LIST, {"status": "pending"}).status_code == 200
    assert admin_client.get(LIST, {"q": callback.webhook_id}).status_code == 200


def test_redeliver_action_sends_it_again_with_the_same_webhook_id(admin_client, failing, receiver):
    callback = Callback.objects.get()
    response = admin_client.post(
        LIST, {"action": "redeliver", "_selected_action": [callback.pk]}, follow=True
    )
    assert "Queued 1 callback" in response.content.decode()
    run_worker()
    first, second = receiver.requests()
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == callback.webhook_id
    callback.refresh_from_db()
    assert callback.status == "delivered"


def test_staff_cannot_add_callbacks_by_hand(admin_client):
    assert admin_client.get(f"{LIST}add/").status_code == 403


def test_the_endpoint_is_set_in_the_admin_with_a_fresh_secret(admin_client, settings):
    settings.MASKING_CALLBACK_URL = ""
    page = admin_client.get("/admin/masking/callbackendpoint/add/")
    secret = page.context["adminform"].form["secret"].value()
    assert secret.startswith("whsec_")
    validate_secret(secret)
    response = admin_client.post(
        "/admin/masking/callbackendpoint/add/",
        {"url": "https://backend.example.com/hooks", "secret": secret, "enabled": "on"},
    )
    assert response.status_code == 302
    assert CallbackEndpoint.objects.get().secret == secret
    assert admin_client.get("/admin/masking/callbackendpoint/add/").status_code == 403  # one


@pytest.mark.parametrize("secret", ["", "whsec_short", "not base64 at all!!!!!!!!!!!!!!!!!!!"])
def test_a_bad_secret_is_a_form_error(admin_client, secret):
    response = admin_client.post(
        "/admin/masking/callbackendpoint/add/",
        {"url": "https://backend.example.com/hooks", "secret": secret, "enabled": "on"},
    )
    assert response.status_code == 200
    assert "secret" in response.context["adminform"].form.errors
    validate_secret(SECRET)  # the test receiver's, for contrast
