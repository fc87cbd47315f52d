from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import ngettext

from masking.admin.base import ProjectAdmin
from masking.models import RecordingOptIn
from masking.privacy import may_see_full_numbers, number_for
from masking.services.audit import audit_record
from masking.services.consent import consent_record, consent_revoke, consent_validate

# The ways staff take consent. The keypad and the API record their own opt-ins.
STAFF_METHODS = [RecordingOptIn.Method.ADMIN]


class OptInAddForm(forms.ModelForm):
    """A new opt-in, checked like the service checks it, so a refusal is a form error."""

    class Meta:
        model = RecordingOptIn
        fields = ["number", "method", "opted_in_at", "evidence"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        method = self.fields["method"]
        method.choices = [(m.value, m.label) for m in STAFF_METHODS]
        method.initial = RecordingOptIn.Method.ADMIN
        method.help_text = "Staff record consent they were given (a form, a call, an email)."

    def clean(self):
        data = super().clean()
        if data.get("number") and not self.errors:
            try:
                consent_validate(number=data["number"], method=data["method"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return data


class ConcurrentOptIn(Exception):
    """The number opted in through another path between the form's check and the save."""


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
class RecordingOptInAdmin(ProjectAdmin):
    pool_path = None  # a person's consent holds whichever pool's number they are called on
    list_display = ["shown_number", "method", "opted_in_at", "revoked_at", "recorded_by"]
    list_filter = [ActiveFilter, "method"]
    search_fields = ["evidence"]
    number_search_fields = ["number"]
    date_hierarchy = "opted_in_at"
    readonly_fields = ["recorded_by", "revoked_at"]
    fields = ["number", "method", "opted_in_at", "evidence", "recorded_by", "revoked_at"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OptInAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ConcurrentOptIn as exc:
            self.message_user(request, f"Nothing was saved: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # Not sortable by number: the order of hidden numbers beside known ones tells their digits.
    @admin.display(description="number")
    def shown_number(self, obj):
        return number_for(obj.number)

    def get_fields(self, request, obj=None):
        if obj is not None and not may_see_full_numbers(request.user):
            # Editing would show the number whole: without the permission it is shown masked.
            return ["shown_number", *self.fields[1:]]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # How consent was given is evidence: it never changes after the fact.
        if not may_see_full_numbers(request.user):
            return ["shown_number", "method", *self.readonly_fields]
        return ["method", *self.readonly_fields]

    def save_model(self, request, obj, form, change):
        # Consent is evidence: who recorded it is kept, and the row is validated like any write.
        if not change:
            try:
                consent_record(
                    number=obj.number,
                    method=obj.method,
                    evidence=obj.evidence,
                    recorded_by=request.user,
                    at=obj.opted_in_at,
                )
            except ValidationError as exc:
                raise ConcurrentOptIn(" ".join(exc.messages)) from exc
            obj.pk = RecordingOptIn.objects.active().get(number=obj.number).pk
            return
        obj.full_clean()
        super().save_model(request, obj, form, change)
        audit_record(
            obj=obj,
            action="changed",
            via="admin",
            actor=request.user,
            changes={f: str(form.cleaned_data.get(f)) for f in form.changed_data},
        )

    @admin.action(description="Revoke selected opt-ins")
    def revoke(self, request, queryset):
        revoked = 0
        for opt_in in queryset.active():
            consent_revoke(opt_in=opt_in, actor=request.user, via="admin")
            revoked += 1
        self.message_user(
            request,
            ngettext("Revoked %d opt-in.", "Revoked %d opt-ins.", revoked) % revoked,
            messages.SUCCESS,
        )
