"""The roll-up of calls the dashboard and the reports read: figures per pool and day.

At 10,000,000 calls an aggregate over `callflows_call` takes seconds (issue 28: reports 19 s, the
dashboard 5 s). These two tables hold the same figures already summed, kept exact by database
triggers on `callflows_call` (`callflows.rollup`), so a report reads a few hundred rows, not
millions:

- `CallDay`: per pool, day, our decision and 8x8's outcome: totals, per day, by decision, by
  outcome, and the dashboard's calls today and its chart;
- `CallNumberDay`: per pool, dialled number and day: the reports' table by number.

A call counts in the pool that answered it (`Call.pool`), on a calendar day in that pool's
operations time zone (`Pool.operations_time_zone`, else the deployment's
MASKING_OPERATIONS_TIME_ZONE), taken from the call's `created_at` as the raw aggregates
(`callflows.reports.CallQuerySet`) take it. Calls that were no pool's (to a number not ours then, a
call known from a status event only) have no pool, and their days are in the deployment's zone.
Rows are never edited by hand: the triggers add and subtract.
"""

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from callflows.reports import CallDayQuerySet, CallNumberDayQuerySet


def _pool_field():
    return models.ForeignKey(
        "masking.Pool",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pool"),
        help_text=_(
            "The pool that answered the calls (Call.pool); empty for calls that were no pool's."
        ),
    )


def _count(verbose: str, example: str, *, field=models.BigIntegerField):
    return field(_(verbose), default=0, help_text=_("Example: %s.") % example)


def _small_count(verbose: str, example: str):
    # A number's day fits an integer (2,147,483,647 talk seconds are 24,855 calls at once all
    # day), and PostgreSQL sums integers as bigint, faster than the numeric it sums bigints
    # as: the reports' busiest numbers sum 300,000 of these rows at 10,000 numbers.
    return _count(verbose, example, field=models.IntegerField)


class CallDay(models.Model):
    """Calls of one pool on one day with one decision and one 8x8 outcome, summed (over a few
    rows, `shard`: always read with Sum)."""

    pool = _pool_field()
    day = models.DateField(_("day"), help_text=_("In the pool's operations time zone."))
    outcome = models.CharField(
        _("our decision"), max_length=16, blank=True, help_text=_("Example: connect.")
    )
    status = models.CharField(
        _("8x8's outcome"),
        max_length=12,
        blank=True,
        help_text=_("Empty until 8x8's summary of the call arrives. Example: COMPLETED."),
    )
    shard = models.PositiveSmallIntegerField(
        _("shard"),
        default=0,
        help_text=_(
            "The call id modulo callflows.rollup.SHARDS: a day's figures are split over a few "
            "rows so concurrent calls do not queue on one; read them summed. Example: 7."
        ),
    )
    calls = _count("calls", "51")
    answered = _count("answered", "40")
    talk_seconds = _count("talk seconds", "2400")

    objects = CallDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("calls of a day")
        verbose_name_plural = _("calls per day")
        constraints = [
            # The triggers' upsert target; a call to no pool's number counts under pool 0.
            models.UniqueConstraint(
                Coalesce("pool", Value(0)),
                F("day"),
                F("outcome"),
                F("status"),
                F("shard"),
                name="callflows_callday_one_row_a_key",
            )
        ]

    def __str__(self):
        return f"{self.day} {self.outcome} {self.status}: {self.calls}"


class CallNumberDay(models.Model):
    """Calls to one dialled number on one day (in its pool's time zone), summed."""

    pool = _pool_field()
    virtual_number = models.CharField(
        _("virtual number dialled"), max_length=20, blank=True, help_text=_("Example: +6531500101.")
    )
    day = models.DateField(_("day"), help_text=_("In the pool's operations time zone."))
    calls = _small_count("calls", "12")
    connected = _small_count("connected", "10")
    answered = _small_count("answered", "8")
    talk_seconds = _small_count("talk seconds", "960")

    objects = CallNumberDayQuerySet.as_manager()

    class Meta:
        verbose_name = _("calls to a number on a day")
        verbose_name_plural = _("calls per number and day")
        constraints = [
            models.UniqueConstraint(
                Coalesce("pool", Value(0)),
                F("virtual_number"),
                F("day"),
                name="callflows_callnumberday_one_row_a_key",
            )
        ]
        # A report's period: a range of days, of every pool or some.
        indexes = [models.Index(fields=["day", "pool"], name="callflows_callnumberday_day")]

    def __str__(self):
        return f"{self.virtual_number} {self.day}: {self.calls}"
