"""The API suite's fixtures, for the review's API tests."""

from tests.callflows.conftest import prompts  # noqa: F401
from tests.masking.api.conftest import api  # noqa: F401
