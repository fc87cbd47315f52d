"""Issue 31: a pool's own callback endpoint. The callbacks of a pool's sessions and numbers go to
its URL, signed with its own secret (stored encrypted, never shown again); a pool without one
uses the deployment's. One local receiver (pytest-httpserver) stands in for three backends, one
path each, each verifying with its own secret."""

import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from werkzeug import Response

from masking.models import AuditEntry, Callback, Pool
from masking.services.pools import pool_save
from masking.services.sessions import session_close
from tests.callback_receiver import SECRET, run_worker
from tests.factories import PoolFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
MALAYSIA_SECRET = "whsec_" + "TWFsYXlzaWEncyBvd24gc2VjcmV0IDEyMzQ1"
INDONESIA_SECRET = "whsec_" + "SW5kb25lc2lhJ3Mgb3duIHNlY3JldCA5ODc2"
SECRETS = {"/deployment": SECRET, "/malaysia": MALAYSIA_SECRET, "/indonesia": INDONESIA_SECRET}


@pytest.fixture
def backends(httpserver, settings):
    """The deployment's backend, and Malaysia's and Indonesia's own."""
    settings.MASKING_CALLBACK_URL = httpserver.url_for("/deployment")
    settings.MASKING_CALLBACK_SECRET = SECRET
    for path in SECRETS:
        httpserver.expect_request(path, method="POST").respond_with_handler(
            lambda request: Response(status=204)
        )
    for name, path, secret in [
        ("Malaysia", "/malaysia", MALAYSIA_SECRET),
        ("Indonesia", "/indonesia", INDONESIA_SECRET),
    ]:
        pool_save(
            pool=PoolFactory.build(name=name, callback_url=httpserver.url_for(path)),
            changed=["callback_url"],
            callback_secret=secret,
            via="admin",
        )
    return httpserver


def received(server) -> dict[str, list[dict]]:
    """{path: payloads}, each verified with that backend's own secret (or this raises)."""
    found: dict[str, list[dict]] = {}
    for request, _response in server.log:
        body = request.get_data(as_text=True)
        payload = Webhook(SECRETS[request.path]).verify(body, dict(request.headers))
        found.setdefault(request.path, []).append(payload)
    return found


def a_session(pool_name: str | None, number: str, reference: str):
    pool = Pool.objects.get(name=pool_name) if pool_name else None
    virtual_number = VirtualNumberFactory(number=number, **({"pool": pool} if pool else {}))
    return open_session(
        virtual_number=virtual_number, a="+6598761401", b="+6598761402", reference=reference
    )


def test_each_pools_callbacks_go_to_its_endpoint_signed_with_its_secret(backends):
    sessions = {
        "/deployment": a_session(None, "+6531500101", "sg-1"),
        "/malaysia": a_session("Malaysia", "+60321234567", "my-1"),
        "/indonesia": a_session("Indonesia", "+622150001234", "id-1"),
    }
    session_close(session=sessions["/malaysia"], reason="api")
    run_worker()
    got = received(backends)
    assert {path: [p["type"] for p in payloads] for path, payloads in got.items()} == {
        "/deployment": ["session.opened"],
        "/malaysia": ["session.opened", "session.closed"],
        "/indonesia": ["session.opened"],
    }
    for path, session in sessions.items():
        assert {p["data"]["session"]["reference"] for p in got[path]} == {session.reference}
    # Another pool's secret does not verify: the backends can tell each other's apart.
    request = next(r for r, _ in backends.log if r.path == "/malaysia")
    with pytest.raises(WebhookVerificationError):
        Webhook(INDONESIA_SECRET).verify(request.get_data(as_text=True), dict(request.headers))
    assert set(Callback.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_pool_whose_endpoint_is_removed_goes_back_to_the_deployments(backends):
    malaysia = Pool.objects.get(name="Malaysia")
    malaysia.callback_url = ""
    pool_save(pool=malaysia, changed=["callback_url"], via="admin")
    a_session("Malaysia", "+60321234567", "my-2")
    run_worker()
    assert list(received(backends)) == ["/deployment"]


def test_a_pool_with_an_endpoint_gets_callbacks_where_the_deployment_has_none(backends, settings):
    settings.MASKING_CALLBACK_URL = ""
    a_session(None, "+6531500101", "sg-3")
    a_session("Malaysia", "+60321234567", "my-3")
    run_worker()
    assert list(received(backends)) == ["/malaysia"]
    assert Callback.objects.get().pool.name == "Malaysia"


PAGE = "/admin/masking/pool/{}/change/"


def pool_form(pool, **overrides):
    fields = {"name": pool.name, "subaccount_id": pool.subaccount_id, "callback_url": ""}
    return {**fields, **overrides}


# The system checks' rules (E022: an https, public URL; E020: a Standard Webhooks secret) for a
# pool's own endpoint. The receiver's host is public by its name (checked again when connecting).
REFUSED = [
    ({"callback_url": "http://backend.example.com/events"}, "callback_url", "must be https"),
    ({"callback_url": "https://10.0.0.5/events", "new_callback_secret": MALAYSIA_SECRET},
     "callback_url", "public address"),
    ({"callback_url": "https://backend.example.com/events"}, "callback_url", "signing secret"),
    ({"callback_url": "https://backend.example.com/events", "new_callback_secret": "hunter2"},
     "new_callback_secret", "whsec_"),
]  # fmt: skip


@pytest.mark.parametrize("typed, field, says", REFUSED)
def test_the_pool_page_refuses_an_endpoint_the_checks_would(
    admin_client, settings, typed, field, says
):
    settings.MASKING_OUTBOUND_ALLOW_PRIVATE = False
    pool = PoolFactory(name="Malaysia")
    response = admin_client.post(PAGE.format(pool.pk), pool_form(pool, **typed))
    assert response.status_code == 200
    assert says in " ".join(response.context["adminform"].form.errors[field])
    pool.refresh_from_db()
    assert (pool.callback_url, pool.callback_secret_encrypted) == ("", "")


def test_the_pools_secret_is_stored_encrypted_never_shown_and_its_change_is_in_the_history(
    admin_client, settings
):
    settings.MASKING_OUTBOUND_ALLOW_PRIVATE = False
    pool = PoolFactory(name="Malaysia")
    url = "https://backend.example.com/malaysia-events"
    saved = admin_client.post(
        PAGE.format(pool.pk), pool_form(pool, callback_url=url, new_callback_secret=MALAYSIA_SECRET)
    )
    assert saved.status_code == 302
    pool.refresh_from_db()
    assert pool.callback_url == url and pool.callback_secret() == MALAYSIA_SECRET
    assert MALAYSIA_SECRET.removeprefix("whsec_") not in pool.callback_secret_encrypted
    page = admin_client.get(PAGE.format(pool.pk)).content.decode()
    assert MALAYSIA_SECRET.removeprefix("whsec_") not in page
    assert "callback signing secret: stored" in page
    entry = AuditEntry.objects.filter(action="changed").latest("pk")
    assert entry.changes["callback signing secret"] == "replaced"
    assert MALAYSIA_SECRET.removeprefix("whsec_") not in str(entry.changes)
