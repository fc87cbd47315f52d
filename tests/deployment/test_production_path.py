"""README's production path ("Production"), step by step, as an operator on a fresh host runs it:
a database and a role of their own, migrate, collectstatic, the first superuser, the staff groups,
gunicorn from the shipped configuration with DEBUG off, then the checks a person makes: ready,
static files served, the admin login through a proxy on a non-443 port, a session opened through
the API and a call connected.

PostgreSQL only (a new database on the test server, unique to this run, dropped afterwards). The
packages are the checkout's own (`make install`); README's install step is `pip install -r
requirements.txt` without the dev packages.
"""

import http.client
import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection

from tests.callflows.conftest import call_action
from tests.servers import free_port

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a new PostgreSQL database; `make test` runs it"
)
ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://masking.example.test:8443"  # the proxy's address, on a non-443 port
AUTH = "Bearer production-path-" + "s" * 32
VN, A, B = "+6531500177", "+6591230071", "+6591230072"


def upstream():
    """PostgreSQL itself: from the test's settings, or beside the pooler in the PgBouncer leg."""
    s = connection.settings_dict
    if os.environ.get("PGBOUNCER_UPSTREAM"):
        return os.environ["PGBOUNCER_UPSTREAM"].split(":")
    return s["HOST"] or "127.0.0.1", str(s["PORT"] or 5432)


@pytest.fixture
def fresh_database():
    """Step 2: a database and a role for the service (README, "Production")."""
    host, port = upstream()
    name = f"masking_prod_{uuid.uuid4().hex[:8]}"
    user = connection.settings_dict["USER"]
    with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as pg:
        pg.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'role-password'")
        pg.execute(f"CREATE DATABASE {name} OWNER {name}")
        try:
            yield f"postgres://{name}:role-password@{host}:{port}/{name}"
        finally:
            pg.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            pg.execute(f"DROP ROLE IF EXISTS {name}")


def test_readme_production_path_from_a_fresh_database_to_a_connected_call(fresh_database, tmp_path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "MASKING_", "DATABASE_"))
    }
    env.update(
        {
            # The service's environment file (README, "Production"; .env.example).
            "DEBUG": "false",
            "SECRET_KEY": "production-path-" + "k" * 50,
            "ALLOWED_HOSTS": "masking.example.test,127.0.0.1",
            "DATABASE_URL": fresh_database,
            "CONN_MAX_AGE": "60",
            "WEBHOOK_AUTH_HEADER": AUTH,
            "MASKING_TRUSTED_PROXIES": "1",
            "CSRF_TRUSTED_ORIGINS": PUBLIC,
            "STATIC_ROOT": str(tmp_path / "static"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_ACCESS_LOG": "",
            "DJANGO_SUPERUSER_PASSWORD": "first-superuser-password",
        }
    )

    def manage(*args) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    # Steps 3 to 6.
    manage("migrate", "--noinput", "-v0")
    manage("collectstatic", "--noinput", "-v0")
    manage("createsuperuser", "--noinput", "--username", "admin", "--email", "ops@example.test")
    manage("setup_staff_groups", "-v0")
    token = re.search(r"[0-9a-f]{40}", manage("drf_create_token", "admin")).group(0)

    # Step 7: gunicorn from the shipped configuration (README's systemd unit runs exactly this).
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "masking.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_CMD_ARGS": "--workers=1"},
    )
    try:
        web = wait_for(port)
        # The load balancer's probes.
        assert request(web, "GET", "/readyz")[0] == 200
        # Static files collected and served (WhiteNoise).
        status, _, _ = request(web, "GET", "/static/admin/css/base.css", proxied=True)
        assert status == 200
        # The admin login through the proxy on port 8443.
        assert admin_login(web) == (302, "/admin/")
        # A session opened by the backend, and a call connected.
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        status, _, body = request(
            web, "POST", "/api/virtual-numbers/", json.dumps({"number": VN}), headers, proxied=True
        )
        assert status == 201, body
        pair = json.dumps({"participant_a": A, "participant_b": B, "virtual_number": VN})
        status, _, body = request(web, "POST", "/api/sessions/", pair, headers, proxied=True)
        assert status == 201, body
        call = json.dumps(call_action(A, VN))
        status, _, body = request(
            web,
            "POST",
            "/callflows/8x8/call-action/",
            call,
            {"Authorization": AUTH, "Content-Type": "application/json"},
            proxied=True,
        )
        assert status == 200
        assert json.loads(body)["callflow"][-1]["action"] == "makeCall"
    finally:
        server.terminate()
        server.wait(20)


def wait_for(port) -> http.client.HTTPConnection:
    for _ in range(150):
        try:
            web = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            web.request("GET", "/healthz")
            assert web.getresponse().read()
            return web
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not come up")


def request(web, method, path, body=None, headers=None, *, proxied=False):
    """(status, headers, body). `proxied`: as the reverse proxy forwards it (README's nginx)."""
    sent = dict(headers or {})
    if proxied:
        sent.update(
            {
                "Host": "masking.example.test",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "203.0.113.9",
            }
        )
    web.request(method, path, body=body, headers=sent)
    response = web.getresponse()
    return response.status, response, response.read().decode(errors="replace")


def admin_login(web) -> tuple[int, str]:
    status, response, page = request(web, "GET", "/admin/login/", proxied=True)
    assert status == 200
    cookie = response.getheader("Set-Cookie").split(";")[0]  # csrftoken=...
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": "admin",
            "password": "first-superuser-password",
            "next": "/admin/",
        }
    )
    status, response, _ = request(
        web,
        "POST",
        "/admin/login/",
        form,
        {
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            # The browser's: the public origin, port included, which Host does not carry.
            "Origin": PUBLIC,
            "Referer": f"{PUBLIC}/admin/login/",
        },
        proxied=True,
    )
    return status, response.getheader("Location")
