"""Session rules: what narrows when a pairing routes a call. Pure: no ORM, no request.

A session may carry any of these (README, "Session rules"); a new session takes the defaults from
the settings unless its opener says otherwise:

- one-way: only participant A may call B;
- calling hours: calls route only within a daily window in a time zone (an end earlier than the
  start spans midnight);
- most connected calls: after that many bridges, the session routes no more.

A maximum call length is not offered: 8x8's `makeCall` takes `source`, `destination` and
`callRecording` only (its Send Callflow schema allows two properties), and no Number Masking
document names a duration limit, so nothing we send could end a bridged call in time.
"""

from dataclasses import dataclass, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ONE_WAY = "one_way"
CALLING_HOURS = "calling_hours"
MAX_CALLS = "max_calls"
# What staff and the simulator read for each rule that turned a call away.
RULE_WORDS = {
    ONE_WAY: "one-way: only participant A may call",
    CALLING_HOURS: "outside the session's calling hours",
    MAX_CALLS: "the session's connected calls are used up",
}


def validate_time_zone(value: str) -> None:
    if value and value not in available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a time zone name. Example: “Asia/Singapore”."),
            params={"value": value},
            code="time_zone",
        )


@dataclass(frozen=True)
class SessionRules:
    """The rules of one session, as stored (`MaskingSession`) and as the call decision reads
    them (`masking.routing.SessionFacts.rules`)."""

    one_way: bool = False
    calling_hours_start: time | None = None
    calling_hours_end: time | None = None
    calling_hours_time_zone: str = ""
    max_calls: int | None = None

    def as_fields(self) -> dict:
        return {
            "one_way": self.one_way,
            "calling_hours_start": self.calling_hours_start,
            "calling_hours_end": self.calling_hours_end,
            "calling_hours_time_zone": self.calling_hours_time_zone,
            "max_calls": self.max_calls,
        }

    def described(self) -> list[str]:
        """Each rule in force, in words: for the session's page and the simulator."""
        lines = []
        if self.one_way:
            lines.append("one-way: only participant A may call B")
        if self.calling_hours_start is not None and self.calling_hours_end is not None:
            lines.append(
                f"calls only {self.calling_hours_start:%H:%M} to {self.calling_hours_end:%H:%M} "
                f"{self.calling_hours_time_zone}"
            )
        if self.max_calls:
            lines.append(f"at most {self.max_calls} connected calls")
        return lines


def _parse_hours(text: str) -> tuple[time | None, time | None]:
    """ "08:00-20:00" -> (08:00, 20:00); "" -> (None, None)."""
    if not text:
        return None, None
    start, _sep, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def default_rules() -> SessionRules:
    """The rules a new session gets unless its opener sets them (the settings). Calling hours
    without MASKING_SESSION_TIME_ZONE come with no zone: the session takes its number's pool's
    operations time zone once the number is known (`with_default_zone`)."""
    start, end = _parse_hours(settings.MASKING_SESSION_CALLING_HOURS)
    return SessionRules(
        one_way=settings.MASKING_SESSION_ONE_WAY,
        calling_hours_start=start,
        calling_hours_end=end,
        calling_hours_time_zone=settings.MASKING_SESSION_TIME_ZONE if start is not None else "",
        max_calls=settings.MASKING_SESSION_MAX_CALLS or None,
    )


def with_default_zone(rules: SessionRules, *, operations_time_zone: str) -> SessionRules:
    """`rules`, their calling hours in `operations_time_zone` (the number's pool's) when they
    name no zone."""
    if rules.calling_hours_start is None or rules.calling_hours_time_zone:
        return rules
    return replace(rules, calling_hours_time_zone=operations_time_zone)


def within_hours(rules: SessionRules, *, now: datetime) -> bool:
    start, end = rules.calling_hours_start, rules.calling_hours_end
    if start is None or end is None:
        return True
    try:
        zone = ZoneInfo(rules.calling_hours_time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # spans midnight


def rule_refusing(
    rules: SessionRules, *, caller_role: str, connected_calls: int, now: datetime
) -> str | None:
    """The first rule that turns this call away (ONE_WAY, CALLING_HOURS, MAX_CALLS), or None.
    `caller_role` is the role ("a"/"b") of the participant the call is made as."""
    if rules.one_way and caller_role != "a":
        return ONE_WAY
    if not within_hours(rules, now=now):
        return CALLING_HOURS
    if rules.max_calls and connected_calls >= rules.max_calls:
        return MAX_CALLS
    return None
