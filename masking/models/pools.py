import hmac
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from masking import pool_secrets
from masking.outbound import url_problem
from masking.pool_rules import RULE_NAMES, PoolRules, resolve_rules, rule_problems
from masking.voices import LANGUAGE_CHOICES

INHERITS = _("Empty: the deployment's setting (%(setting)s).")


class PoolQuerySet(models.QuerySet):
    def for_subaccount(self, subaccount_id: str):
        """The pool 8x8's `subAccountId` names. The deployment's pool also answers to
        EIGHTX8_SUBACCOUNT_ID, as the deployment did before pools."""
        named = Q(subaccount_id=subaccount_id)
        if subaccount_id and subaccount_id == settings.EIGHTX8_SUBACCOUNT_ID:
            named |= Q(is_deployment_pool=True, subaccount_id="")
        return self.filter(named)

    def deployment(self) -> "Pool":
        """The deployment's own pool (the one every existing number joined when pools came in),
        created on first need: a number added without a pool joins it."""
        pool = self.filter(is_deployment_pool=True).first()
        if pool is None:
            pool, _created = self.get_or_create(
                is_deployment_pool=True,
                defaults={
                    "name": settings.EIGHTX8_SUBACCOUNT_ID or "default",
                    "subaccount_id": settings.EIGHTX8_SUBACCOUNT_ID,
                },
            )
        return pool


def _inherits(setting: str):
    return INHERITS % {"setting": setting}


class Pool(models.Model):
    """One 8x8 sub-account: its numbers, its credentials and its caller experience.

    Each rule left empty follows the deployment's setting (`masking.pool_rules`). The deployment's
    pool (made from EIGHTX8_SUBACCOUNT_ID when pools came in) also takes its 8x8 credentials from
    the environment when none are stored: EIGHTX8_API_KEY and WEBHOOK_AUTH_HEADER.
    """

    class Consent(models.TextChoices):
        EVERY_PARTY = "every_party", _("every party must have opted in")
        CALLER_ONLY = "caller_only", _("the caller must have opted in")

    class Dialect(models.TextChoices):
        AUTO = "auto", _("auto (from the sub-account's voice catalogue)")
        SEED = "seed", _("seed")
        CURRENT = "current", _("current")

    name = models.CharField(
        _("name"), max_length=60, unique=True, help_text=_("Example: “Malaysia riders”.")
    )
    subaccount_id = models.CharField(
        _("8x8 sub-account id"),
        max_length=60,
        blank=True,
        help_text=_(
            "The subAccountId 8x8 names in this pool's events. Example: “acme-my-01”. Empty only "
            "for the deployment's pool, which then answers to EIGHTX8_SUBACCOUNT_ID."
        ),
    )
    is_deployment_pool = models.BooleanField(
        _("the deployment's pool"),
        default=False,
        editable=False,
        help_text=_(
            "Made from the environment when pools came in: without stored credentials it uses "
            "EIGHTX8_API_KEY and WEBHOOK_AUTH_HEADER."
        ),
    )
    api_key_variable = models.CharField(
        _("API key from the environment variable"),
        max_length=60,
        blank=True,
        help_text=_(
            "The name of the environment variable holding this sub-account's 8x8 API key, when "
            "it is kept there rather than stored. Example: “EIGHTX8_API_KEY_MY”."
        ),
    )
    api_key_encrypted = models.TextField(_("API key (encrypted)"), blank=True, editable=False)
    webhook_credential_hash = models.CharField(
        _("webhook credential (SHA-256)"), max_length=64, blank=True, editable=False
    )
    number_update_credential_hash = models.CharField(
        _("number updates' webhook credential (SHA-256)"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_(
            "The credential 8x8's VNU webhook was registered with. 8x8 will not delete that "
            "webhook, so a later connect_8x8 --pool cannot give it the new credential: this one "
            "stays accepted, for number updates only."
        ),
    )
    number_capacity = models.PositiveIntegerField(
        _("sessions per number"),
        null=True,
        blank=True,
        help_text=_("Example: 1000. ") + _inherits("MASKING_NUMBER_CAPACITY"),
    )
    recording_consent = models.CharField(
        _("recording consent rule"),
        max_length=16,
        blank=True,
        choices=Consent.choices,
        help_text=_inherits("MASKING_RECORDING_CONSENT"),
    )
    default_language = models.CharField(
        _("default language"),
        max_length=8,
        blank=True,
        choices=LANGUAGE_CHOICES,
        help_text=_("Example: “zh”. ") + _inherits("MASKING_DEFAULT_LANGUAGE"),
    )
    callflow_dialect = models.CharField(
        _("callflow dialect"),
        max_length=8,
        blank=True,
        choices=Dialect.choices,
        help_text=_inherits("MASKING_CALLFLOW_DIALECT"),
    )
    pin_length = models.PositiveSmallIntegerField(
        _("PIN length"),
        null=True,
        blank=True,
        help_text=_("Example: 6. ") + _inherits("MASKING_PIN_LENGTH"),
    )
    pin_guess_one_in = models.PositiveIntegerField(
        _("guessing bound (1 in)"),
        null=True,
        blank=True,
        help_text=_("Example: 10000. ") + _inherits("MASKING_PIN_GUESS_ONE_IN"),
    )
    pin_tries = models.PositiveSmallIntegerField(
        _("PIN tries per call"),
        null=True,
        blank=True,
        help_text=_("Example: 3. ") + _inherits("MASKING_PIN_TRIES"),
    )
    pin_lock_after = models.PositiveSmallIntegerField(
        _("wrong PINs before a phone is locked out"),
        null=True,
        blank=True,
        help_text=_("Example: 5. ") + _inherits("MASKING_PIN_LOCK_AFTER"),
    )
    pin_number_ceiling = models.PositiveIntegerField(
        _("wrong PINs before a number pauses PIN entry"),
        null=True,
        blank=True,
        help_text=_("Example: 20. ") + _inherits("MASKING_PIN_NUMBER_CEILING"),
    )
    pin_lock_minutes = models.PositiveIntegerField(
        _("lockout minutes"),
        null=True,
        blank=True,
        help_text=_("Example: 60. ") + _inherits("MASKING_PIN_LOCK_MINUTES"),
    )
    operations_time_zone = models.CharField(
        _("operations time zone"),
        max_length=64,
        blank=True,
        help_text=_("For this pool's reports. Example: “Asia/Kuala_Lumpur”. ")
        + _inherits("MASKING_OPERATIONS_TIME_ZONE"),
    )
    out_of_session_ask = models.BooleanField(
        _("ask the business"),
        null=True,
        blank=True,
        help_text=_(
            "Whether a call from a phone in no session on this pool's numbers (after the PIN "
            "step, if any) is posted to the business's endpoint, when there is one. No: never. "
        )
        + _inherits("MASKING_OUT_OF_SESSION_ASK"),
    )
    out_of_session_url = models.CharField(
        _("the business's endpoint"),
        max_length=300,
        blank=True,
        help_text=_(
            "Where those calls are posted, signed like the callbacks; https, public. Example: "
            "“https://backend.example.com/masking/out-of-session”. "
        )
        + _inherits("MASKING_OUT_OF_SESSION_URL"),
    )
    fallback_line = models.CharField(
        _("fallback line"),
        max_length=20,
        blank=True,
        help_text=_(
            "A support number those callers are bridged to when the business gives no usable "
            "answer (or is not asked), and callers who fail the PIN or whom a session rule turns "
            "away. Example: “+6562220000”. "
        )
        + _inherits("MASKING_FALLBACK_LINE"),
    )
    callback_url = models.URLField(
        _("callback endpoint"),
        max_length=500,
        blank=True,
        help_text=_(
            "Where the callbacks of this pool's sessions and numbers go, signed with the pool's "
            "own secret. Example: “https://my-backend.example.com/masking-events”. Empty: the "
            "deployment's (MASKING_CALLBACK_URL, else the admin's callback endpoint)."
        ),
    )
    callback_secret_encrypted = models.TextField(
        _("callback signing secret (encrypted)"), blank=True, editable=False
    )
    voice_catalogue = models.JSONField(
        _("8x8 voice catalogue"),
        default=list,
        blank=True,
        editable=False,
        help_text=_(
            "The speech profile codes this sub-account offers, as connect_8x8 last read them "
            "(empty: never read). Example: [“en-US-ZiraRUS”]."
        ),
    )
    catalogue_dialect = models.CharField(
        _("dialect its voices speak"),
        max_length=8,
        blank=True,
        editable=False,
        choices=[("seed", "seed"), ("current", "current")],
        help_text=_(
            "What the dialect rule `auto` uses for this pool, chosen by connect_8x8 from the "
            "sub-account's voice catalogue (empty: not read yet)."
        ),
    )
    catalogue_dialect_reason = models.CharField(
        _("why that dialect"), max_length=400, blank=True, editable=False
    )
    catalogue_read_at = models.DateTimeField(
        _("voice catalogue read at"), null=True, blank=True, editable=False
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="masking_pools",
        verbose_name=_("people and API users"),
        help_text=_(
            "Who works in this pool only: staff see its rows only, an API user its sessions and "
            "numbers only. Someone given no pool at all sees every pool. Example: the Malaysia "
            "team, and the Malaysia backend's API user."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PoolQuerySet.as_manager()

    class Meta:
        verbose_name = _("pool")
        verbose_name_plural = _("pools")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["subaccount_id"],
                condition=~Q(subaccount_id=""),
                name="masking_pool_one_per_subaccount",
                violation_error_message=_("Another pool is this 8x8 sub-account."),
            ),
            models.UniqueConstraint(
                fields=["is_deployment_pool"],
                condition=Q(is_deployment_pool=True),
                name="masking_pool_one_deployment_pool",
            ),
            models.CheckConstraint(
                condition=Q(catalogue_dialect__in=["", "seed", "current"]),
                name="masking_pool_catalogue_dialect",
            ),
            models.CheckConstraint(
                condition=Q(is_deployment_pool=True) | ~Q(subaccount_id=""),
                name="masking_pool_subaccount_named",
                violation_error_message=_("Name the 8x8 sub-account of this pool."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def rules(self) -> PoolRules:
        """The rules in force for this pool: its own, else the deployment's."""
        return resolve_rules({name: getattr(self, name) for name in RULE_NAMES})

    def clean(self):
        super().clean()
        problems = rule_problems(self.rules)
        # What masking.checks says of the deployment's callback settings (E022, E020), for the
        # pool's own endpoint.
        problem = url_problem(self.callback_url) if self.callback_url else None
        if problem:
            problems["callback_url"] = f"The callback URL {problem}."
        elif self.callback_url and not self.callback_secret_encrypted:
            problems["callback_url"] = (
                "A callback endpoint needs a signing secret: give this pool a new one."
            )
        if problems:
            raise ValidationError(
                {rule: problem for rule, problem in problems.items()},
                code="rule",
            )

    @property
    def effective_subaccount_id(self) -> str:
        if self.subaccount_id or not self.is_deployment_pool:
            return self.subaccount_id
        return settings.EIGHTX8_SUBACCOUNT_ID

    def api_key(self) -> str:
        """The sub-account's 8x8 API key: from its environment variable, else as stored, else
        (the deployment's pool) EIGHTX8_API_KEY."""
        if self.api_key_variable:
            return os.environ.get(self.api_key_variable, "")
        if self.api_key_encrypted:
            return pool_secrets.decrypt(self.api_key_encrypted)
        return settings.EIGHTX8_API_KEY if self.is_deployment_pool else ""

    def set_api_key(self, key: str) -> None:
        self.api_key_encrypted = pool_secrets.encrypt(key)

    def callback_secret(self) -> str:
        return pool_secrets.decrypt(self.callback_secret_encrypted)

    def set_callback_secret(self, secret: str) -> None:
        self.callback_secret_encrypted = pool_secrets.encrypt(secret)

    def set_webhook_credential(self, value: str, *, number_updates: bool = True) -> None:
        """`number_updates`: the VNU webhook is registered with this credential too."""
        self.webhook_credential_hash = pool_secrets.credential_hash(value)
        if number_updates:
            self.number_update_credential_hash = self.webhook_credential_hash

    def accepts_webhook(self, authorization: str, *, number_updates: bool = False) -> bool:
        """Whether `authorization` is this pool's webhook credential (constant time); for
        `number_updates`, also the credential its VNU webhook keeps. The deployment's pool also
        accepts WEBHOOK_AUTH_HEADER (and its previous value during a rotation), as the
        deployment did before pools."""
        stored = [self.webhook_credential_hash]
        if number_updates:
            stored.append(self.number_update_credential_hash)
        matches = [bool(h) and pool_secrets.credential_matches(authorization, h) for h in stored]
        if any(matches):
            return True
        if not self.is_deployment_pool:
            return False
        given = authorization.encode("utf-8", "replace")
        accepted = [
            value.encode()
            for value in (settings.WEBHOOK_AUTH_HEADER, settings.WEBHOOK_AUTH_HEADER_PREVIOUS)
            if value
        ]
        return any([hmac.compare_digest(given, value) for value in accepted])
