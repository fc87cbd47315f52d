"""No full number in any log, in any configuration: the main flows run under gunicorn with the
shipped configuration, and under runserver with DEBUG on, and every line they print is read.

The servers are real processes on a SQLite file of their own (migrated here), so what is read is
exactly what an operator's terminal or log shipper would get.
"""

import http.cookiejar
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VN, A, B = "+6531500101", "+6598761201", "+6598761202"
AUTH = "Bearer log-test-secret"
DIGIT_RUN = re.compile(r"\d{8,}")
# The seeded numbers' 8 local digits with any separators between them, as people type them.
SEPARATED = [
    re.compile(r"(?:[ .\-+/()]|%20|%2B|%2D)*".join(number[3:]), re.IGNORECASE) for number in (A, B)
]
# Webhook ids ("msg_" and 32 hex digits) and task UUIDs are ids, not numbers: the redactor keeps
# them whole, so the search for digit runs skips them.
IDS = re.compile(r"msg_[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

SETUP = f"""
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from masking.models import VirtualNumber
from masking.services.sessions import session_open
vn = VirtualNumber.objects.create(number="{VN}")
session_open(virtual_number=vn, participant_a="{A}", participant_b="{B}")
User.objects.create_superuser("admin", password="pw")
ops = User.objects.create_user("ops", password="pw", is_staff=True)
print(Token.objects.create(user=User.objects.get(username="admin")).key)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_env(tmp_path_factory):
    db = tmp_path_factory.mktemp("logs") / "db.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "WEBHOOK_AUTH_HEADER": AUTH,
        "SECRET_KEY": "log-test-" + "k" * 50,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MASKING_MANAGEMENT_COMMAND": "true",
    }
    manage = [str(BIN / "python"), "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    token = subprocess.run(
        [*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True
    ).stdout.decode()
    env.pop("MASKING_MANAGEMENT_COMMAND")
    return env, token.strip().splitlines()[-1]


def run_server(command, env, port) -> subprocess.Popen:
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(process.stdout.read().decode())


def main_flows(base: str, token: str) -> list[int]:
    """Calls, admin search, the simulator, API filters and errors, as people would run them."""
    statuses = []
    # The session and CSRF cookies are Secure with DEBUG off; this test speaks plain HTTP.
    jar = http.cookiejar.CookieJar(policy=InsecureCookiePolicy())
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def send(opener, path, data=None, headers=None):
        request = urllib.request.Request(base + path, data=data, headers=headers or {})
        try:
            with opener.open(request, timeout=10) as response:
                statuses.append(response.status)
                return response.read().decode()
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
            return exc.read().decode()

    plain = urllib.request.build_opener()
    for caller in (A, B, "+6598769999", "anonymous"):
        body = {
            "eventType": "CALL_ACTION",
            "payload": {
                "eventId": f"log-{caller}",
                "sessionId": f"log-session-{caller}",
                "callStatus": "CALL_RECEIVED",
                "source": caller,
                "destination": VN,
            },
        }
        send(
            plain,
            "/callflows/8x8/call-action/",
            json.dumps(body).encode(),
            {"Authorization": AUTH, "Content-Type": "application/json"},
        )
    login = send(browser, "/admin/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login).group(1)
    form = {"username": "admin", "password": "pw", "csrfmiddlewaretoken": csrf, "next": "/admin/"}
    send(browser, "/admin/login/?next=/admin/", urllib.parse.urlencode(form).encode())
    quoted = urllib.parse.quote(A)
    simulated = send(browser, f"/admin/simulator/?virtual_number=1&caller={quoted}")
    assert "makeCall" in simulated, "the admin flows must run logged in"
    for path in (
        f"/admin/masking/maskingsession/?q={quoted}",
        f"/admin/masking/maskingsession/?q={A[1:]}",
        f"/admin/callflows/call/?q={quoted}",
        f"/admin/masking/recordingoptin/?number__regex={quoted}",  # an error (bad regex)
        f"/admin/no-such-page/{A[1:]}/",  # a 404 naming a number
        # Numbers with separators and URL encoding, as staff type them into the search box.
        f"/admin/masking/maskingsession/?q={A[3:7]}+{A[7:]}",
        f"/admin/masking/maskingsession/?q=%2B65-{A[3:7]}-{A[7:]}",
        f"/admin/callflows/call/?q=%2865%29+{A[3:7]}.{A[7:]}",
    ):
        send(browser, path)
    api = {"Authorization": f"Token {token}"}
    for path in (
        f"/api/sessions/?participant={quoted}",
        f"/api/sessions/?participant={A[1:]}",
        f"/api/sessions/?participant=%2B65+{A[3:7]}+{A[7:]}",
        f"/api/sessions/?participant=65%20{A[3:7]}%20{A[7:]}",
        f"/api/sessions/{A[1:]}/",
        "/api/sessions/",
    ):
        send(plain, path, headers=api)
    send(plain, "/api/sessions/", b'{"participant_a": "+65987612"}', {**api, "Content-Type": "x"})
    return statuses


class InsecureCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    def return_ok_secure(self, cookie, request):
        return True


def output_of(process) -> str:
    process.terminate()
    try:
        out, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out.decode("utf-8", "replace")


def assert_redacted(output: str, statuses: list[int]):
    assert 200 in statuses and 404 in statuses, statuses
    assert "GET /admin/" in output, output  # the request lines were logged at all
    assert "••" in output, output  # and numbers in them were redacted
    assert_no_number(output)


def assert_no_number(output: str):
    output = IDS.sub("<id>", output)
    assert DIGIT_RUN.findall(output) == [], output
    assert [p.pattern for p in SEPARATED if p.search(output)] == [], output


def test_gunicorn_with_the_shipped_configuration_logs_no_number(server_env):
    env, token = server_env
    port = free_port()
    process = run_server(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
        + ["masking.wsgi"],
        env,
        port,
    )
    statuses = main_flows(f"http://127.0.0.1:{port}", token)
    assert_redacted(output_of(process), statuses)


def test_runserver_with_debug_on_logs_no_number(server_env):
    env, token = server_env
    port = free_port()
    process = run_server(
        [str(BIN / "python"), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        {**env, "DEBUG": "true"},
        port,
    )
    statuses = main_flows(f"http://127.0.0.1:{port}", token)
    assert_redacted(output_of(process), statuses)


HANDLERS_WITHOUT_FILTER = """
import logging, django
django.setup()
from masking.privacy import RedactPhoneNumbersFilter
loggers = [logging.getLogger()] + [
    l for l in logging.Logger.manager.loggerDict.values() if isinstance(l, logging.Logger)
]
handlers = {h for l in loggers for h in l.handlers}
assert handlers, "no handler at all"
print([repr(h) for h in handlers if not any(
    isinstance(f, RedactPhoneNumbersFilter) for f in h.filters)])
"""


@pytest.mark.parametrize("debug", ["true", "false"])
def test_every_handler_redacts(server_env, debug):
    """Whatever configured it (LOGGING, Django's defaults, a library), each handler filters.
    In a fresh process: the test runner's own capture handlers are not the product's."""
    env, _ = server_env
    result = subprocess.run(
        [str(BIN / "python"), "-c", HANDLERS_WITHOUT_FILTER],
        cwd=ROOT,
        env={**env, "DEBUG": debug, "DJANGO_SETTINGS_MODULE": "masking.settings"},
        capture_output=True,
        check=True,
    )
    assert result.stdout.decode().strip() == "[]"


RECEIVER_ERROR = f"unknown customer +65 {A[3:7]} {A[7:]} and 65-{B[3:7]}-{B[7:]}".encode()
OPEN_WITH_CALLBACKS = f"""
from masking.models import Callback, VirtualNumber
from masking.services.sessions import session_open
session_open(virtual_number=VirtualNumber.objects.get(number="{VN}"),
             participant_a="+6598761211", participant_b="+6598761212")
print(" ".join(Callback.objects.values_list("webhook_id", flat=True)))
"""


class Refusing(http.server.BaseHTTPRequestHandler):
    """A receiver that refuses every callback, quoting people's numbers in its error body."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(422)
        self.send_header("Content-Length", str(len(RECEIVER_ERROR)))
        self.end_headers()
        self.wfile.write(RECEIVER_ERROR)

    def log_message(self, *args):
        pass


def test_the_worker_logs_no_number_from_a_receivers_error_and_keeps_webhook_ids(server_env):
    env, _ = server_env
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        worker_env = {
            **env,
            "MASKING_CALLBACK_URL": f"http://127.0.0.1:{receiver.server_port}/hooks",
            "MASKING_CALLBACK_SECRET": "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        }
        manage = [str(BIN / "python"), "manage.py"]
        opened = subprocess.run(
            [*manage, "shell", "-c", OPEN_WITH_CALLBACKS],
            cwd=ROOT,
            env={**worker_env, "MASKING_MANAGEMENT_COMMAND": "true"},
            check=True,
            capture_output=True,
        )
        webhook_ids = opened.stdout.decode().split()
        worker = subprocess.run(
            [*manage, "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
            cwd=ROOT,
            env=worker_env,
            capture_output=True,
            timeout=60,
        )
    finally:
        receiver.shutdown()
    output = worker.stdout.decode() + worker.stderr.decode()
    assert "attempt 1: HTTP 422: unknown customer" in output, output
    assert_no_number(output)
    assert "••" in output
    assert any(webhook_id in output for webhook_id in webhook_ids), (webhook_ids, output)
