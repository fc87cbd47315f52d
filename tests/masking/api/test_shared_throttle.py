"""The API's throttles count in the shared cache (CACHE_URL): a client's requests spread over
several processes (workers, hosts) are counted once. With a cache per process, 2 hosts x 3
workers let five times the limit through.

PostgreSQL and Redis: two gunicorn processes share the test's database and one Redis database,
under a key prefix of this run's own.
"""

import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.contrib.auth.models import Permission, User
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.servers import gunicorn

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="two processes share the database; `make test` runs it on PostgreSQL",
    ),
]
REDIS_URL = "redis://127.0.0.1:6379/0"


def get(port, token) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/sessions/", headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def token_for(username) -> str:
    user = User.objects.create_user(username)
    user.user_permissions.set(Permission.objects.filter(codename="view_maskingsession"))
    return Token.objects.create(user=user).key


def test_two_processes_share_one_throttle_count_through_redis():
    """One client alternating between two processes, then another sending 40 requests at once
    across both: 10 pass each time. DRF's own throttles read and write back a list, so requests
    answered at the same moment by different processes all passed; the count here is one atomic
    increment per request."""
    alternating, burst = token_for("alternating"), token_for("burst")
    prefix = f"masking-test-{uuid.uuid4().hex}"
    env = {"CACHE_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix, "API_THROTTLE_USER": "10/min"}
    try:
        with (
            gunicorn(env=env) as first,
            gunicorn(env=env) as second,
            ThreadPoolExecutor(16) as pool,
        ):
            one_by_one = [get(port, alternating) for _ in range(10) for port in (first, second)]
            at_once = list(pool.map(lambda n: get((first, second)[n % 2], burst), range(40)))
    finally:
        store = redis.Redis.from_url(REDIS_URL)
        for key in store.scan_iter(f"{prefix}:*"):
            store.delete(key)
    assert one_by_one[:10] == [200] * 10
    assert one_by_one[10:] == [429] * 10  # the limit is the client's, whichever process answers
    assert sorted(at_once) == [200] * 10 + [429] * 30
