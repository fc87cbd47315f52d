from django.contrib import admin, messages
from django.utils.translation import ngettext

from masking.models import RecordingOptIn
from masking.services.consent import consent_revoke


class ActiveFilter(admin.SimpleListFilter):
    title = "consent"
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", "in force"), ("no", "revoked")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.active()
        if self.value() == "no":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(RecordingOptIn)
class RecordingOptInAdmin(admin.ModelAdmin):
    list_display = ["number", "method", "opted_in_at", "revoked_at", "recorded_by"]
    list_filter = [ActiveFilter, "method"]
    search_fields = ["number", "evidence"]
    date_hierarchy = "opted_in_at"
    readonly_fields = ["recorded_by", "revoked_at"]
    fields = ["number", "method", "opted_in_at", "evidence", "recorded_by", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        # Consent is evidence: who recorded it is kept, and the row is validated like any write.
        if not change:
            obj.recorded_by = request.user
        obj.full_clean()
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke selected opt-ins")
    def revoke(self, request, queryset):
        revoked = 0
        for opt_in in queryset.active():
            consent_revoke(opt_in=opt_in)
            revoked += 1
        self.message_user(
            request,
            ngettext("Revoked %d opt-in.", "Revoked %d opt-ins.", revoked) % revoked,
            messages.SUCCESS,
        )
