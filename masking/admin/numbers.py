from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import CharField, Count, Max, OuterRef, Subquery
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from callflows.admin.numbers import NumberEventInline
from masking.admin.base import ProjectAdmin
from masking.admin.csv_io import EXPORT_CHUNK, CsvImportExportMixin, RowCheck, error_lines
from masking.admin.number_retirement import NumberRetirementMixin, retirement_confirmed
from masking.models import PinLockout, VirtualNumber
from masking.pool_access import granted_pools
from masking.services.audit import ADMIN
from masking.services.numbers import number_set_status
from masking.timezones import staff_time


def callers_locked(count: int) -> str:
    return ngettext("%(n)d caller locked", "%(n)d callers locked", count) % {"n": count}


class UseFilter(admin.SimpleListFilter):
    """The dashboard's pool figures link here: the pool in service, numbers needing attention."""

    title = "use"
    parameter_name = "use"

    def lookups(self, request, model_admin):
        return [
            ("in_service", "in service (not retired)"),
            ("attention", "unhealthy or close to full"),
            ("full", "full"),
        ]

    def queryset(self, request, queryset):
        from masking.dashboard import NEAR_FULL

        if self.value() == "in_service":
            return queryset.in_service()
        if self.value() == "attention":
            return queryset.needing_attention(near_full=NEAR_FULL)
        if self.value() == "full":
            return queryset.full()
        return queryset


@admin.register(VirtualNumber)
class VirtualNumberAdmin(NumberRetirementMixin, CsvImportExportMixin, ProjectAdmin):
    pool_path = "pool"
    list_display = [
        "number",
        "label",
        "status",
        "country",
        "open_sessions",
        "pin_entry",
        "provider_reference",
    ]
    list_filter = [
        "status",
        UseFilter,
        "country",
        ("unlisted_since", admin.EmptyFieldListFilter),
    ]
    search_fields = ["number", "label", "provider_reference"]
    readonly_fields = [
        "country",
        "open_sessions",
        "pin_entry",
        "unlisted_since",
        "created_at",
        "updated_at",
    ]
    ordering = ["number"]
    inlines = [NumberEventInline]
    actions = ["export_csv"]
    csv_columns = ["number", "label?", "status?", "provider_reference?"]

    def csv_check(self, rows):
        checks, seen = [], set()
        for line, row in enumerate(rows, start=2):
            check = RowCheck(line, row)
            number = VirtualNumber(
                number=row.get("number", ""),
                label=row.get("label", ""),
                status=row.get("status") or VirtualNumber.Status.ACTIVE,
                provider_reference=row.get("provider_reference", ""),
            )
            try:
                number.full_clean()
            except ValidationError as exc:
                check.errors += error_lines(exc)
            if not check.errors and str(number.number) in seen:
                check.errors.append("number: appears twice in the file")
            seen.add(str(number.number))
            checks.append(check)
        return checks

    def csv_write(self, row, request):
        number = VirtualNumber(
            number=row["number"],
            label=row.get("label", ""),
            status=row.get("status") or VirtualNumber.Status.ACTIVE,
            provider_reference=row.get("provider_reference", ""),
        )
        # As the API adds one: staff given pools import into the first of them (by name).
        pools = granted_pools(request.user)
        if pools is not None:
            number.pool = pools.order_by("name").first()
        number.full_clean()
        number.save()

    def csv_export_row(self, obj):
        return [obj.number, obj.label, obj.status, obj.provider_reference]

    def csv_export_rows(self, queryset):
        # Values, the number as its stored E.164 text: a model instance parses its number twice
        # (half an export's time), and the list's PIN columns are two subqueries a row.
        values = queryset.annotate(text=Cast("number", CharField())).values_list(
            "text", "label", "status", "provider_reference"
        )
        for row in values.iterator(chunk_size=EXPORT_CHUNK):
            yield list(row)

    def get_queryset(self, request):
        # The "PIN entry" column in one query for the whole page, not one per number.
        active = PinLockout.objects.active().filter(virtual_number=OuterRef("pk")).order_by()
        return (
            super()
            .get_queryset(request)
            .annotate(
                pin_paused_until=Subquery(
                    active.of_numbers()
                    .values("virtual_number")
                    .annotate(u=Max("locked_until"))
                    .values("u")
                ),
                pin_locked_callers=Coalesce(
                    Subquery(
                        active.of_callers()
                        .values("virtual_number")
                        .annotate(n=Count("pk"))
                        .values("n")
                    ),
                    0,
                ),
            )
        )

    @admin.display(description="PIN entry")
    def pin_entry(self, obj):
        """Whether strangers may key PINs here now: paused by the wrong-PIN ceiling, and how many
        callers are locked, linking to the lockouts."""
        if obj.pk is None:
            return "-"
        link = reverse("admin:masking_pinlockout_changelist") + f"?number={obj.pk}"
        callers = obj.pin_locked_callers
        if obj.pin_paused_until:
            return format_html(
                '<a class="pin-paused" href="{}" style="color:#ba2121"><strong>paused for unknown '
                "phones until {}</strong></a>{}",
                link,
                staff_time(obj.pin_paused_until),
                f" · {callers_locked(callers)}" if callers else "",
            )
        if callers:
            return format_html('<a href="{}">{}</a>', link, callers_locked(callers))
        return "open"

    def save_model(self, request, obj, form, change):
        # Through the service: retiring a number closes its open sessions, once confirmed.
        number_set_status(
            number=obj,
            status=obj.status,
            actor=request.user,
            via=ADMIN,
            end_open_sessions=retirement_confirmed(request),
        )
