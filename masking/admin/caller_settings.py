"""A read-only page of the settings that change what callers hear, in staff's words.

They live in the environment (README, "Configuration"), where staff cannot see them; this page
shows each one's value and what it does to a call. Nothing secret is shown: the webhook
credential and 8x8's API key only as set or not set.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse

from callflows.builders import KEYPAD_DEFAULTS
from callflows.provider_state import provider_facts
from masking.timezones import zone_label
from masking.voices import LANGUAGES


@dataclass(frozen=True)
class Setting:
    name: str
    value: str
    effect: str
    variable: str


CONSENT_WORDS = {
    "every_party": "every party must have opted in",
    "caller_only": "only the caller must have opted in",
}
DIALECT_WORDS = {
    "seed": "seed (say&capture, language and generic voices)",
    "current": "current (8x8's sayAndCapture and speech profiles)",
}
SETTING_WORDS = {"auto": "auto", "seed": "forced to seed", "current": "forced to current"}


def duration_words(minutes: int) -> str:
    """1440 -> "24 hours", 90 -> "90 minutes": as staff say a window."""
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


def caller_settings() -> list[Setting]:
    language = LANGUAGES.get(settings.MASKING_DEFAULT_LANGUAGE)
    s = settings
    provider = provider_facts()
    return [
        Setting(
            "Who must agree to recording",
            CONSENT_WORDS.get(s.MASKING_RECORDING_CONSENT, s.MASKING_RECORDING_CONSENT),
            "A call is recorded only when its session asks for recording and this rule is met; "
            "otherwise it connects unrecorded. A caller without consent on file may be asked to "
            "press 1 when their yes would make the call recorded.",
            "MASKING_RECORDING_CONSENT",
        ),
        Setting(
            "Default language",
            f"{language.name} ({language.code})" if language else s.MASKING_DEFAULT_LANGUAGE,
            "Callers hear prompts in their own language when there is one (the participant's "
            "preferred language, else their number's country), else in this one.",
            "MASKING_DEFAULT_LANGUAGE",
        ),
        Setting(
            "Callflow dialect in force",
            f"{DIALECT_WORDS.get(provider.dialect, provider.dialect)}: {provider.dialect_reason} "
            f"(setting: {SETTING_WORDS.get(s.MASKING_CALLFLOW_DIALECT, '?')})",
            "How our answers are written for 8x8. If it does not match the sub-account, 8x8 "
            "refuses prompts and callers hear nothing (README, “Which dialect”).",
            "MASKING_CALLFLOW_DIALECT",
        ),
        Setting(
            "Recording at 8x8",
            ("possible: " if provider.can_record else "NOT POSSIBLE: ") + provider.recording_reason,
            "8x8 records a call only where it has somewhere to push the file. Without that, "
            "calls whose session asks for recording connect unrecorded, and nobody is asked "
            "to press 1 for consent.",
            "EIGHTX8_RECORDING_* (connect_8x8)",
        ),
        Setting(
            "Numbers in callflows",
            "digits (6591230001)" if s.MASKING_CALLFLOW_NUMBER_FORMAT == "digits" else "+E.164",
            "How the number we bridge to is written for 8x8.",
            "MASKING_CALLFLOW_NUMBER_FORMAT",
        ),
        Setting(
            "Capacity of a virtual number",
            f"{s.MASKING_NUMBER_CAPACITY:,} open sessions",
            "A full number takes no new sessions: the number picker and the allocation skip it.",
            "MASKING_NUMBER_CAPACITY",
        ),
        Setting(
            "PIN length",
            f"{s.MASKING_PIN_LENGTH} digits",
            "Generated PINs have this many digits, and callers asked for a PIN key this many.",
            "MASKING_PIN_LENGTH",
        ),
        Setting(
            "PIN tries per call",
            str(s.MASKING_PIN_TRIES),
            "After this many wrong PINs in one call, the caller hears the goodbye prompt and "
            "the call ends.",
            "MASKING_PIN_TRIES",
        ),
        Setting(
            "PIN lockout",
            f"{s.MASKING_PIN_LOCK_AFTER} wrong PINs from one phone, or "
            f"{s.MASKING_PIN_NUMBER_CEILING} on one number, within "
            f"{duration_words(s.MASKING_PIN_WINDOW_MINUTES)}: PIN entry refused for "
            f"{s.MASKING_PIN_LOCK_MINUTES} minutes",
            f"Wrong PINs count against the phone that keyed them and against the number. After "
            f"{s.MASKING_PIN_LOCK_AFTER}, that phone is refused PIN entry on that number; after "
            f"{s.MASKING_PIN_NUMBER_CEILING} from any phones, PIN entry on the number pauses for "
            f"every phone new to it, except phones that connected with a PIN to one of its open "
            f"sessions within {s.MASKING_PIN_TRUSTED_DAYS} days. Participants calling from their "
            "own phones need no PIN and are never affected. The counts look back over the whole "
            "window, so the next wrong PIN after a lockout locks again. Staff can clear a "
            "lockout (PIN lockouts).",
            "MASKING_PIN_LOCK_AFTER, MASKING_PIN_NUMBER_CEILING, MASKING_PIN_WINDOW_MINUTES, "
            "MASKING_PIN_LOCK_MINUTES, MASKING_PIN_TRUSTED_DAYS",
        ),
        Setting(
            "Built-in PIN request",
            KEYPAD_DEFAULTS["pin_request"].text,
            "Spoken when there is no PIN request prompt in the caller's language.",
            "(Prompts)",
        ),
        Setting(
            "Built-in wrong-PIN sentence",
            KEYPAD_DEFAULTS["wrong_pin"].text,
            "Spoken after a wrong PIN when there is no wrong PIN prompt in the caller's language.",
            "(Prompts)",
        ),
        Setting(
            "Built-in recording consent request",
            KEYPAD_DEFAULTS["consent_request"].text,
            "Asked (press 1) when there is no consent request prompt, in the language of the "
            "caller's recording notice where that language has one of the built-in texts.",
            "(Prompts)",
        ),
        Setting(
            "Apology when the database is down",
            s.MASKING_FALLBACK_APOLOGY,
            "Spoken, then the call ends, when we cannot read the apology prompt.",
            "MASKING_FALLBACK_APOLOGY",
        ),
        Setting(
            "Operations time zone",
            zone_label(),
            "Times on these pages are shown, and read when typed, in this zone.",
            "MASKING_OPERATIONS_TIME_ZONE",
        ),
        Setting(
            "Call records kept",
            f"{s.MASKING_CALL_RETENTION_DAYS} days",
            "After that a call's caller number, callflow and recording path are removed.",
            "MASKING_CALL_RETENTION_DAYS",
        ),
        Setting(
            "8x8 webhook credential",
            "set" if s.WEBHOOK_AUTH_HEADER else "NOT SET: every call from 8x8 is refused",
            "8x8 must send it with every call, or the call is refused.",
            "WEBHOOK_AUTH_HEADER",
        ),
    ]


def settings_view(request):
    context = {
        **admin.site.each_context(request),
        "title": "Settings that change what callers hear",
        "settings_rows": caller_settings(),
    }
    return TemplateResponse(request, "admin/masking/caller_settings.html", context)
