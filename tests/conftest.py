"""Suite-wide test settings."""

import os

import pytest
from django.conf import settings as django_settings
from django.db import connection
from hypothesis import HealthCheck, settings

from tests.callback_receiver import receiver  # noqa: F401 (a fixture for every test module)
from tests.callflows.fake_8x8 import fake_8x8  # noqa: F401 (a fixture for every test module)

# Hashing a password the production way (PBKDF2, 1,000,000 iterations) costs a tenth of a second
# or more per user created or signed in (`admin_client` does both); the suite tests what the
# passwords guard, not the hasher, so it hashes with MD5. Processes the tests start (gunicorn,
# manage.py) keep production's hashers.
django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# tests/pgbouncer needs the whole run to go through a pooler: `make test-pgbouncer` starts one.
collect_ignore = [] if os.environ.get("PGBOUNCER_PORT") else ["pgbouncer"]

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
def _provider_state_forgotten():
    """What connect_8x8 stored is cached per process; each test starts from its own database."""
    from callflows.provider_state import cache
    from callflows.subaccounts import credentials

    cache.clear()
    credentials.clear()  # the pools' webhook credentials (rolled back with the test's database)
    yield
    cache.clear()
    credentials.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    """Empty the database after a transactional test without the web's statement timeout.

    pytest-django empties it with one TRUNCATE of every table, on the test's own connection, which
    runs with the production setting (300 ms per statement). On a loaded machine that TRUNCATE
    takes longer; it is test housekeeping, not a web request, so it may take what it needs.
    """
    marker = item.get_closest_marker("django_db")
    relax = bool(marker and marker.kwargs.get("transaction")) and connection.vendor == "postgresql"
    if relax:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0; SET lock_timeout = 0")
        except Exception:  # the test's database never came up: nothing to empty
            relax = False
    yield
    if relax and connection.connection is not None:
        with connection.cursor() as cursor:
            # Back to the connection's startup options.
            cursor.execute("RESET statement_timeout; RESET lock_timeout")


# Creating and dropping the test database, and migrating it, are test housekeeping too: they run
# without the web's statement timeout, and every test runs with it (see masking/settings.py).
_DB_OPTIONS = django_settings.DATABASES["default"].get("OPTIONS", {})
_WEB_TIMEOUTS = _DB_OPTIONS.pop("web_timeouts", None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    if _WEB_TIMEOUTS is not None:
        _DB_OPTIONS["web_timeouts"] = _WEB_TIMEOUTS
        connection.close()  # the next connection starts with the timeouts
    yield
    _DB_OPTIONS.pop("web_timeouts", None)
    connection.close()
