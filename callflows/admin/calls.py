import json

from django.contrib import admin
from django.utils.html import format_html

from callflows.models import Call, CallAction, CallEvent
from masking.privacy import number_for, numbers_in_text_for


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: staff read them, nobody edits them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CallEventInline(admin.TabularInline):
    model = CallEvent
    fields = ["occurred_at", "kind", "leg", "status", "sip_code", "received_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "timeline"

    def has_add_permission(self, request, obj=None):
        return False


class CallActionInline(admin.TabularInline):
    """Each Call Action event of the call, once, with the answer it got (and redeliveries got)."""

    model = CallAction
    fields = ["answered_at", "event_id", "outcome", "answer_json"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "call actions (what 8x8 asked, what we answered)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="callflow answered")
    def answer_json(self, obj):
        if not obj.answer:
            return "-"
        return format_html("<pre>{}</pre>", numbers_in_text_for(json.dumps(obj.answer, indent=2)))


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "shown_caller",
        "virtual_number",
        "outcome",
        "status",
        "talk_time",
        "masking_session",
        "provider_session_id",
    ]
    list_filter = ["outcome", "status", "recorded", "virtual_number", "created_at"]
    list_select_related = ["masking_session"]
    search_fields = [
        "caller",
        "virtual_number",
        "provider_session_id",
        "action_event_id",
        "recording_id",
        "masking_session__reference",
    ]
    date_hierarchy = "created_at"
    inlines = [CallActionInline, CallEventInline]
    fieldsets = [
        (
            "What we answered",
            {
                "fields": [
                    "provider_session_id",
                    "created_at",
                    "shown_caller",
                    "virtual_number",
                    "masking_session",
                    "outcome",
                    "recorded",
                    "answered_at",
                    "answer_json",
                ]
            },
        ),
        (
            "What 8x8 reported",
            {
                "fields": [
                    "status",
                    "started_at",
                    "ended_at",
                    "caller_seconds",
                    "callee_seconds",
                    "caller_mos",
                    "callee_mos",
                    "last_action",
                    "error_code",
                    "error_message",
                    "summary_received_at",
                ]
            },
        ),
        ("Recording", {"fields": ["recording_id", "recording_path", "recording_seconds"]}),
    ]

    @admin.display(description="caller", ordering="caller")
    def shown_caller(self, obj):
        return number_for(obj.caller) if obj.caller else "(anonymised)"

    @admin.display(description="talk time", ordering="callee_seconds")
    def talk_time(self, obj):
        seconds = obj.callee_seconds or 0
        return f"{seconds // 60}:{seconds % 60:02d}"

    @admin.display(description="callflow answered")
    def answer_json(self, obj):
        if not obj.answer:
            return "-"
        return format_html("<pre>{}</pre>", numbers_in_text_for(json.dumps(obj.answer, indent=2)))

    def get_readonly_fields(self, request, obj=None):
        return [f for fieldset in self.fieldsets for f in fieldset[1]["fields"]]


class SessionCallsInline(admin.TabularInline):
    """The calls of a masking session, on the session's page."""

    model = Call
    fk_name = "masking_session"
    fields = ["created_at", "shown_caller", "outcome", "status", "callee_seconds", "recording_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "calls"

    @admin.display(description="caller")
    def shown_caller(self, obj):
        return number_for(obj.caller) if obj.caller else "(anonymised)"

    def has_add_permission(self, request, obj=None):
        return False
