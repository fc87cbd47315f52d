"""The reads behind the admin's dashboard: what operations staff check first each morning.

Each figure is one SQL query; the chart is drawn here as SVG, so the page needs no script or file
from outside the project.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from callflows.models import Call
from masking.models import MaskingSession, VirtualNumber

NEAR_FULL = 0.8


@dataclass(frozen=True)
class PoolRow:
    number: str
    label: str
    status: str
    open_sessions: int
    capacity: int

    @property
    def use_percent(self) -> int:
        return round(100 * self.open_sessions / self.capacity) if self.capacity else 0

    @property
    def needs_attention(self) -> bool:
        return self.status != "active" or self.open_sessions >= NEAR_FULL * self.capacity


def figures(now=None) -> dict:
    now = now or timezone.now()
    capacity = settings.MASKING_NUMBER_CAPACITY
    pool = [
        PoolRow(str(n.number), n.label, n.status, n.open_sessions, capacity)
        for n in VirtualNumber.objects.in_service().order_by("-open_sessions", "number")
    ]
    today = timezone.localdate(now)
    return {
        "open_sessions": MaskingSession.objects.live(now).count(),
        "expiring_soon": MaskingSession.objects.live(now)
        .filter(expires_at__lte=now + timedelta(hours=1))
        .count(),
        "pool": pool,
        "attention": [row for row in pool if row.needs_attention],
        "calls_today": list(
            Call.objects.between(today, today)
            .values("outcome")
            .annotate(calls=Count("id"))
            .order_by("-calls")
        ),
        "chart": calls_chart(today),
        "chart_empty": not any(n for _, n in calls_per_day(today)),
    }


def calls_per_day(today: date, days: int = 30) -> list[tuple[date, int]]:
    start = today - timedelta(days=days - 1)
    counts = dict(
        Call.objects.between(start, today)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("id"))
    )
    return [
        (start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)
    ]


def calls_chart(today: date, days: int = 30, width: int = 600, height: int = 120) -> str:
    """A bar chart of calls per day as inline SVG, with each bar's figure in its tooltip."""
    series = calls_per_day(today, days)
    top = max((n for _, n in series), default=0) or 1
    bar = width / days
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#417690"><title>{}: {} calls</title>'
        "</rect>",
        (
            (
                round(i * bar + 1, 1),
                round(height - n / top * (height - 16), 1),
                round(bar - 2, 1),
                round(n / top * (height - 16), 1),
                day.isoformat(),
                n,
            )
            for i, (day, n) in enumerate(series)
        ),
    )
    return format_html(
        '<svg class="calls-chart" role="img" aria-label="Calls per day, last {} days" '
        'viewBox="0 0 {} {}" width="100%" height="{}">{}<text x="0" y="10" font-size="10">'
        "max {} calls/day</text></svg>",
        days,
        width,
        height,
        height,
        bars,
        top,
    )
