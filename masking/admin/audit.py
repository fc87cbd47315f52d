import json

from django.contrib import admin
from django.utils.html import format_html

from masking.admin.base import ProjectAdmin
from masking.models import AuditEntry
from masking.privacy import numbers_in_text_for


@admin.register(AuditEntry)
class AuditEntryAdmin(ProjectAdmin):
    pool_path = None  # entries name rows of any model; shown to those who may read the trail
    list_display = ["at", "actor", "via", "action", "object_type", "object_repr"]
    list_filter = ["via", "action", "object_type"]
    search_fields = ["object_id", "object_repr", "actor__username"]
    date_hierarchy = "at"
    fields = ["at", "actor", "via", "action", "object_type", "object_id", "object_repr", "shown"]
    readonly_fields = fields

    # Entries are written without full numbers (`audit_record`); older ones may hold some.
    @admin.display(description="changes")
    def shown(self, obj):
        return format_html(
            "<pre>{}</pre>", numbers_in_text_for(json.dumps(obj.changes, indent=2, sort_keys=True))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
