"""The call log, events and reports in the admin."""

from callflows.admin import calls, numbers  # noqa: F401
