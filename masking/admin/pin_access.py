"""PIN lockouts for staff: who is refused PIN entry where, until when; clearing one early."""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import ngettext

from masking.admin.base import ProjectAdmin
from masking.admin.number_picker import NumberListFilter, picker_media
from masking.models import PinLockout
from masking.privacy import number_for
from masking.services.pin_access import pin_lockout_clear

STATE_COLOURS = {"active": "#ba2121", "over": "#6e7781", "cleared": "#1a7f37"}


class LockoutStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active (refusing now)"), ("over", "over"), ("cleared", "cleared")]

    def queryset(self, request, queryset):
        now = timezone.now()
        return {
            "active": lambda: queryset.active(now),
            "over": lambda: queryset.filter(cleared_at__isnull=True, locked_until__lte=now),
            "cleared": lambda: queryset.filter(cleared_at__isnull=False),
        }.get(self.value(), lambda: queryset)()


class LockoutScopeFilter(admin.SimpleListFilter):
    title = "refused"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("caller", "one caller"), ("number", "every unknown phone on the number")]

    def queryset(self, request, queryset):
        if self.value() == "caller":
            return queryset.of_callers()
        if self.value() == "number":
            return queryset.of_numbers()
        return queryset


@admin.register(PinLockout)
class PinLockoutAdmin(ProjectAdmin):
    """Read-only but for one thing staff may do: clear a lockout (audited)."""

    pool_path = "virtual_number__pool"

    # Narrow columns, so State and Cleared by stay in view on a 1366 px laptop (issue 28): the
    # virtual number without its label, "refused" wrapping.
    list_display = [
        "locked_at",
        "number",
        "refused",
        "wrong_pins",
        "locked_until",
        "state_badge",
        "cleared_by",
    ]
    list_filter = [LockoutStateFilter, LockoutScopeFilter, NumberListFilter]
    list_select_related = ["virtual_number", "cleared_by"]
    search_fields = ["caller", "virtual_number__number"]
    date_hierarchy = "locked_at"
    actions = ["clear_lockouts"]
    fields = [
        "virtual_number",
        "refused",
        "wrong_pins",
        "locked_at",
        "locked_until",
        "state_badge",
        "cleared_at",
        "cleared_by",
    ]
    readonly_fields = fields

    @property
    def media(self):
        return super().media + picker_media()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the history of lockouts stays; clearing is the way to end one

    @admin.display(description="virtual number", ordering="virtual_number__number")
    def number(self, obj):
        return str(obj.virtual_number.number)

    @admin.display(description="refused")
    def refused(self, obj):
        if obj.is_number_wide:
            return "every phone not in a session on it"
        return number_for(obj.caller)

    @admin.display(description="state")
    def state_badge(self, obj):
        state = obj.state()
        return format_html(
            '<strong class="lockout-state lockout-state-{}" style="color:{}">{}</strong>',
            state,
            STATE_COLOURS[state],
            state,
        )

    @admin.action(
        description="Clear selected lockouts (PIN entry allowed again)", permissions=["change"]
    )
    def clear_lockouts(self, request, queryset):
        cleared = 0
        for lockout in queryset.filter(Q(cleared_at__isnull=True)):
            pin_lockout_clear(lockout=lockout, actor=request.user, via="admin")
            cleared += 1
        self.message_user(
            request,
            ngettext("Cleared %d lockout.", "Cleared %d lockouts.", cleared) % cleared,
            messages.SUCCESS,
        )
