"""Request bodies are bounded per route, refused before they are read, chunked ones while being
read, and read only after the route's credentials (issue 25, finding 1).

Every body here is a generator that counts what was taken from it: a refused body must come back
with (almost) nothing consumed. `tests/benchmarks/bench_body_memory.py` shows the same against a
live gunicorn, with the workers' memory before and after.
"""

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from tests.callflows.conftest import AUTH

MiB = 1024 * 1024


class CountingInput:
    """A request body of `size` bytes, made as it is read; `taken` is what the server read."""

    def __init__(self, size: int, prefix: bytes = b""):
        self.size, self.prefix, self.taken = size, prefix, 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.taken
        n = left if n is None or n < 0 else min(n, left)
        start = self.taken
        self.taken += n
        head = self.prefix[start : start + n]
        return head + b"a" * (n - len(head))

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


def post(client, path: str, body: CountingInput, *, chunked: bool, **extra):
    content_type = extra.pop("content_type", "application/x-www-form-urlencoded")
    meta = {"wsgi.input": body, "CONTENT_TYPE": content_type}
    if chunked:
        meta.update(HTTP_TRANSFER_ENCODING="chunked", CONTENT_LENGTH="")
        meta["wsgi.input_terminated"] = True
    else:
        meta["CONTENT_LENGTH"] = str(body.size)
    return client.generic("POST", path, b"", content_type, **meta, **extra)


@pytest.fixture
def api(db):
    user = User.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def staff(client, db):
    user = User.objects.create_user("staff", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("chunked", [False, True])
def test_a_16_mib_anonymous_login_is_refused_before_it_is_read(client, db, chunked):
    """The finding: 36 such logins took the workers from 200 MB to 2.5 GB."""
    body = CountingInput(16 * MiB, prefix=b"username=")
    response = post(client, "/admin/login/", body, chunked=chunked)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    # Declared too large: nothing read. Chunked: read up to the anonymous limit, no further.
    assert body.taken == (16_385 if chunked else 0)


@pytest.mark.parametrize("length", ["²", "¹²", "-1", "1e3", " "])
def test_an_odd_content_length_is_a_400_not_a_500(client, db, length):
    """Review: "²".isdigit() is True and int("²") raises (runserver and other WSGI servers pass
    such a header through; gunicorn refuses it itself)."""
    client.raise_request_exception = False
    response = client.generic(
        "POST", "/admin/login/", b"", "application/x-www-form-urlencoded", CONTENT_LENGTH=length
    )
    assert response.status_code == 400
    assert response.json()["error"] == "bad_content_length"


def test_an_ordinary_login_form_still_signs_in(client, db):
    User.objects.create_user("staff", password="correct horse battery", is_staff=True)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "staff", "password": "correct horse battery"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("endpoint", ["call-status", "virtual-number-updated"])
@pytest.mark.parametrize("chunked", [False, True])
def test_webhooks_read_no_body_without_the_credential(client, db, settings, endpoint, chunked):
    """Chunked bodies were read whole, 16 MiB at a time, before the Authorization header."""
    settings.WEBHOOK_AUTH_HEADER = AUTH
    body = CountingInput(60_000)  # within every webhook's limit
    response = post(
        client,
        f"/callflows/8x8/{endpoint}/",
        body,
        chunked=chunked,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer wrong",
    )
    assert response.status_code == 401
    assert body.taken == 0


def test_a_chunked_webhook_body_stops_at_its_limit(provider, db):
    body = CountingInput(16 * MiB, prefix=b'{"payload": "')
    response = post(
        provider, "/callflows/8x8/call-status/", body, chunked=True, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["limit"] == 65_536
    assert body.taken == 65_537


def test_a_number_snapshot_may_be_larger_than_any_other_body(provider, db, settings):
    body = CountingInput(settings.MASKING_NUMBER_UPDATE_MAX_BODY_BYTES + 1)
    response = post(
        provider, "/callflows/8x8/virtual-number-updated/", body, chunked=False,
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 413
    assert body.taken == 0
    assert settings.MASKING_NUMBER_UPDATE_MAX_BODY_BYTES > settings.MASKING_PROVIDER_MAX_BODY_BYTES


@pytest.mark.parametrize("chunked", [False, True])
def test_the_api_reads_no_body_without_a_token(client, db, chunked):
    body = CountingInput(2 * MiB, prefix=b"{")
    response = post(
        client, "/api/sessions/", body, chunked=chunked, content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert body.taken == 0


@pytest.mark.parametrize("chunked", [False, True])
def test_the_api_takes_no_more_than_djangos_default(api, settings, chunked):
    body = CountingInput(16 * MiB, prefix=b'{"reference": "')
    response = post(api, "/api/sessions/", body, chunked=chunked, content_type="application/json")
    assert response.status_code == 413
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440  # Django's default
    assert body.taken == (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1 if chunked else 0)


@pytest.mark.parametrize("chunked", [False, True])
def test_staff_forms_take_no_more_than_djangos_default(staff, settings, chunked):
    body = CountingInput(16 * MiB, prefix=b"reference=")
    response = post(staff, "/admin/masking/maskingsession/add/", body, chunked=chunked)
    assert response.status_code == 413
    assert body.taken == (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1 if chunked else 0)


def test_staff_forms_below_the_limit_are_read(staff):
    body = CountingInput(1 * MiB, prefix=b"reference=")
    response = post(staff, "/admin/masking/maskingsession/add/", body, chunked=True)
    assert response.status_code == 200  # the form, with its errors
    assert body.taken == 1 * MiB
