"""Callbacks in the admin: where they go, and every delivery with its attempts and errors."""

import json
from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import ngettext

from masking.admin.base import ProjectAdmin
from masking.admin.links import session_link
from masking.models import Callback, CallbackAttempt, CallbackEndpoint, CallbackEndpointState
from masking.models.callbacks import new_secret
from masking.privacy import numbers_in_text_for
from masking.services.audit import ADMIN, audit_record
from masking.services.callbacks import callback_redeliver
from masking.services.endpoint_health import endpoint_enable
from masking.timezones import staff_time


@admin.register(CallbackEndpoint)
class CallbackEndpointAdmin(ProjectAdmin):
    """The secret is a credential: shown once, on the form that creates it (or by the rotate
    action's answer), then only its last 4 characters, to everyone."""

    pool_path = None  # the deployment's backend endpoint, for every pool

    list_display = ["url", "enabled", "secret_hint", "updated_at"]
    fields = ["url", "secret", "enabled", "updated_at"]
    readonly_fields = ["updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["rotate_secret"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.fields
        return ["url", "secret_hint", "enabled", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["updated_at"] if obj is None else ["secret_hint", "updated_at"]

    @admin.display(description="signing secret")
    def secret_hint(self, obj):
        return f"…{obj.secret[-4:]} (shown once when set; rotate it to get a new one)"

    @admin.action(description="Rotate the signing secret (shown once)", permissions=["change"])
    def rotate_secret(self, request, queryset):
        endpoint = queryset.first()
        if endpoint is None:
            return None
        # The old secret keeps signing through the overlap: every callback carries both
        # signatures until receivers have switched (README, "Rotating the secret").
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = timezone.now() + timedelta(
            hours=settings.MASKING_CALLBACK_SECRET_OVERLAP_HOURS
        )
        endpoint.secret = new_secret()
        endpoint.full_clean()
        endpoint.save(
            update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"]
        )
        audit_record(obj=endpoint, action="rotated secret", via=ADMIN, actor=request.user)
        # Answered on this page, never through messages (a cookie) or a redirect.
        return TemplateResponse(
            request,
            "admin/masking/callbackendpoint/secret_once.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "endpoint": endpoint},
        )

    # Every pool without its own endpoint sends its events here: as the deployment's prompts,
    # it is written (added, changed, its secret rotated, deleted) by staff who see every pool.
    every_pool_writes = ("add", "change", "delete")

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
    fields = ["number", "started_at", "shown_url", "status_code", "shown_error", "duration_ms"]
    readonly_fields = fields

    # The receiver's error body and the URL are the business's text: they may spell a number.
    @admin.display(description="URL")
    def shown_url(self, obj):
        return numbers_in_text_for(obj.url) or "-"

    @admin.display(description="error")
    def shown_error(self, obj):
        return numbers_in_text_for(obj.error) or "-"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Callback)
class CallbackAdmin(ProjectAdmin):
    pool_path = "pool"  # the pool it was written for (as a call is its answering pool's)
    list_display = [
        "webhook_id",
        "event_type",
        "session_link",
        "status",
        "attempts",
        "next_try",
        "last_status_code",
        "shown_last_error",
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
        "next_try",
        "lease_until",
        "last_status_code",
        "shown_last_error",
        "delivered_at",
        "created_at",
        "shown_payload",
    ]
    readonly_fields = fields
    inlines = [CallbackAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False  # callbacks are written by the changes they report

    @admin.display(description="last error")
    def shown_last_error(self, obj):
        return numbers_in_text_for(obj.last_error) or "-"

    @admin.display(description="payload")
    def shown_payload(self, obj):
        return format_html(
            "<pre>{}</pre>", numbers_in_text_for(json.dumps(obj.payload, indent=2, sort_keys=True))
        )

    @admin.display(description="session")
    def session_link(self, obj):
        return "-" if obj.session_id is None else session_link(obj.session)

    @admin.display(description="next try", ordering="next_attempt_at")
    def next_try(self, obj):
        # One answer for the list and the page: only a callback waiting for a retry has one.
        waiting = obj.status == Callback.Status.PENDING
        return staff_time(obj.next_attempt_at) if waiting else "-"

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


@admin.register(CallbackEndpointState)
class CallbackEndpointStateAdmin(ProjectAdmin):
    """Receivers callbacks stopped going to (410 Gone, or failing for days): the dashboard links
    here; *Enable again* once the backend answers, then it asks for what it missed."""

    pool_path = None  # the deployment's backend endpoints, for every pool
    list_display = ["url", "disabled_at", "disabled_reason", "failing_since"]
    readonly_fields = ["url", "failing_since", "disabled_at", "disabled_reason"]
    fields = readonly_fields
    actions = ["enable_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Enable again (send callbacks to it)", permissions=["change"])
    def enable_again(self, request, queryset):
        for state in queryset:
            endpoint_enable(url=state.url)
            audit_record(obj=state, action="enabled again", via=ADMIN, actor=request.user)
        self.message_user(
            request,
            "Callbacks are sent again. The backend asks for what it missed with "
            "POST /api/events/redeliver/.",
            messages.SUCCESS,
        )
