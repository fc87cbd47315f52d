"""The API suite's fixtures, for the review's API tests."""

from tests.masking.api.conftest import api  # noqa: F401
