from django.contrib import admin

from callflows.admin.calls import ReadOnlyAdmin
from callflows.models import NumberEvent


@admin.register(NumberEvent)
class NumberEventAdmin(ReadOnlyAdmin):
    pool_path = "virtual_number__pool"
    list_display = [
        "received_at",
        "msisdn",
        "operational_status",
        "status_before",
        "status_after",
        "reason",
    ]
    list_filter = ["operational_status", "status_after", "update_type"]
    search_fields = ["msisdn", "reason"]
    date_hierarchy = "received_at"


class NumberEventInline(admin.TabularInline):
    """When and why 8x8's events changed a number, on the number's page."""

    model = NumberEvent
    fields = ["received_at", "operational_status", "status_before", "status_after", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "changes reported by 8x8"

    def has_add_permission(self, request, obj=None):
        return False
