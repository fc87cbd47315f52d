"""The operations time zone: the one staff read and type times in (MASKING_OPERATIONS_TIME_ZONE).

It is Django's TIME_ZONE, so the admin shows stored (UTC) times in it and reads typed times in
it; every page names it, so nobody has to guess which zone a time is in.
"""

import re
from collections.abc import Callable
from datetime import datetime

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime

# A date and a time of day, with T or a space between: a bare date is refused (which hour?).
_HAS_TIME = re.compile(r"^\s*\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}")


def staff_time(value: datetime) -> str:
    """ "6 Dec 2026, 18:00 +08": how every staff page and list shows a time (one format)."""
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def iso_times() -> Callable[[datetime | None], str]:
    """ "2026-12-06T18:00:00+08:00": a time as an export writes it, in the operations zone ("" for
    none). The zone is looked up once, not once a cell (`timezone.localtime` reads it from a
    context-local each time, a third of an export's time conversions)."""
    zone = timezone.get_current_timezone()

    def iso(value: datetime | None) -> str:
        return value.astimezone(zone).isoformat(timespec="seconds") if value else ""

    return iso


def time_examples() -> str:
    """How to write a time for the CSV import, in one line (for an error message)."""
    return f"2026-12-06 18:00 or 2026-12-06T18:00, read in {zone_label()}"


def typed_time_formats() -> str:
    """The time formats staff may type (CSV), in words, with the zone they are read in."""
    offset = timezone.localtime(timezone.now()).strftime("%z")
    iso_zone = "Z" if offset == "+0000" else f"{offset[:3]}:{offset[3:]}"
    return (
        f"a date and time in {zone_label()}: 2026-12-06 18:00 or 2026-12-06T18:00 (seconds "
        f"optional: 2026-12-06 18:00:00); or ISO 8601 with its own zone: "
        f"2026-12-06T18:00:00{iso_zone}"
    )


def parse_staff_time(text: str) -> datetime | None:
    """A time as staff type it: without a zone, in the operations zone; with one, as written.

    None when it is not a date and a time of day.
    """
    if not _HAS_TIME.match(text):
        return None
    try:
        value = parse_datetime(text.strip())
    except ValueError:  # well formed but impossible: 2026-02-30 18:00
        return None
    if value is None:
        return None
    return value if value.tzinfo is not None else timezone.make_aware(value)


def zone_label(now=None) -> str:
    """ "Asia/Singapore (UTC+08:00)": the zone's name and its offset now."""
    zone = timezone.get_current_timezone()
    offset = timezone.localtime(now or timezone.now(), zone).strftime("%z")
    return f"{zone} (UTC{offset[:3]}:{offset[3:]})"


def localize_iso(text: str) -> str:
    """An ISO 8601 time with a zone, as staff read times; anything else unchanged."""
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        return text
    return staff_time(value)


def operations_zone(request) -> dict:
    """Template context: `ops_zone`, shown in the admin's header."""
    return {"ops_zone": zone_label()}
