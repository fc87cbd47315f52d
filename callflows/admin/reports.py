"""The reports page: the main call figures for a chosen period, on screen and as CSV."""

import csv
from datetime import timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from callflows.models import Call
from masking.db import relax_statement_timeout
from masking.models import VirtualNumber


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
        "by_outcome": calls.by_outcome(),
        "by_status": calls.by_status(),
        "by_number": calls.by_virtual_number(),
        "pool": VirtualNumber.objects.order_by("-open_sessions", "number").values(
            "number", "status", "open_sessions"
        ),
    }


def report_csv(report: dict, start, end) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="calls-{start}-{end}.csv"'
    writer = csv.writer(response)
    writer.writerow(["day", "calls", "connected", "answered", "answer_rate", "talk_minutes"])
    for row in report["per_day"]:
        writer.writerow(
            [
                row["day"],
                row["calls"],
                row["connected"],
                row["answered"],
                row["answer_rate"] if row["answer_rate"] is not None else "",
                row["talk_minutes"],
            ]
        )
    t = report["totals"]
    writer.writerow(
        [
            "total",
            t["calls"],
            t["connected"],
            t["answered"],
            t["answer_rate"] if t["answer_rate"] is not None else "",
            t["talk_minutes"],
        ]
    )
    return response


def reports_view(request):
    if not request.user.has_perm("callflows.view_call"):
        raise PermissionDenied
    today = timezone.localdate()
    form = PeriodForm(request.GET or {"start": today - timedelta(days=29), "end": today})
    report = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        with transaction.atomic():
            relax_statement_timeout(60_000)  # a long period over many calls is a big aggregate
            report = report_for(start, end)
        if request.GET.get("format") == "csv":
            return report_csv(report, start, end)
    context = {
        **admin.site.each_context(request),
        "title": "Call reports",
        "form": form,
        "report": report,
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "admin/callflows/reports.html", context)
