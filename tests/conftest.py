"""Suite-wide test settings."""

import os

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

from tests.callflows.fake_8x8 import fake_8x8  # noqa: F401 (a fixture for every test module)

# Fuzzing budgets: "ci" keeps `make test` fast; `HYPOTHESIS_PROFILE=long make test` digs deeper.
settings.register_profile(
    "ci",
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _flush_without_the_web_statement_timeout(request):
    """Transactional tests (browser, concurrency) end with pytest-django emptying every table in
    one TRUNCATE on the test's connection, under the web requests' statement timeout (300 ms). On
    a machine busy with other work that TRUNCATE can take longer, fail, and leave rows that break
    the next test: lift the timeout just before it."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("transactional_db")  # set up first, so torn down after this
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
