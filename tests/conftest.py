"""Suite-wide test settings."""

import os

from hypothesis import HealthCheck, settings

from tests.callback_receiver import receiver  # noqa: F401 (a fixture for every test module)
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
