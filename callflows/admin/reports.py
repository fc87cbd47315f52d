"""The reports page: the main call figures for a chosen period and pool, on screen and as CSV.

Figures come from the call roll-up (`callflows.call_days`), never from the calls themselves, so a
month at 10,000,000 calls is a few hundred rows read. Each pool's days are its own time zone's
(`Pool.operations_time_zone`, else the deployment's); a report across pools adds up each pool's
days. A staff member given pools sees those pools only (`masking.pool_access`), and chooses one
or all of them. The page lists the busiest numbers and the fullest; the CSV every one, streamed.
"""

from collections.abc import Iterator
from datetime import timedelta
from itertools import chain
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from callflows.models import CallDay, CallNumberDay
from callflows.reports import number_rows
from callflows.words import decision_words, outcome_words
from masking.models import Pool, VirtualNumber
from masking.pool_access import within_pools
from masking.spreadsheets import csv_stream

# On the page; the CSV has every number.
NUMBERS_SHOWN = 20
FIGURES = ["calls", "connected", "answered", "answer_rate", "talk_minutes"]


class ReportForm(forms.Form):
    start = forms.DateField(help_text="First day, included. Example: 2026-11-01.")
    end = forms.DateField(help_text="Last day, included. Example: 2026-11-30.")
    pool = forms.ModelChoiceField(
        queryset=Pool.objects.none(),
        required=False,
        empty_label="Every pool",
        help_text="One pool's calls, or every pool you may see (each in its own days).",
    )

    def __init__(self, *args, pools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pool"].queryset = pools

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The period ends before it starts.")
        return data


def visible_pools(user):
    return within_pools(Pool.objects.order_by("name"), user=user, path="pk")


def _scoped(queryset, *, user, pool):
    if user is not None:
        queryset = within_pools(queryset, user=user, path="pool")
    return queryset if pool is None else queryset.filter(pool=pool)


def report_for(start, end, *, user=None, pool=None) -> dict:
    """The report's figures from the roll-up: `pool`'s, or every pool `user` may see (every
    pool, and calls to no pool's number, for a user given none, or None)."""
    days = _scoped(CallDay.objects.between(start, end), user=user, pool=pool)
    number_days = _scoped(CallNumberDay.objects.between(start, end), user=user, pool=pool)
    numbers = _scoped(VirtualNumber.objects.all(), user=user, pool=pool)
    zones = [
        (p.name, p.rules.operations_time_zone)
        for p in (
            [pool] if pool is not None else visible_pools(user) if user else Pool.objects.all()
        )
    ]
    return {
        "totals": days.totals(),
        "per_day": days.per_day(),
        "by_outcome": [
            {**row, "words": decision_words(row["outcome"])} for row in days.by_outcome()
        ],
        "by_status": [{**row, "words": outcome_words(row["status"])} for row in days.by_status()],
        "number_days": number_days,
        "numbers": numbers,
        "zones": zones,
    }


def _rate(value) -> str:
    return "" if value is None else value


def _figures_of(row: dict) -> list:
    return [
        row["calls"],
        row["connected"],
        row["answered"],
        _rate(row["answer_rate"]),
        row["talk_minutes"],
    ]


def _pool_use(numbers):
    return numbers.order_by("-open_sessions", "number").values_list(
        "number", "status", "open_sessions"
    )


def report_tables(report: dict, *, whole: bool = True) -> list[tuple[str, list[str], Iterator]]:
    """Every table the page shows, as (title, header, rows): the CSV holds the same. `whole`:
    every number (read as streamed); else the busiest and the fullest, as the page shows."""
    by_number = report["number_days"].per_number()
    pool_use = _pool_use(report["numbers"])
    if whole:
        by_number, pool_use = by_number.iterator(chunk_size=2000), pool_use.iterator(2000)
    else:
        by_number, pool_use = by_number[:NUMBERS_SHOWN], pool_use[:NUMBERS_SHOWN]
    return [
        ("Totals", FIGURES, [_figures_of(report["totals"])]),
        (
            "By our decision",
            ["decision", "calls"],
            [[row["words"], row["calls"]] for row in report["by_outcome"]],
        ),
        (
            "By 8x8's outcome",
            ["outcome", "calls"],
            [[row["words"], row["calls"]] for row in report["by_status"]],
        ),
        (
            "Per day",
            ["day", *FIGURES],
            [[row["day"], *_figures_of(row)] for row in report["per_day"]],
        ),
        (
            "By virtual number",
            ["virtual_number", *FIGURES],
            ([row["virtual_number"], *_figures_of(row)] for row in number_rows(by_number)),
        ),
        ("Pool use now", ["virtual_number", "status", "open_sessions"], map(list, pool_use)),
    ]


def _zones_text(zones: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name}: {zone}" for name, zone in zones) or "no pool"


def report_csv(report: dict, start, end) -> StreamingHttpResponse:
    """One file, one section a table: its title, its header, its rows, then a blank line;
    written while it is read (constant memory whatever the pool)."""

    def sections():
        yield []
        for title, header, rows in report_tables(report, whole=True):
            yield from chain([[title], header], rows, [[]])

    zones = _zones_text(report["zones"])
    title = f"Call report {start} to {end} (days in each pool's time zone: {zones})"
    return csv_stream(filename=f"calls-{start}-{end}.csv", header=[title], rows=sections())


def reports_view(request):
    if not request.user.has_perm("callflows.view_call"):
        raise PermissionDenied
    pools = visible_pools(request.user)
    today = timezone.localdate()
    default = {"start": today - timedelta(days=29), "end": today}
    # The period is the one asked for, or the last 30 days: the export link works from either.
    asked = "start" in request.GET or "end" in request.GET
    data = request.GET if asked else {**default, "pool": request.GET.get("pool", "")}
    form = ReportForm(data, pools=pools)
    report = tables = None
    csv_query = ""
    if form.is_valid():
        start, end, pool = (form.cleaned_data[k] for k in ("start", "end", "pool"))
        report = report_for(start, end, user=request.user, pool=pool)
        if request.GET.get("format") == "csv":
            return report_csv(report, start, end)
        tables = {title: list(rows) for title, _header, rows in report_tables(report, whole=False)}
        query = {"start": start.isoformat(), "end": end.isoformat(), "format": "csv"}
        if pool is not None:
            query["pool"] = pool.pk
        csv_query = urlencode(query)
    context = {
        **admin.site.each_context(request),
        "title": "Call reports",
        "form": form,
        "report": report,
        "busiest": tables and tables["By virtual number"],
        "fullest": tables and tables["Pool use now"],
        "numbers_shown": NUMBERS_SHOWN,
        "zones": report and _zones_text(report["zones"]),
        "numbers_url": f"{reverse('admin:masking_virtualnumber_changelist')}?use=in_service",
        "csv_query": csv_query,
    }
    return TemplateResponse(request, "admin/callflows/reports.html", context)
