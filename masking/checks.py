"""System checks: a production deploy must not accept anonymous provider webhooks."""

from django.conf import settings
from django.core.checks import Error, Tags, register


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
    return errors
