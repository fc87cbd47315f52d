"""Reporting on calls: QuerySet methods analysts chain, each one SQL aggregate.

Calls are dated by when we first heard of them (`created_at`): the Call Action, which 8x8 sends as
the call arrives. Examples, in `manage.py shell`::

    from datetime import date
    from callflows.models import Call

    calls = Call.objects.between(date(2026, 11, 1), date(2026, 11, 30))
    calls.totals()
    # {'calls': 1520, 'connected': 1301, 'answered': 1187, 'answer_rate': 0.912,
    #  'talk_minutes': 4210.5}
    calls.per_day()                 # [{'day': date(2026, 11, 1), 'calls': 51, 'answered': 40, ...}]
    calls.by_outcome()              # [{'outcome': 'connect', 'calls': 1301}, ...]
    calls.by_virtual_number()       # per number dialled: calls, answered, talk_minutes
    calls.by_session()              # per masking session
    calls.filter(virtual_number="+6531500101").per_day()

`answer_rate` is answered (status COMPLETED with a bridged leg that talked) over connected
(calls we bridged): how often the other party picked up when we put a call through.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

CONNECTED = Q(outcome="connect")
ANSWERED = Q(outcome="connect", status="COMPLETED", callee_seconds__gt=0)


def _figures():
    return {
        "calls": Count("id"),
        "connected": Count("id", filter=CONNECTED),
        "answered": Count("id", filter=ANSWERED),
        "talk_seconds": Sum("callee_seconds", default=0),
    }


def with_rates(row: dict) -> dict:
    row["answer_rate"] = round(row["answered"] / row["connected"], 3) if row["connected"] else None
    row["talk_minutes"] = round((row.pop("talk_seconds") or 0) / 60, 1)
    return row


class CallQuerySet(models.QuerySet):
    def between(self, start: date | datetime, end: date | datetime):
        """Calls from `start` to `end`, both included when dates (whole days in the operations
        time zone, TIME_ZONE, as `per_day` counts them)."""
        zone = timezone.get_current_timezone()
        if not isinstance(start, datetime):
            start = datetime.combine(start, time.min, tzinfo=zone)
        if not isinstance(end, datetime):
            end = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
            return self.filter(created_at__gte=start, created_at__lt=end)
        return self.filter(created_at__gte=start, created_at__lte=end)

    def today(self):
        today = timezone.localdate()
        return self.between(today, today)

    def answered(self):
        return self.filter(ANSWERED)

    def totals(self) -> dict:
        return with_rates(self.aggregate(**_figures()))

    def per_day(self) -> list[dict]:
        rows = (
            self.annotate(day=TruncDate("created_at"))
            .values("day")
            .annotate(**_figures())
            .order_by("day")
        )
        return [with_rates(dict(row)) for row in rows]

    def by_outcome(self) -> list[dict]:
        return list(
            self.values("outcome").annotate(calls=Count("id")).order_by("-calls", "outcome")
        )

    def by_status(self) -> list[dict]:
        return list(self.values("status").annotate(calls=Count("id")).order_by("-calls", "status"))

    def by_virtual_number(self) -> list[dict]:
        """Per number dialled; calls known with no number yet (8x8's events before the Call
        Action, another sub-account's) are in the totals, under no number here."""
        rows = (
            self.exclude(virtual_number="")
            .values("virtual_number")
            .annotate(**_figures())
            .order_by("-calls")
        )
        return [with_rates(dict(row)) for row in rows]

    def by_session(self) -> list[dict]:
        rows = (
            self.exclude(masking_session=None)
            .values("masking_session", "masking_session__reference")
            .annotate(**_figures())
            .order_by("-calls")
        )
        return [with_rates(dict(row)) for row in rows]

    def average_mos(self) -> float | None:
        value = self.aggregate(mos=models.Avg("callee_mos"))["mos"]
        return round(value, 2) if value is not None else None


# The roll-up's columns are named as the figures: aggregate under other names, then rename.
_FIGURE_NAMES = ("calls", "connected", "answered", "talk_seconds")


def _sums(**figures) -> dict:
    return {f"sum_{name}": expression for name, expression in figures.items()}


def _named(row: dict) -> dict:
    return {key.removeprefix("sum_"): value for key, value in row.items()}


def _counted(rows) -> list[dict]:
    # A roll-up row a late change emptied (its calls moved to another key) counts nothing.
    return [row for row in map(_named, rows) if row["calls"]]


class _DaysQuerySet(models.QuerySet):
    def between(self, start: date, end: date):
        """Days from `start` to `end`, both included, each pool's in its own time zone."""
        return self.filter(day__gte=start, day__lte=end)


class CallDayQuerySet(_DaysQuerySet):
    """The roll-up `CallDay` in `CallQuerySet`'s words: the same methods, the same figures."""

    def _figures(self):
        return _sums(
            calls=Sum("calls", default=0),
            connected=Sum("calls", filter=CONNECTED, default=0),
            answered=Sum("answered", default=0),
            talk_seconds=Sum("talk_seconds", default=0),
        )

    def totals(self) -> dict:
        return with_rates(_named(self.aggregate(**self._figures())))

    def per_day(self) -> list[dict]:
        rows = self.values("day").annotate(**self._figures()).order_by("day")
        return [with_rates(row) for row in _counted(rows)]

    def _by(self, column: str) -> list[dict]:
        rows = (
            self.values(column).annotate(**_sums(calls=Sum("calls"))).order_by("-sum_calls", column)
        )
        return _counted(rows)

    def by_outcome(self) -> list[dict]:
        return self._by("outcome")

    def by_status(self) -> list[dict]:
        return self._by("status")


class CallNumberDayQuerySet(_DaysQuerySet):
    def per_number(self):
        """Per number dialled, the busiest first, as a QuerySet (to slice, or to stream): its
        rows through `number_rows`."""
        return (
            self.values("virtual_number")
            .annotate(**_sums(**{name: Sum(name, default=0) for name in _FIGURE_NAMES}))
            .filter(sum_calls__gt=0)
            .order_by("-sum_calls", "virtual_number")
        )

    def by_virtual_number(self) -> list[dict]:
        """As `CallQuerySet.by_virtual_number`."""
        return list(number_rows(self.per_number()))


def number_rows(rows) -> Iterator[dict]:
    """`CallNumberDayQuerySet.per_number`'s rows in the figures' names, with their rates."""
    for row in rows:
        yield with_rates(_named(row))
