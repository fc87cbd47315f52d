"""Outbound requests go only to https on public addresses, checked when connecting; no redirects;
answers read up to a cap (issue 25, finding 2). Receivers here are real sockets on loopback.

The suite allows private receivers (tests/environment.py); these tests turn that off to see the
default, or keep it on where they need a local receiver to misbehave.
"""

import socket
import threading
import time

import pytest
from werkzeug import Response

from callflows.voice_api import Unavailable, VoiceApi
from masking import outbound
from masking.models import Callback, CallbackAttempt, CallbackEndpoint
from masking.services.callback_delivery import callback_deliver
from tests.callback_receiver import PATH, SECRET
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db


class Listener:
    """A TCP port on `host` that counts the connections made to it and never answers."""

    def __init__(self, host: str):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family)
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def listener():
    made = []

    def make(host="127.0.0.1"):
        made.append(Listener(host))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def strict(settings):
    """The production default: no private receivers."""
    settings.MASKING_OUTBOUND_ALLOW_PRIVATE = False
    settings.MASKING_CALLBACK_SECRET = SECRET


def deliver_to(settings, url: str) -> CallbackAttempt:
    settings.MASKING_CALLBACK_URL = url
    settings.MASKING_CALLBACK_SECRET = SECRET
    open_session(virtual_number=VirtualNumberFactory(), a="+6591230001", b="+6591230002")
    callback_deliver(webhook_id=Callback.objects.get().webhook_id)
    return CallbackAttempt.objects.get()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_loopback_receivers_are_refused_and_never_connected(
    settings, strict, listener, host, scheme
):
    local = listener(host)
    shown = f"[{host}]" if ":" in host else host
    attempt = deliver_to(settings, f"{scheme}://{shown}:{local.port}{PATH}")
    assert attempt.status_code is None
    assert attempt.error.startswith("OutboundRefused")
    assert local.accepted == []


def test_a_name_that_resolves_to_loopback_only_at_delivery_time_is_refused(
    settings, strict, listener, monkeypatch
):
    """Saved while it pointed elsewhere; at delivery it resolves to this machine."""
    local = listener()
    url = f"https://receiver.example:{local.port}{PATH}"
    CallbackEndpoint(url=url, secret=SECRET).full_clean()  # accepted when saved
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["127.0.0.1"])
    attempt = deliver_to(settings, url)
    assert "receiver.example resolves to a non-public address (127.0.0.1)" in attempt.error
    assert local.accepted == []


def test_every_address_a_name_resolves_to_must_be_public(settings, strict, monkeypatch):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.216.34", "10.0.0.5"])
    attempt = deliver_to(settings, f"https://receiver.example{PATH}")
    assert "non-public address (10.0.0.5)" in attempt.error


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b:1::5db8:d822",  # local-use NAT64: refused whatever it carries
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2002:a00:5::1",  # 6to4 of 10.0.0.5
        "::127.0.0.1",  # IPv4-compatible loopback
        "::10.0.0.5",  # IPv4-compatible private
        "::ffff:10.0.0.5",  # IPv4-mapped private
    ],
)
def test_ipv6_addresses_embedding_a_private_ipv4_are_not_public(address):
    """Review: Python 3.11's is_global calls NAT64, 6to4 and IPv4-compatible addresses global
    whatever IPv4 address they carry; behind a NAT64 gateway 64:ff9b::a00:5 reaches 10.0.0.5."""
    assert not outbound.is_public(address)


@pytest.mark.parametrize(
    "address", ["64:ff9b::5db8:d822", "2002:5db8:d822::1", "93.184.216.34", "2606:4700::1111"]
)
def test_addresses_embedding_a_public_ipv4_stay_public(address):
    assert outbound.is_public(address)


def test_a_name_resolving_to_nat64_metadata_is_refused(settings, strict, monkeypatch):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["64:ff9b::a9fe:a9fe"])
    with pytest.raises(Exception, match="non-public"):
        outbound.pinned_address("receiver.example", 443, private_ok=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "http://[::1]:8210/",
        "https://[::ffff:127.0.0.1]/",
        "https://10.1.2.3/",
        "https://localhost/hook",
        "ftp://example.com/x",
        "https://user:password@example.com/hook",
        "http://example.com/plain",
    ],
)
def test_the_admin_refuses_receivers_it_could_never_reach(admin_client, strict, url):
    response = admin_client.post(
        "/admin/masking/callbackendpoint/add/", {"url": url, "secret": SECRET, "enabled": "on"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"]
    assert not CallbackEndpoint.objects.exists()


def test_a_public_https_receiver_is_accepted(admin_client, strict):
    response = admin_client.post(
        "/admin/masking/callbackendpoint/add/",
        {"url": "https://api.example.com/masking-events", "secret": SECRET, "enabled": "on"},
    )
    assert response.status_code == 302
    assert CallbackEndpoint.objects.get().url == "https://api.example.com/masking-events"


def test_redirects_are_not_followed(settings, httpserver):
    """Allowed private (a local receiver), the redirect to another local address is still not
    followed: the delivery fails with the 302 and the target hears nothing."""
    httpserver.expect_request(PATH).respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/internal")})
    )
    attempt = deliver_to(settings, httpserver.url_for(PATH))
    assert attempt.status_code == 302
    assert [request.path for request, _ in httpserver.log] == [PATH]


def test_a_huge_answer_is_read_only_up_to_a_small_cap(settings, httpserver):
    made = {"bytes": 0}

    def endless():
        for _ in range(300 * 1024):  # 300 MB in 1 KiB lines, made only as they are sent
            made["bytes"] += 1024
            yield b"+6591230001 " + b"x" * 1011 + b"\n"

    httpserver.expect_request(PATH).respond_with_handler(
        lambda request: Response(endless(), status=500)
    )
    started = time.monotonic()
    attempt = deliver_to(settings, httpserver.url_for(PATH))
    assert time.monotonic() - started < 5
    assert attempt.status_code == 500
    assert attempt.error.startswith("HTTP 500: ")
    assert len(attempt.error) <= 300
    assert "+6591230001" not in attempt.error  # numbers redacted in the excerpt
    assert made["bytes"] < 32 * 1024 * 1024  # the server stopped once we stopped reading


def test_a_hanging_answer_times_out(settings, listener):
    settings.MASKING_CALLBACK_TIMEOUT_SECONDS = 0.5
    silent = listener()
    started = time.monotonic()
    attempt = deliver_to(settings, f"http://127.0.0.1:{silent.port}{PATH}")
    assert time.monotonic() - started < 3
    assert attempt.error.startswith("ReadTimeout")
    assert Callback.objects.get().status == "pending"  # retried later


@pytest.mark.parametrize("base_url", ["https://127.0.0.1:{port}", "http://[::1]:{port}"])
def test_8x8s_client_is_held_to_the_same_rules(strict, listener, base_url):
    local = listener("::1" if "::1" in base_url else "127.0.0.1")
    api = VoiceApi(api_key="k", subaccount_id="s", base_url=base_url.format(port=local.port))
    with api, pytest.raises(Unavailable, match="Refused"):
        api.webhooks()
    assert local.accepted == []


def test_8x8s_client_does_not_follow_redirects(httpserver):
    httpserver.expect_request("/api/v1/subaccounts/s/webhooks").respond_with_response(
        Response(status=307, headers={"Location": httpserver.url_for("/elsewhere")})
    )
    api = VoiceApi(api_key="k", subaccount_id="s", base_url=httpserver.url_for(""))
    with api, pytest.raises(Exception, match="307"):
        api.webhooks()
    assert len(httpserver.log) == 1


def test_8x8s_answers_are_capped(httpserver):
    made = {"bytes": 0}

    def endless():
        for _ in range(64 * 1024):  # 64 MiB, made only as they are sent
            made["bytes"] += 1024
            yield b" " * 1024

    httpserver.expect_request("/api/v1/subaccounts/s/webhooks").respond_with_handler(
        lambda request: Response(endless(), status=200, content_type="application/json")
    )
    api = VoiceApi(api_key="k", subaccount_id="s", base_url=httpserver.url_for(""), attempts=1)
    with api, pytest.raises(Unavailable, match="AnswerTooLarge"):
        api.webhooks()
    assert made["bytes"] < 16 * 1024 * 1024
