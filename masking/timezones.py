"""The operations time zone: the one staff read and type times in (MASKING_OPERATIONS_TIME_ZONE).

It is Django's TIME_ZONE, so the admin shows stored (UTC) times in it and reads typed times in
it; every page names it, so nobody has to guess which zone a time is in.
"""

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime


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
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def operations_zone(request) -> dict:
    """Template context: `ops_zone`, shown in the admin's header."""
    return {"ops_zone": zone_label()}
