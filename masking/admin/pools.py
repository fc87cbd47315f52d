"""Pools in the admin: one page per 8x8 sub-account with its rules, secrets and history."""

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from callflows.rollup import rollup_rebuild
from masking.admin.base import ProjectAdmin
from masking.models import Pool
from masking.models.callbacks import validate_secret
from masking.pool_access import sees_every_pool
from masking.pool_rules import OUT_OF_SESSION_RULES, RULE_NAMES
from masking.services.audit import ADMIN
from masking.services.pools import pool_save


class _AskSelect(forms.NullBooleanSelect):
    """Yes, no, or the deployment's (NULL), said as such rather than Django's "Unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [
            ("unknown", _("the deployment's setting")),
            ("true", _("yes, when there is an endpoint")),
            ("false", _("no, never")),
        ]


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

    new_callback_secret = forms.CharField(
        label=_("new callback signing secret"),
        required=False,
        strip=True,
        validators=[validate_secret],
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "The Standard Webhooks secret this pool's callbacks are signed with (whsec_ and 24+ "
            "random bytes in base64; example: whsec_$(openssl rand -base64 32)). Stored "
            "encrypted, never shown again; leave empty to keep the one stored."
        ),
    )

    class Meta:
        model = Pool
        fields = [
            "name", "subaccount_id", "api_key_variable", *RULE_NAMES, "callback_url", "users",
        ]  # fmt: skip
        widgets = {"out_of_session_ask": _AskSelect}

    # Set by PoolAdmin for a staff member given pools: they may not change who sees every pool.
    editor_limited = False

    def clean_users(self):
        users = self.cleaned_data.get("users")
        if not self.editor_limited or users is None or self.instance.pk is None:
            return users
        before = set(self.instance.users.all())
        after = set(users)
        # Given no pool is every pool: a last pool taken away widens a person to every pool.
        widened = [
            u for u in before - after if not u.masking_pools.exclude(pk=self.instance.pk).exists()
        ]
        narrowed = [u for u in after - before if not u.masking_pools.exists()]
        problems = []
        if widened:
            names = ", ".join(sorted(u.get_username() for u in widened))
            problems.append(
                f"This is the only pool of {names}: without it they would see every pool. "
                "Staff who see every pool change that."
            )
        if narrowed:
            names = ", ".join(sorted(u.get_username() for u in narrowed))
            problems.append(
                f"{names} see every pool: adding them here would limit them to this pool. "
                "Staff who see every pool change that."
            )
        if problems:
            raise forms.ValidationError(problems)
        return users

    def _post_clean(self):
        # The model's clean (a URL needs a secret) sees the secret typed with it.
        secret = self.cleaned_data.get("new_callback_secret")
        if secret:
            self.instance.set_callback_secret(secret)
        super()._post_clean()


@admin.register(Pool)
class PoolAdmin(ProjectAdmin):
    pool_path = "pk"
    form = PoolForm
    list_display = ["name", "subaccount_id", "number_count", "is_deployment_pool"]
    search_fields = ["name", "subaccount_id"]
    filter_horizontal = ["users"]
    readonly_fields = ["secrets_stored", "connection"]
    fieldsets = [
        (None, {"fields": ["name", "subaccount_id"]}),
        (
            _("8x8 credentials"),
            {
                "fields": [
                    "connection",
                    "secrets_stored",
                    "api_key_variable",
                    "new_api_key",
                    "new_webhook_credential",
                ]
            },
        ),
        (
            _("Rules (empty: the deployment's setting)"),
            {"fields": [r for r in RULE_NAMES if r not in OUT_OF_SESSION_RULES]},
        ),
        (
            _("Calls outside a session (empty: the deployment's setting)"),
            {"fields": list(OUT_OF_SESSION_RULES)},
        ),
        (
            _("Callbacks (empty: the deployment's endpoint)"),
            {"fields": ["callback_url", "new_callback_secret"]},
        ),
        (_("Who works in this pool"), {"fields": ["users"]}),
    ]

    # Staff given pools change their pools; adding or deleting one is for staff who see every
    # pool: a member deleting their only pool would see every pool after it, and a new pool's
    # page could limit a colleague who sees every pool to it.
    every_pool_writes = ("add", "delete")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.editor_limited = not sees_every_pool(request.user)
        return form

    def get_queryset(self, request):
        # The list's number counts in its one query, not one query a pool.
        return super().get_queryset(request).annotate(numbers_held=Count("numbers"))

    @admin.display(description=_("numbers"), ordering="numbers_held")
    def number_count(self, pool):
        return pool.numbers_held

    @admin.display(description=_("8x8"))
    def connection(self, pool):
        if pool.pk is None:
            return _("Save the pool, then connect it to 8x8.")
        url = reverse("admin-connect-8x8-pool", args=[pool.pk])
        return format_html('<a href="{}" id="connect-pool">Connect to 8x8</a>', url)

    @admin.display(description=_("stored secrets"))
    def secrets_stored(self, pool):
        api_key = "stored" if pool.api_key_encrypted else "none stored"
        credential = "stored" if pool.webhook_credential_hash else "none stored"
        callback = "stored" if pool.callback_secret_encrypted else "none stored"
        if pool.is_deployment_pool:
            api_key += " (else EIGHTX8_API_KEY)"
            credential += " (WEBHOOK_AUTH_HEADER is accepted)"
        return (
            f"API key: {api_key}; webhook credential: {credential}; "
            f"callback signing secret: {callback}"
        )

    def save_model(self, request, obj, form, change):
        moved_days = change and "operations_time_zone" in form.changed_data
        pool_save(
            pool=obj,
            changed=[f for f in form.changed_data if not f.startswith("new_")],
            api_key=form.cleaned_data.get("new_api_key", ""),
            webhook_credential=form.cleaned_data.get("new_webhook_credential", ""),
            callback_secret=form.cleaned_data.get("new_callback_secret", ""),
            actor=request.user,
            via=ADMIN,
        )
        if moved_days:
            # The reports' days of this pool are its zone's: summed again in the new one.
            rollup_rebuild(pool_ids=[obj.pk])
