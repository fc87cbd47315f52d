"""Callbacks in the admin: where they go, and every delivery with its attempts and errors."""

from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.utils.translation import ngettext

from masking.admin.base import ProjectAdmin
from masking.admin.links import session_link
from masking.models import Callback, CallbackAttempt, CallbackEndpoint
from masking.services.callbacks import callback_redeliver


@admin.register(CallbackEndpoint)
class CallbackEndpointAdmin(ProjectAdmin):
    list_display = ["url", "enabled", "updated_at"]
    fields = ["url", "secret", "enabled", "updated_at"]
    readonly_fields = ["updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        # One endpoint: the business backend.
        return super().has_add_permission(request) and not CallbackEndpoint.objects.exists()

    def changelist_view(self, request, extra_context=None):
        if settings.MASKING_CALLBACK_URL:
            self.message_user(
                request,
                "MASKING_CALLBACK_URL is set in the environment: callbacks go there, not here.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


class CallbackAttemptInline(admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "url", "status_code", "error", "duration_ms"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Callback)
class CallbackAdmin(ProjectAdmin):
    list_display = [
        "webhook_id",
        "event_type",
        "session_link",
        "status",
        "attempts",
        "next_try",
        "last_status_code",
        "last_error",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["webhook_id", "session__reference"]
    list_select_related = ["session__virtual_number"]
    date_hierarchy = "created_at"
    fields = [
        "webhook_id",
        "event_type",
        "session",
        "status",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
        "payload",
    ]
    readonly_fields = fields
    inlines = [CallbackAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False  # callbacks are written by the changes they report

    @admin.display(description="session")
    def session_link(self, obj):
        return "-" if obj.session_id is None else session_link(obj.session)

    @admin.display(description="next try", ordering="next_attempt_at")
    def next_try(self, obj):
        waiting = obj.status == Callback.Status.PENDING
        return obj.next_attempt_at if waiting else "-"

    @admin.action(description="Redeliver selected callbacks", permissions=["change"])
    def redeliver(self, request, queryset):
        queued = sum(callback_redeliver(callback=callback) for callback in queryset)
        self.message_user(
            request,
            ngettext(
                "Queued %d callback for delivery (same webhook-id).",
                "Queued %d callbacks for delivery (same webhook-id).",
                queued,
            )
            % queued,
            messages.SUCCESS,
        )
