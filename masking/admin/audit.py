from django.contrib import admin

from masking.admin.base import ProjectAdmin
from masking.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ProjectAdmin):
    list_display = ["at", "actor", "via", "action", "object_type", "object_repr"]
    list_filter = ["via", "action", "object_type"]
    search_fields = ["object_id", "object_repr", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
