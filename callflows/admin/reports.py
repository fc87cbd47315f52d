"""The reports page: the main call figures for a chosen period, on screen and as CSV."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from callflows.models import Call
from callflows.words import decision_words, outcome_words
from masking.db import relax_statement_timeout
from masking.models import VirtualNumber
from masking.spreadsheets import csv_writer


class PeriodForm(forms.Form):
    start = forms.DateField(help_text="First day, included. Example: 2026-11-01.")
    end = forms.DateField(help_text="Last day, included. Example: 2026-11-30.")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("The period ends before it starts.")
        return data


def report_for(start, end) -> dict:
    calls = Call.objects.between(start, end)
    return {
        "totals": calls.totals(),
        "per_day": calls.per_day(),
        "by_outcome": [
            {**row, "words": decision_words(row["outcome"])} for row in calls.by_outcome()
        ],
        "by_status": [{**row, "words": outcome_words(row["status"])} for row in calls.by_status()],
        "by_number": calls.by_virtual_number(),
        "pool": VirtualNumber.objects.order_by("-open_sessions", "number").values(
            "number", "status", "open_sessions"
        ),
    }


def _rate(value) -> str:
    return "" if value is None else value


def report_tables(report: dict) -> list[tuple[str, list[str], list[list]]]:
    """Every table the page shows, as (title, header, rows): the CSV holds the same."""
    t = report["totals"]
    figures = ["calls", "connected", "answered", "answer_rate", "talk_minutes"]
    return [
        (
            "Totals",
            figures,
            [
                [
                    t["calls"],
                    t["connected"],
                    t["answered"],
                    _rate(t["answer_rate"]),
                    t["talk_minutes"],
                ]
            ],
        ),
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
            ["day", *figures],
            [
                [
                    row["day"],
                    row["calls"],
                    row["connected"],
                    row["answered"],
                    _rate(row["answer_rate"]),
                    row["talk_minutes"],
                ]
                for row in report["per_day"]
            ],
        ),
        (
            "By virtual number",
            ["virtual_number", *figures],
            [
                [
                    row["virtual_number"],
                    row["calls"],
                    row["connected"],
                    row["answered"],
                    _rate(row["answer_rate"]),
                    row["talk_minutes"],
                ]
                for row in report["by_number"]
            ],
        ),
        (
            "Pool use now",
            ["virtual_number", "status", "open_sessions"],
            [[row["number"], row["status"], row["open_sessions"]] for row in report["pool"]],
        ),
    ]


def report_csv(report: dict, start, end) -> HttpResponse:
    """One file, one section a table: its title, its header, its rows, then a blank line."""
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="calls-{start}-{end}.csv"'
    writer = csv_writer(response)
    writer.writerow([f"Call report {start} to {end} ({timezone.get_current_timezone()})"])
    writer.writerow([])
    for title, header, rows in report_tables(report):
        writer.writerow([title])
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerow([])
    return response


def reports_view(request):
    if not request.user.has_perm("callflows.view_call"):
        raise PermissionDenied
    today = timezone.localdate()
    default = {"start": today - timedelta(days=29), "end": today}
    # The period is the one asked for, or the last 30 days: the export link works from either.
    asked = "start" in request.GET or "end" in request.GET
    form = PeriodForm(request.GET if asked else default)
    report = None
    csv_query = ""
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        with transaction.atomic():
            relax_statement_timeout(60_000)  # a long period over many calls is a big aggregate
            report = report_for(start, end)
        if request.GET.get("format") == "csv":
            return report_csv(report, start, end)
        csv_query = urlencode({"start": start.isoformat(), "end": end.isoformat(), "format": "csv"})
    context = {
        **admin.site.each_context(request),
        "title": "Call reports",
        "form": form,
        "report": report,
        "csv_query": csv_query,
    }
    return TemplateResponse(request, "admin/callflows/reports.html", context)
