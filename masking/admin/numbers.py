from django.contrib import admin

from callflows.admin.numbers import NumberEventInline
from masking.models import VirtualNumber
from masking.services.numbers import number_set_status


@admin.register(VirtualNumber)
class VirtualNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "status", "country", "open_sessions", "provider_reference"]
    list_filter = ["status", "country"]
    search_fields = ["number", "label", "provider_reference"]
    readonly_fields = ["country", "open_sessions", "created_at", "updated_at"]
    ordering = ["number"]
    inlines = [NumberEventInline]

    def save_model(self, request, obj, form, change):
        # Through the service: retiring a number closes its open sessions.
        number_set_status(number=obj, status=obj.status)
