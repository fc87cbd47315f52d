"""Review 3: breaks of 5edc30b (who may widen a pool member), 0a50d84 and 5c1435e (an event
belongs to the pool it was written for). Run on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from callflows.decision import Decision, Outcome
from callflows.models import Call
from callflows.records import call_completed_emit, call_record_answer
from masking.models import Callback, MaskingSession
from masking.pool_access import granted_pools
from masking.services.pools import pool_save
from masking.services.sessions import session_close
from tests.factories import PoolFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
NUMBER = "+6531500101"
AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
MALAYSIA_SECRET = "whsec_" + "TWFsYXlzaWEncyBvd24gc2VjcmV0IDEyMzQ1"


def test_a_deleted_pools_call_completed_goes_to_no_pool_not_the_numbers_new_pool(settings):
    """Singapore answered a call; its (closed) session's number moved to Malaysia and Singapore
    was deleted: the call is no pool's (Call.pool SET_NULL). Its summary arrives late: the
    `call.completed` must be no pool's (the deployment's endpoint), not Malaysia's: Malaysia's
    backend would receive, read and redeliver a call its /api/calls/ hides from it.
    `emit_call_completed` read `pool_id or <the number's pool now>`, and Callback.save() filled
    a no-pool callback's pool from its session's number's pool of now."""
    settings.MASKING_CALLBACK_URL = "https://deployment.example.com/events"
    settings.MASKING_CALLBACK_SECRET = MALAYSIA_SECRET
    singapore = PoolFactory(name="Singapore")
    malaysia = pool_save(
        pool=PoolFactory.build(name="Malaysia", callback_url="https://my.example.com/events"),
        changed=["callback_url"],
        callback_secret=MALAYSIA_SECRET,
        via="admin",
    )
    number = VirtualNumberFactory(number=NUMBER, pool=singapore)
    session = open_session(virtual_number=number, a="+6598761201", b="+6598761202")
    call_record_answer(
        provider_session_id="c1",
        event_id="e1",
        virtual_number=NUMBER,
        caller="+6598761201",
        decision=Decision(outcome=Outcome.CONNECT, session_id=session.pk),
        answer_json="{}",
        now=AT,
    )
    session_close(session=session, reason=MaskingSession.CloseReason.STAFF)
    number.pool = malaysia
    number.full_clean()
    number.save()
    Callback.objects.all().delete()
    singapore.delete()
    call = Call.objects.get()
    assert call.pool is None

    call_completed_emit(call_id=call.pk)
    written = Callback.objects.get(event_type="call.completed")
    assert written.pool_id is None


def test_setup_api_user_run_again_without_pool_keeps_a_limited_users_pools():
    """`setup_api_user backend --pool Malaysia`, then run again to grant --full-numbers (the
    docstring: "Run again to change either"): the run without --pool set the user's pools to
    none, and none is every pool: Malaysia's backend silently read every market's sessions."""
    PoolFactory(name="Malaysia")
    PoolFactory(name="Singapore")
    call_command("setup_api_user", "my-backend", "--pool", "Malaysia")
    user = User.objects.get(username="my-backend")
    assert [p.name for p in granted_pools(user)] == ["Malaysia"]

    call_command("setup_api_user", "my-backend", "--full-numbers")
    user = User.objects.get(username="my-backend")
    pools = granted_pools(user)
    assert pools is not None, "re-run without --pool widened a Malaysia-only user to every pool"
    assert [p.name for p in pools] == ["Malaysia"]


def _user_staff(name: str, *pools) -> User:
    from django.contrib.auth.models import Permission

    user = User.objects.create_user(name, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth",
            codename__in=["add_user", "change_user", "delete_user", "view_user"],
        )
    )
    for pool in pools:
        pool.users.add(user)
    return user


def test_staff_given_pools_cannot_make_or_take_over_a_user_who_sees_every_pool(client):
    """5edc30b: staff given pools may not add pools, since given no pool is every pool. Django's
    user admin offered them the same widening: a new User is given no pool, so a Malaysia member
    who may add users makes one, sets its password and logs in seeing every pool; or sets the
    password of a colleague who sees every pool. Only staff who see every pool add, change or
    delete users."""
    malaysia = PoolFactory(name="Malaysia")
    member = _user_staff("member", malaysia)
    lead = _user_staff("lead")
    client.force_login(member)
    made = client.post(
        "/admin/auth/user/add/",
        {"username": "sidekick", "password1": "Zq8!long-pass-1", "password2": "Zq8!long-pass-1",
         "usable_password": "true"},
    )  # fmt: skip
    assert made.status_code == 403
    assert not User.objects.filter(username="sidekick").exists()
    page = client.get(f"/admin/auth/user/{lead.pk}/password/")
    assert page.status_code == 403

    client.force_login(lead)  # staff who see every pool still do
    assert client.get("/admin/auth/user/add/").status_code == 200


def test_a_pools_vnu_credential_follows_a_fresh_vnu_webhook_and_opens_nothing_else(
    settings, fake_8x8, client
):
    """0a50d84: connect twice (the VNU webhook keeps the first credential), then the VNU webhook
    is gone (removed in 8x8's portal) and a third connect creates it afresh with that run's
    credential: number updates with it are accepted, the first credential no longer is, and no
    route but number updates takes an old credential; a dry run changes neither hash."""
    from io import StringIO

    from masking.models import Pool, VirtualNumber
    from tests.callflows import payloads
    from tests.callflows.conftest import call_action
    from tests.callflows.fake_8x8 import API_KEY, SUBACCOUNT
    from tests.callflows.test_connect_pool import BASE_URL

    settings.EIGHTX8_SUBACCOUNT_ID = "acme-sg"
    settings.EIGHTX8_API_KEY = "the-deployments-key"
    settings.WEBHOOK_AUTH_HEADER = "Bearer deployment-secret-0001"
    settings.MASKING_PUBLIC_BASE_URL = BASE_URL
    malaysia = PoolFactory(name="Malaysia", subaccount_id=SUBACCOUNT)
    malaysia.set_api_key(API_KEY)
    malaysia.save()

    call_command("connect_8x8", "--pool", "Malaysia", stdout=StringIO())
    first = fake_8x8.auth_headers["VNU"]
    call_command("connect_8x8", "--pool", "Malaysia", stdout=StringIO())
    second = fake_8x8.auth_headers["VCA"]
    hashes = Pool.objects.values_list(
        "webhook_credential_hash", "number_update_credential_hash"
    ).get(pk=malaysia.pk)
    call_command("connect_8x8", "--pool", "Malaysia", "--dry-run", stdout=StringIO())
    assert (
        Pool.objects.values_list("webhook_credential_hash", "number_update_credential_hash").get(
            pk=malaysia.pk
        )
        == hashes
    )

    del fake_8x8.webhooks["VNU"]
    fake_8x8.auth_headers.pop("VNU", None)
    call_command("connect_8x8", "--pool", "Malaysia", stdout=StringIO())
    third = fake_8x8.auth_headers["VNU"]
    assert third == fake_8x8.auth_headers["VCA"] and third not in (first, second)

    update = payloads.numbers(
        "UPDATES", payloads.number("+6531500123", status="Active", reference="my-pool")
    )
    update["payload"]["subAccountId"] = SUBACCOUNT

    def post(path, body, credential):
        return client.post(
            path, body, content_type="application/json", HTTP_AUTHORIZATION=credential
        )

    vnu = "/callflows/8x8/virtual-number-updated/"
    assert post(vnu, update, third).status_code == 200
    assert post(vnu, update, first).status_code == 401
    assert VirtualNumber.objects.get(number="+6531500123").pool == malaysia
    call = call_action("+6591230001", "+6531500123", subAccountId=SUBACCOUNT)
    for old in (first, second):
        assert post("/callflows/8x8/call-action/", call, old).status_code == 401
        for route in ("call-status", "session-summary", "recording-uploaded"):
            assert post(f"/callflows/8x8/{route}/", {}, old).status_code == 401, (route, old)
    assert post("/callflows/8x8/call-action/", call, third).status_code == 200


def test_staff_given_pools_cannot_repoint_the_deployments_callback_endpoint(client, settings):
    """The deployment's callback endpoint (CallbackEndpoint, pool_path None) receives the events
    of every pool without its own URL, as the deployment's prompts are heard by every pool's
    callers (README: those are written by staff who see every pool). A Malaysia member with the
    endpoint's permissions pointed it at their own server (and rotated its secret, shown to
    them): Singapore's session events, people's numbers included, went there."""
    from django.contrib.auth.models import Permission

    from masking.models import CallbackEndpoint

    settings.MASKING_CALLBACK_URL = ""
    endpoint = CallbackEndpoint.objects.create(
        url="https://backend.example.com/events", secret=MALAYSIA_SECRET, enabled=True
    )
    member = User.objects.create_user("member", is_staff=True)
    member.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="masking", codename__contains="callbackendpoint"
        )
    )
    PoolFactory(name="Malaysia").users.add(member)
    client.force_login(member)
    page = f"/admin/masking/callbackendpoint/{endpoint.pk}/change/"
    client.post(page, {"url": "https://attacker.example.com/x", "enabled": "on"})
    endpoint.refresh_from_db()
    assert endpoint.url == "https://backend.example.com/events"
    client.post(
        "/admin/masking/callbackendpoint/",
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert endpoint.secret == MALAYSIA_SECRET
