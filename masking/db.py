"""Database helpers shared by the services."""

from django.conf import settings
from django.db import connection

# Writes that queue behind each other on purpose (openings on one number) may wait longer than the
# web's statement timeout, which exists for the caller on the Call Action path, not for them.
WRITE_TIMEOUT_MS = 5000


def relax_statement_timeout(ms: int = WRITE_TIMEOUT_MS) -> None:
    """Inside a transaction on PostgreSQL: allow its statements `ms` milliseconds each."""
    if connection.vendor == "postgresql" and settings.DATABASES["default"].get("OPTIONS", {}).get(
        "options"
    ):
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(ms)])
