"""The reads behind the admin's dashboard: what operations staff check first each morning.

Each figure is one SQL query and links to the filtered list it counts, so a number on the
dashboard is always one click from the rows behind it. The chart's bars are SVG drawn here, its
axes HTML, so the page needs no script or file from outside the project and its text stays
readable on a phone (text inside a scaled SVG shrinks with it).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join

from callflows.models import CallDay
from callflows.words import decision_words
from masking.models import CallbackEndpointState, MaskingSession, PinLockout, Pool, VirtualNumber
from masking.pool_access import sees_every_pool, within_pools

NEAR_FULL = 0.8
# The pool table lists at most this many numbers needing attention, the fullest first; the rest
# are a count and a link, so the page is one screen at any pool size (issue 28).
ATTENTION_SHOWN = 10
PIN_PAUSES_SHOWN = 5


@dataclass(frozen=True)
class PoolRow:
    pk: int
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

    @property
    def sessions_url(self) -> str:
        return sessions_url(state="open", number=self.pk)

    @property
    def number_url(self) -> str:
        return reverse("admin:masking_virtualnumber_change", args=[self.pk])


def sessions_url(**query) -> str:
    return f"{reverse('admin:masking_maskingsession_changelist')}?{urlencode(query)}"


def calls_url(day: date, **query) -> str:
    """The call log for one day (the log's date drill-down, in the operations time zone)."""
    drill = {
        "created_at__year": day.year,
        "created_at__month": day.month,
        "created_at__day": day.day,
    }
    return f"{reverse('admin:callflows_call_changelist')}?{urlencode({**drill, **query})}"


def figures(now=None, *, user=None) -> dict:
    """The dashboard's figures, of the pools `user` may see (every pool when None)."""
    now = now or timezone.now()

    def scoped(queryset, path):
        return queryset if user is None else within_pools(queryset, user=user, path=path)

    numbers = scoped(VirtualNumber.objects.all(), "pool")
    sessions = scoped(MaskingSession.objects.all(), "virtual_number__pool")
    # Calls from the roll-up (callflows/call_days.py), each pool's days in its own zone.
    calls = scoped(CallDay.objects.all(), "pool")
    todays = pools_today(now, user=user)
    lockouts = scoped(PinLockout.objects.all(), "virtual_number__pool")
    attention = numbers.needing_attention(near_full=NEAR_FULL)
    pool = [
        PoolRow(n.pk, str(n.number), n.label, n.status, n.open_sessions, n.capacity)
        for n in attention.order_by("-open_sessions", "number")[:ATTENTION_SHOWN]
    ]
    # The whole pool in one aggregate, never row by row.
    totals = (
        numbers.in_service()
        .with_capacity()
        .aggregate(
            size=Count("id"),
            unhealthy=Count("id", filter=Q(status=VirtualNumber.Status.UNHEALTHY)),
            open_sessions=Sum("open_sessions", default=0),
            room=Sum("capacity", default=0),  # each number at its pool's capacity
        )
    )
    attention_count = attention.count() if len(pool) == ATTENTION_SHOWN else len(pool)
    paused = lockouts.active(now).of_numbers()
    pin_pauses = list(
        paused.select_related("virtual_number").order_by("locked_until")[:PIN_PAUSES_SHOWN]
    )
    pin_pauses_count = paused.count() if len(pin_pauses) == PIN_PAUSES_SHOWN else len(pin_pauses)
    today = timezone.localdate(now)
    calls_today = [
        {
            **row,
            "words": decision_words(row["outcome"]),
            "url": calls_url(today, outcome__exact=row["outcome"]),
        }
        for row in calls.filter(on_days(todays)).by_outcome()
    ]
    series = calls_per_day(todays, calls=calls)
    return {
        "open_sessions": live_sessions(numbers, sessions, now=now),
        "open_sessions_url": sessions_url(state="open"),
        "expiring_soon": sessions.live(now)
        .filter(expires_at__lte=now + timedelta(hours=1))
        .count(),
        "expiring_soon_url": sessions_url(state="expiring"),
        "pool": pool,
        "attention": pool,
        "attention_count": attention_count,
        "attention_more": attention_count - len(pool),
        "attention_url": f"{reverse('admin:masking_virtualnumber_changelist')}?use=attention",
        "room": totals["room"],
        "pool_size": totals["size"],
        "pool_unhealthy": totals["unhealthy"],
        "pool_open_sessions": totals["open_sessions"],
        "pool_use_percent": round(100 * totals["open_sessions"] / totals["room"])
        if totals["room"]
        else 0,
        "pool_url": f"{reverse('admin:masking_virtualnumber_changelist')}?use=in_service",
        "calls_today": calls_today,
        "calls_today_total": sum(row["calls"] for row in calls_today),
        "calls_today_url": calls_url(today),
        # PIN entry paused for unknown phones: a guesser rotating caller IDs hit the ceiling.
        "pin_pauses": pin_pauses,
        "pin_pauses_more": pin_pauses_count - len(pin_pauses),
        "pin_pauses_url": f"{reverse('admin:masking_pinlockout_changelist')}"
        "?state=active&scope=number",
        "pin_locked_callers": lockouts.active(now).of_callers().count(),
        # Callbacks no longer sent: the receiver answered 410 Gone or failed for days.
        "disabled_endpoints": list(
            CallbackEndpointState.objects.filter(disabled_at__isnull=False).order_by("url")
        ),
        "disabled_endpoints_url": reverse("admin:masking_callbackendpointstate_changelist"),
        "chart": calls_chart(series),
        "chart_empty": not any(n for _, n in series),
    }


def live_sessions(numbers, sessions, *, now) -> int:
    """Open sessions routing calls now, without counting a million rows: the numbers' open
    counters (exact on every path, tests/masking/test_open_counter.py) less the open sessions
    that route nobody now (expired not yet swept, not yet started): two small index ranges."""
    counted = numbers.aggregate(n=Sum("open_sessions", default=0))["n"]
    idle = sessions.open().filter(Q(expires_at__lte=now) | Q(started_at__gt=now)).count()
    return counted - idle


def pools_today(now, *, user=None) -> dict[date, list[int | None]]:
    """{today in a zone: the pools whose today it is}: the pools `user` may see, and for a user
    given no pool the calls to no pool's number (None, in the deployment's zone)."""
    fallback = settings.MASKING_OPERATIONS_TIME_ZONE
    pools = Pool.objects.all()
    if user is not None and not sees_every_pool(user):
        pools, todays = within_pools(pools, user=user, path="pk"), {}
    else:
        todays = {timezone.localdate(now, ZoneInfo(fallback)): [None]}
    for pk, zone in pools.values_list("pk", "operations_time_zone"):
        todays.setdefault(timezone.localdate(now, ZoneInfo(zone or fallback)), []).append(pk)
    return todays


def on_days(todays: dict[date, list[int | None]], *, back: int = 0) -> Q:
    """Roll-up rows of each pool's last `back` + 1 days, today included."""
    condition = Q(pk__in=[])
    for today, pools in todays.items():
        pool = Q(pool__in=[p for p in pools if p is not None])
        if None in pools:
            pool |= Q(pool__isnull=True)
        condition |= pool & Q(day__gte=today - timedelta(days=back), day__lte=today)
    return condition


def calls_per_day(
    todays: dict[date, list[int | None]], days: int = 30, *, calls=None
) -> list[tuple[date, int]]:
    """Calls a day over each pool's last `days` days, the pools' days added up."""
    calls = CallDay.objects.all() if calls is None else calls
    end = max(todays, default=timezone.localdate())
    start = end - timedelta(days=days - 1)
    counts = {
        row["day"]: row["calls"] for row in calls.filter(on_days(todays, back=days - 1)).per_day()
    }
    return [
        (start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)
    ]


def _short(day: date) -> str:
    return formats.date_format(day, "j M")


def calls_chart(series: list[tuple[date, int]], width: int = 600, height: int = 120) -> str:
    """Calls per day: one bar a day (its figure in its tooltip, a link to that day's calls), a
    vertical axis of calls (0, half, the top) and dates along the bottom, once a week."""
    days = len(series)
    top = max((n for _, n in series), default=0) or 1
    bar = width / days
    bars = format_html_join(
        "",
        '<a href="{}"><rect x="{}" y="{}" width="{}" height="{}" fill="#417690">'
        "<title>{}: {} calls</title></rect></a>",
        (
            (
                calls_url(day),
                round(i * bar + 1, 1),
                round(height - n / top * height, 1),
                round(bar - 2, 1),
                round(n / top * height, 1),
                day.isoformat(),
                n,
            )
            for i, (day, n) in enumerate(series)
        ),
    )
    ticks = [i for i in range(days - 1, -1, -7)][::-1]
    dates = format_html_join(
        "",
        '<span style="left: {}%">{}</span>',
        ((round(100 * (i + 0.5) / days, 1), _short(series[i][0])) for i in ticks),
    )
    return format_html(
        '<figure class="calls-chart-figure" aria-label="Calls per day, last {} days">'
        '<div class="chart-body"><div class="chart-y" aria-hidden="true"><span>{}</span>'
        "<span>{}</span><span>0</span></div>"
        '<svg class="calls-chart" role="img" viewBox="0 0 {} {}" preserveAspectRatio="none">'
        "{}</svg></div>"
        '<div class="chart-x" aria-hidden="true">{}</div>'
        "<figcaption>Calls a day (up) by day (across), {} to {}. Each bar opens that day's "
        "calls.</figcaption></figure>",
        days,
        top,
        round(top / 2, 1) if top % 2 else top // 2,
        width,
        height,
        bars,
        dates,
        _short(series[0][0]),
        formats.date_format(series[-1][0], "j M Y"),
    )
