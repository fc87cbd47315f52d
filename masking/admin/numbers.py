from django.contrib import admin
from django.db.models import Count, Q

from masking.models import MaskingSession, VirtualNumber


@admin.register(VirtualNumber)
class VirtualNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "status", "country", "open_sessions", "provider_reference"]
    list_filter = ["status", "country"]
    search_fields = ["number", "label", "provider_reference"]
    readonly_fields = ["country", "created_at", "updated_at"]
    ordering = ["number"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_session_count=Count(
                    "sessions", filter=Q(sessions__status=MaskingSession.Status.OPEN)
                )
            )
        )

    @admin.display(description="open sessions", ordering="open_session_count")
    def open_sessions(self, obj):
        return obj.open_session_count
