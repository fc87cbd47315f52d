"""System checks: a production deploy must not accept anonymous provider webhooks, and the
voices our prompts use should be ones 8x8's catalogue offers."""

import contextlib

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ValidationError
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def check_webhook_auth_header(app_configs, **kwargs):
    if settings.DEBUG or settings.WEBHOOK_AUTH_HEADER:
        return []
    return [
        Error(
            "WEBHOOK_AUTH_HEADER is empty: provider webhooks cannot be authenticated.",
            hint="Set it to the exact httpAuthHeader configured on the 8x8 webhooks, "
            'for example "Bearer <a long random token>".',
            id="masking.E001",
        )
    ]


# The secret part of the webhook credential (after "Bearer "), at least this long: 32 random
# characters cannot be guessed, and 8x8 sends it with every event.
MIN_WEBHOOK_CREDENTIAL = 32


@register(Tags.security, deploy=True)
def check_webhook_credential_length(app_configs, **kwargs):
    errors = []
    for name in ("WEBHOOK_AUTH_HEADER", "WEBHOOK_AUTH_HEADER_PREVIOUS"):
        value = getattr(settings, name)
        secret = value.split(" ", 1)[-1].strip() if value else ""
        if value and len(secret) < MIN_WEBHOOK_CREDENTIAL:
            errors.append(
                Error(
                    f"{name}'s credential is {len(secret)} characters: at least "
                    f"{MIN_WEBHOOK_CREDENTIAL} are needed.",
                    hint='For example "Bearer $(openssl rand -hex 24)".',
                    id="masking.E007",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_outbound(app_configs, **kwargs):
    """Callbacks go over https to a public receiver; allowing private ones is said out loud."""
    from masking.models import CallbackEndpoint, Pool
    from masking.outbound import url_problem

    urls = [("MASKING_CALLBACK_URL", settings.MASKING_CALLBACK_URL)]
    # No database yet (a fresh deploy): the environment's URL is still checked.
    with contextlib.suppress(DatabaseError):
        admin_urls = CallbackEndpoint.objects.values_list("url", flat=True)
        urls += [("the admin's callback endpoint", url) for url in admin_urls]
        pool_urls = Pool.objects.exclude(callback_url="").values_list("name", "callback_url")
        urls += [(f"pool {name}'s callback endpoint", url) for name, url in pool_urls]
    messages = []
    for where, url in urls:
        if not url:
            continue
        problem = "must be https" if not url.startswith("https://") else url_problem(url)
        if problem:
            messages.append(Error(f"{where} ({url!r}) {problem}.", id="masking.E022"))
    if settings.MASKING_OUTBOUND_ALLOW_PRIVATE:
        messages.append(
            Warning(
                "MASKING_OUTBOUND_ALLOW_PRIVATE is on: callbacks and 8x8's API may go to "
                "private, loopback and link-local addresses, and over plain http.",
                hint="Only for a receiver inside your network, on purpose (README, Callbacks).",
                id="masking.W030",
            )
        )
    return messages


@register(Tags.compatibility)
def check_product_settings(app_configs, **kwargs):
    from masking.voices import LANGUAGES

    errors = []
    if settings.MASKING_RECORDING_CONSENT not in ("every_party", "caller_only"):
        errors.append(
            Error(
                "MASKING_RECORDING_CONSENT must be 'every_party' or 'caller_only'.",
                id="masking.E002",
            )
        )
    if settings.MASKING_CALLFLOW_NUMBER_FORMAT not in ("digits", "e164"):
        errors.append(
            Error("MASKING_CALLFLOW_NUMBER_FORMAT must be 'digits' or 'e164'.", id="masking.E003")
        )
    if settings.MASKING_CALLFLOW_DIALECT not in ("auto", "seed", "current"):
        errors.append(
            Error(
                "MASKING_CALLFLOW_DIALECT must be 'auto', 'seed' or 'current'.", id="masking.E008"
            )
        )
    if settings.MASKING_DEFAULT_LANGUAGE not in LANGUAGES:
        errors.append(
            Error(
                "MASKING_DEFAULT_LANGUAGE is not a language of the voice catalog.",
                hint=f"One of: {', '.join(sorted(LANGUAGES))}.",
                id="masking.E004",
            )
        )
    from masking.pins import pin_room

    if pin_room() < 2:
        errors.append(
            Error(
                f"MASKING_PIN_LENGTH={settings.MASKING_PIN_LENGTH} leaves no room for a PIN "
                f"session within the guessing bound of 1 in {settings.MASKING_PIN_GUESS_ONE_IN}.",
                hint="Lengthen the PINs or relax MASKING_PIN_GUESS_ONE_IN (README, Keypad flows).",
                id="masking.E005",
            )
        )
    if not 1 <= settings.MASKING_PIN_LENGTH <= 12:
        errors.append(Error("MASKING_PIN_LENGTH must be 1 to 12 digits.", id="masking.E006"))
    return errors + callback_setting_errors() + out_of_session_setting_errors()


def out_of_session_setting_errors() -> list[Error]:
    """The session rules' defaults, the fallback line and the business's endpoint must be
    usable: a bad one would otherwise fail every new session or every call outside a session."""
    from callflows.numbers import NotAPhoneNumber, parse_provider_number
    from masking.outbound import url_problem
    from masking.session_rules import default_rules, validate_time_zone

    errors = []
    try:
        rules = default_rules()
        validate_time_zone(rules.calling_hours_time_zone or settings.MASKING_OPERATIONS_TIME_ZONE)
        if settings.MASKING_SESSION_MAX_CALLS < 0:
            raise ValueError("MASKING_SESSION_MAX_CALLS")
    except (ValueError, ValidationError):
        errors.append(
            Error(
                "MASKING_SESSION_CALLING_HOURS, MASKING_SESSION_TIME_ZONE or "
                "MASKING_SESSION_MAX_CALLS is not usable.",
                hint='Hours as "08:00-20:00", a zone as "Asia/Singapore", max '
                "calls 0 (no limit) or more (README, Session rules).",
                id="masking.E040",
            )
        )
    if settings.MASKING_FALLBACK_LINE:
        try:
            parse_provider_number(settings.MASKING_FALLBACK_LINE)
        except NotAPhoneNumber:
            errors.append(Error("MASKING_FALLBACK_LINE is not a phone number.", id="masking.E041"))
    if settings.MASKING_OUT_OF_SESSION_URL:
        problem = url_problem(settings.MASKING_OUT_OF_SESSION_URL)
        if problem:
            errors.append(Error(f"MASKING_OUT_OF_SESSION_URL {problem}.", id="masking.E042"))
        if not (settings.MASKING_OUT_OF_SESSION_SECRET or settings.MASKING_CALLBACK_SECRET):
            errors.append(
                Warning(
                    "MASKING_OUT_OF_SESSION_URL is set without a secret to sign with.",
                    hint="Set MASKING_OUT_OF_SESSION_SECRET (or MASKING_CALLBACK_SECRET); "
                    "without one, only a secret set in the admin's callback endpoint signs.",
                    id="masking.W040",
                )
            )
    return errors


def callback_setting_errors() -> list[Error]:
    """Callbacks the environment points somewhere must be signable, and a worker's lease must
    outlast its request, or a slow receiver would get each callback twice."""
    from django.core.exceptions import ValidationError

    from masking.models.callbacks import validate_secret

    errors = []
    # The previous secret signs beside the current one during a rotation: one that cannot sign
    # fails every callback as surely.
    names = ["MASKING_CALLBACK_SECRET"] if settings.MASKING_CALLBACK_URL else []
    if settings.MASKING_CALLBACK_SECRET_PREVIOUS:
        names.append("MASKING_CALLBACK_SECRET_PREVIOUS")
    for name in names:
        try:
            validate_secret(getattr(settings, name))
        except ValidationError:
            errors.append(
                Error(
                    f"{name} is not a Standard Webhooks secret.",
                    hint="whsec_ and 24+ random bytes in base64, e.g. "
                    '"whsec_$(openssl rand -base64 32)".',
                    id="masking.E020",
                )
            )
    if settings.MASKING_CALLBACK_LEASE_SECONDS <= 3 * settings.MASKING_CALLBACK_TIMEOUT_SECONDS:
        errors.append(
            Error(
                "MASKING_CALLBACK_LEASE_SECONDS must be more than three times "
                "MASKING_CALLBACK_TIMEOUT_SECONDS (connect, send and read each take up to it).",
                id="masking.E021",
            )
        )
    if settings.MASKING_CALLBACK_DEADLINE_SECONDS <= 0:
        errors.append(
            Error(
                "MASKING_CALLBACK_DEADLINE_SECONDS must be more than 0 (every delivery would "
                "time out before it is sent).",
                id="masking.E023",
            )
        )
    return errors


def voice_catalogue_messages(
    *, catalogue: frozenset[str] | None = None, dialect: str | None = None
):
    """What the sub-account's voice catalogue says about the voices our prompts go out with.

    `catalogue` defaults to the stored one (connect_8x8 reads it); `dialect` to the one in
    force. Used by the system check and by connect_8x8, which passes the catalogue it has just
    read and the dialect it will leave in force.
    """
    from callflows.dialects import AUTO, CURRENT, SEED, refused_voices
    from callflows.provider_state import provider_facts, voices_in_use
    from masking.models import SpeechProfile

    dialect = dialect or provider_facts().dialect
    catalogue = SpeechProfile.objects.codes() if catalogue is None else catalogue
    if not catalogue:
        return []
    refused = refused_voices(voices_in_use(), dialect=dialect, catalogue=catalogue)
    if not refused:
        return []
    if dialect == SEED:
        fixed = not refused_voices(refused, dialect=CURRENT, catalogue=catalogue)
        remedy = (
            "Run connect_8x8: with MASKING_CALLFLOW_DIALECT=auto it then chooses the dialect "
            "whose voices the catalogue lists"
            if settings.MASKING_CALLFLOW_DIALECT == AUTO
            else "Set MASKING_CALLFLOW_DIALECT=auto (or current)"
        )
        return [
            Warning(
                "The seed dialect's voices are not in the 8x8 sub-account's catalogue: "
                f"{', '.join(refused)}. 8x8 would refuse the prompts that use them (-1002).",
                hint=remedy
                + (
                    ": the current dialect sends speech profiles the catalogue lists for all "
                    "of them."
                    if fixed
                    else ", and give the prompts voices the catalogue lists (the prompt list "
                    "shows which)."
                ),
                id="masking.W010",
            )
        ]
    pairs = ", ".join(f"{code} (for {voice})" for voice, code in refused.items())
    return [
        Warning(
            f"Speech profiles our prompts use in the {dialect} dialect are not in the 8x8 "
            f"sub-account's catalogue: {pairs}.",
            hint="Give those prompts another voice (the prompt list shows which 8x8 would refuse).",
            id="masking.W011",
        )
    ]


@register(Tags.database)
def check_voice_catalogue(app_configs, databases=None, **kwargs):
    """Runs with `manage.py check --database default` (and before migrations), since it reads the
    stored catalogue and the prompts."""
    if not databases or "default" not in databases:
        return []
    try:
        return voice_catalogue_messages()
    except DatabaseError:
        return []  # not migrated yet: nothing to check


@register(Tags.admin, Tags.security)
def check_project_admins(app_configs, **kwargs):
    """Every list of the project's models is built on `ProjectAdmin`, whose query-string lookups
    are the declared filters only: a ModelAdmin that is not would let any lookup through."""
    from django.contrib import admin

    from masking.admin.base import NOT_DECLARED, ProjectAdmin

    return [
        Error(
            f"{type(model_admin).__qualname__} ({model._meta.label}) does not derive from "
            "masking.admin.base.ProjectAdmin.",
            hint="Any query-string lookup would reach its model; derive it from ProjectAdmin.",
            obj=type(model_admin),
            id="masking.E030",
        )
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ("masking", "callflows")
        and not isinstance(model_admin, ProjectAdmin)
    ] + [
        Error(
            f"{type(model_admin).__qualname__} ({model._meta.label}) does not declare pool_path.",
            hint='Name the path from its rows to their pool ("virtual_number__pool"), or None '
            "for rows every pool shares: staff given pools would otherwise see every pool's rows.",
            obj=type(model_admin),
            id="masking.E031",
        )
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, ProjectAdmin) and model_admin.pool_path is NOT_DECLARED
    ]
