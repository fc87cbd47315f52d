"""Health probes and metrics (README, "Production"): what a load balancer and a person watching the
service see. Before these, a database that was down or behind on migrations still got 200 from
every page, and nothing showed the apology rate, the latency or the callback backlog."""

import json
import threading

import psycopg
import pytest
from django.contrib.auth.models import User
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from callflows.tags import tag_outcome
from masking.health import known_migrations
from tests.callflows.conftest import AUTH, VN, A, B, call_action
from tests.callflows.decision_rows import ROWS, setup_row
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's locks and ports; `make test` runs it"
)
CALL_ACTION = "/callflows/8x8/call-action/"


def scrape(client) -> dict[tuple, float]:
    """Every sample of /metrics: {(name, (label pairs...)): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def staff_token_client(**user) -> APIClient:
    client = APIClient()
    account = User.objects.create_user(f"prometheus-{User.objects.count()}", **user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=account).key}")
    return client


@pytest.fixture
def prometheus(db):
    """Prometheus' scraper: an API token of a staff user."""
    return staff_token_client(is_staff=True)


@pytest.fixture
def provider(settings):
    settings.WEBHOOK_AUTH_HEADER = AUTH
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=AUTH)
    return client


def post_call(provider, caller, dialled, n=0):
    body = call_action(caller, dialled, eventId=f"hm-e-{n}", sessionId=f"hm-s-{n}")
    response = provider.post(CALL_ACTION, body, format="json")
    assert response.status_code == 200
    return response.json()


# --- health ----------------------------------------------------------------------------------


def test_liveness_answers_any_host_over_plain_http_without_the_database(
    client, db, settings, django_assert_num_queries
):
    settings.SECURE_SSL_REDIRECT = True  # production's: every other page redirects to HTTPS
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")  # a probe's own idea of Host
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_says_ready_when_the_database_answers_and_is_migrated(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/readyz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


def test_readiness_refuses_while_a_migration_is_not_applied(client, db):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'masking' AND name = %s",
            [max(name for app, name in known_migrations() if app == "masking")],
        )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "behind"}


@postgresql_only
def test_readiness_refuses_within_the_call_deadline_when_the_database_is_gone(
    client, db, monkeypatch
):
    from tests.servers import free_port

    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(free_port()))  # nobody listens
    response = client.get("/readyz")
    monkeypatch.undo()
    connection.close()
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "unavailable", "migrations": "unknown"},
    }


# --- metrics ---------------------------------------------------------------------------------


def test_metrics_need_a_staff_account_like_the_api(client, db):
    assert client.get("/metrics").status_code == 401
    assert staff_token_client(is_staff=False).get("/metrics").status_code == 403


@pytest.mark.parametrize("row, outcome", ROWS)
def test_a_scrape_after_a_call_counts_its_decision_and_its_latency(
    provider, prometheus, row, outcome
):
    for purpose in ["connecting", "recording_notice", "no_session", "not_in_service", "apology"]:
        PromptFactory(purpose=purpose, text=f"[{purpose}]")
    caller, dialled = setup_row(row)
    before = scrape(prometheus)
    assert tag_outcome(post_call(provider, caller, dialled)["clientActionId"]) == outcome
    after = scrape(prometheus)

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("masking_call_actions_total", decision=outcome) == 1
    assert delta("masking_call_action_seconds_count") == 1
    assert delta("masking_call_action_seconds_bucket", le="+Inf") == 1
    assert delta("masking_provider_requests_total", webhook="call-action", result="stored") == 1
    # The pool's gauges, read at scrape time: the 51 sessions setup_row opens on VN.
    if row not in ("unknown_number", "retired"):  # numbers out of service have no headroom
        open_now = after[("masking_open_sessions", (("virtual_number", VN),))]
        assert open_now == 51
        assert after[("masking_session_headroom", (("virtual_number", VN),))] == 1000 - 51


def test_refused_provider_requests_and_apology_causes_are_counted(
    provider, prometheus, monkeypatch
):
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    before = scrape(prometheus)
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert stranger.post(CALL_ACTION, call_action(A, VN), format="json").status_code == 401
    monkeypatch.setattr("callflows.answer.decide", lambda *a, **k: 1 / 0)
    assert post_call(provider, A, VN)["clientActionId"].startswith("masking-apology")
    after = scrape(prometheus)

    def delta(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("masking_provider_requests_total", webhook="call-action", result="refused") == 1
    assert delta("masking_call_actions_total", decision="apology") == 1
    assert delta("masking_call_action_apologies_total", cause="error") == 1


def test_the_callback_backlog_is_in_the_scrape(prometheus, receiver):
    from tests.callback_receiver import elapse

    open_session(virtual_number=VirtualNumberFactory(), reference="waiting")  # session.opened
    elapse(90)
    samples = scrape(prometheus)
    assert samples[("masking_callbacks", (("status", "pending"),))] == 1
    assert samples[("masking_callbacks", (("status", "failed"),))] == 0
    assert samples[("masking_callback_oldest_pending_age_seconds", ())] >= 90
    assert samples[("masking_pin_lockouts_active", (("kind", "caller"),))] == 0
    assert samples[("masking_metrics_database_up", ())] == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_locked_table_is_counted_as_a_lock_timeout_apology(provider, prometheus):
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    before = scrape(prometheus)
    params = connection.get_connection_params()
    locked, release = threading.Event(), threading.Event()

    def hold_lock():
        with (
            psycopg.connect(
                host=params.get("host"),
                port=params.get("port"),
                user=params.get("user"),
                dbname=params["dbname"],
                autocommit=True,
            ) as other,
            other.transaction(),
        ):
            other.execute("LOCK TABLE masking_virtualnumber IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(10)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        answer = post_call(provider, A, VN)
    finally:
        release.set()
        holder.join()
    assert answer["clientActionId"].startswith("masking-apology")
    after = scrape(prometheus)
    key = ("masking_call_action_apologies_total", (("cause", "lock_timeout"),))
    assert after.get(key, 0) - before.get(key, 0) == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_gunicorn_workers_counts_are_summed_in_one_scrape():
    """prometheus-client's multiprocess mode under the shipped gunicorn configuration."""
    import urllib.request

    from tests.servers import gunicorn, post_json

    for purpose in ["connecting", "recording_notice", "no_session", "not_in_service", "apology"]:
        PromptFactory(purpose=purpose, text=f"[{purpose}]")
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    account = User.objects.create_user("prometheus", is_staff=True)
    token = Token.objects.create(user=account).key
    with gunicorn(workers=2) as port:
        for n in range(20):
            _, answer = post_json(
                port, CALL_ACTION, call_action(A, VN, eventId=f"gm-{n}", sessionId=f"gm-{n}")
            )
            assert answer["clientActionId"].startswith("masking-connect")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Token {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as response:
            assert json.loads(response.read())["status"] == "ready"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("masking_call_actions_total", (("decision", "connect"),))] == 20
    assert samples[("masking_call_action_seconds_count", ())] == 20
