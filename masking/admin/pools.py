"""Pools in the admin: one page per 8x8 sub-account with its rules, secrets and history."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from callflows.rollup import rollup_rebuild
from masking.admin.base import ProjectAdmin
from masking.models import Pool
from masking.pool_rules import RULE_NAMES
from masking.services.audit import ADMIN
from masking.services.pools import pool_save


class PoolForm(forms.ModelForm):
    """Secrets are typed in and never shown again: the page says only whether one is stored."""

    new_api_key = forms.CharField(
        label=_("new 8x8 API key"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted; leave empty to keep the one stored."),
    )
    new_webhook_credential = forms.CharField(
        label=_("new webhook credential"),
        required=False,
        strip=True,
        min_length=16,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "The exact Authorization value 8x8's webhooks send for this pool (connect_8x8 --pool "
            "sets one itself). Stored as a hash; leave empty to keep the one stored."
        ),
    )

    class Meta:
        model = Pool
        fields = ["name", "subaccount_id", "api_key_variable", *RULE_NAMES, "users"]


@admin.register(Pool)
class PoolAdmin(ProjectAdmin):
    pool_path = "pk"
    form = PoolForm
    list_display = ["name", "subaccount_id", "number_count", "is_deployment_pool"]
    search_fields = ["name", "subaccount_id"]
    filter_horizontal = ["users"]
    readonly_fields = ["secrets_stored"]
    fieldsets = [
        (None, {"fields": ["name", "subaccount_id"]}),
        (
            _("8x8 credentials"),
            {
                "fields": [
                    "secrets_stored",
                    "api_key_variable",
                    "new_api_key",
                    "new_webhook_credential",
                ]
            },
        ),
        (_("Rules (empty: the deployment's setting)"), {"fields": list(RULE_NAMES)}),
        (_("Who works in this pool"), {"fields": ["users"]}),
    ]

    def get_queryset(self, request):
        # The list's number counts in its one query, not one query a pool.
        return super().get_queryset(request).annotate(numbers_held=Count("numbers"))

    @admin.display(description=_("numbers"), ordering="numbers_held")
    def number_count(self, pool):
        return pool.numbers_held

    @admin.display(description=_("stored secrets"))
    def secrets_stored(self, pool):
        api_key = "stored" if pool.api_key_encrypted else "none stored"
        credential = "stored" if pool.webhook_credential_hash else "none stored"
        if pool.is_deployment_pool:
            api_key += " (else EIGHTX8_API_KEY)"
            credential += " (WEBHOOK_AUTH_HEADER is accepted)"
        return f"API key: {api_key}; webhook credential: {credential}"

    def save_model(self, request, obj, form, change):
        moved_days = change and "operations_time_zone" in form.changed_data
        pool_save(
            pool=obj,
            changed=[f for f in form.changed_data if not f.startswith("new_")],
            api_key=form.cleaned_data.get("new_api_key", ""),
            webhook_credential=form.cleaned_data.get("new_webhook_credential", ""),
            actor=request.user,
            via=ADMIN,
        )
        if moved_days:
            # The reports' days of this pool are its zone's: summed again in the new one.
            rollup_rebuild(pool_ids=[obj.pk])
