"""The project as production serves it: gunicorn with gunicorn.conf.py, over a real socket.

PostgreSQL only: gunicorn runs in its own process and reads the test database, which SQLite's
in-memory test database cannot share.
"""

import http.client
import json
import time
from pathlib import Path

import pytest
from django.db import connection

from tests import servers
from tests.callflows.conftest import VN, A, B, call_action
from tests.factories import VirtualNumberFactory, open_session
from tests.servers import AUTH

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="gunicorn needs a database it can share; `make test` runs it in its PostgreSQL pass",
    ),
]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gunicorn():
    # The configuration's worker class and threads, one worker to spare the CPU; its access log on.
    with servers.gunicorn(workers=1, env={"CONN_MAX_AGE": "0", "GUNICORN_ACCESS_LOG": "-"}) as port:
        yield port


def test_a_chunked_call_action_through_gunicorn_is_connected(gunicorn):
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    body = json.dumps(call_action(A, VN)).encode()
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=10)
    # Sent in two chunks, with no Content-Length, as a proxy streaming the body would.
    conn.request(
        "POST",
        "/callflows/8x8/call-action/",
        body=iter([body[:40], body[40:]]),
        headers={"Authorization": AUTH, "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    answer = json.loads(response.read())
    assert response.status == 200, answer
    assert answer["callflow"][-1] == {
        "action": "makeCall",
        "params": {"source": VN.lstrip("+"), "destination": B.lstrip("+")},
    }


@pytest.mark.parametrize(
    "path, headers, status",
    [
        # A webhook without its credential: refused before a byte of the body is read.
        ("/callflows/8x8/call-status/", {"Authorization": "Bearer wrong"}, 401),
        # The login form, anonymous, with its CSRF cookie (so the form is read): past its 16 KiB
        # the rest is never read.
        ("/admin/login/", {"Content-Type": "application/x-www-form-urlencoded"}, 413),
    ],
)
def test_a_chunked_upload_is_answered_without_waiting_for_its_body(gunicorn, path, headers, status):
    """One 64 KiB chunk of a body that never ends: the answer comes anyway, because nothing waits
    for the rest (before, every chunked body was read whole, up to 16 MiB, before any check)."""
    conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=5)
    if path == "/admin/login/":
        conn.request("GET", path)
        login = conn.getresponse()
        login.read()
        headers = {**headers, "Cookie": login.headers["Set-Cookie"].split(";")[0]}
    conn.putrequest("POST", path)
    for name, value in {**headers, "Transfer-Encoding": "chunked"}.items():
        conn.putheader(name, value)
    conn.endheaders()
    chunk = b"username=" + b"a" * (64 * 1024 - 9)
    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    started = time.monotonic()
    response = conn.getresponse()
    assert response.status == status
    assert time.monotonic() - started < 2
    conn.close()
