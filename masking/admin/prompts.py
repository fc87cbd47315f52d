from django import forms
from django.conf import settings
from django.contrib import admin

from callflows.builders import KEYPAD_DEFAULTS
from callflows.dialects import CURRENT, SEED, refused_voices, wire_voice
from callflows.provider_state import provider_facts
from masking.admin.base import ProjectAdmin
from masking.models import Prompt, SpeechProfile
from masking.voices import LANGUAGES


def dialect_in_force() -> str:
    return provider_facts().dialect


def missing_prompts() -> list[dict]:
    """For each language in use (and the default), the purposes it has no prompt for, and what
    callers hear instead: the default language's prompt, a built-in text, or nothing."""
    have: dict[str, set[str]] = {}
    for language, purpose in Prompt.objects.values_list("language", "purpose"):
        have.setdefault(language, set()).add(purpose)
    default = settings.MASKING_DEFAULT_LANGUAGE
    have.setdefault(default, set())
    rows = []
    for language in sorted(have):
        missing = [
            {"purpose": label, "instead": instead(value, language=language, have=have)}
            for value, label in Prompt.Purpose.choices
            if value not in have[language]
        ]
        if missing:
            name = LANGUAGES[language].name if language in LANGUAGES else language
            rows.append({"language": name, "code": language, "missing": missing})
    return rows


def instead(purpose: str, *, language: str, have: dict[str, set[str]]) -> str:
    """What a caller in `language` hears where the prompt for `purpose` is missing."""
    default = settings.MASKING_DEFAULT_LANGUAGE
    if language != default and purpose in have.get(default, set()):
        name = LANGUAGES[default].name if default in LANGUAGES else default
        return f"the {name} prompt"
    if purpose == "goodbye":
        return "the no-session prompt, or nothing, then the call ends"
    if purpose in ("pin_request", "wrong_pin"):
        return f"the built-in “{KEYPAD_DEFAULTS[purpose].text}” (English)"
    if purpose == "consent_request":
        return (
            "when a caller is asked to press 1 for recording, the built-in request in the "
            "language of their recording notice (or connecting prompt), else "
            f"“{KEYPAD_DEFAULTS[purpose].text}” (English)"
        )
    if purpose == "recording_notice":
        return "nothing before the call connects"
    if purpose == "connecting":
        return "nothing: the call connects in silence"
    if purpose == "apology":
        return "nothing, then the call ends (the apology setting only when the database is down)"
    return "nothing, then the call ends"


def voice_check() -> dict:
    """Which prompts 8x8 would refuse in the configured dialect, by the stored catalogue."""
    catalogue = SpeechProfile.objects.codes()
    dialect = dialect_in_force()
    refused = []
    if catalogue:
        prompts = list(Prompt.objects.all())
        bad = refused_voices(
            {p.voice_profile for p in prompts}, dialect=dialect, catalogue=catalogue
        )
        refused = [
            {"prompt": p, "voice": p.voice_profile, "sent": bad[p.voice_profile]}
            for p in prompts
            if p.voice_profile in bad
        ]
    return {"checked": bool(catalogue), "dialect": dialect, "refused": refused}


def refusal_message(voice: str, *, language: str, dialect: str, catalogue: frozenset[str]) -> str:
    sent = wire_voice(voice, dialect=dialect)
    message = (
        f"8x8's catalogue for this sub-account does not offer {sent}, which the {dialect} "
        "dialect sends for this voice: 8x8 would refuse the prompt (-1002)."
    )
    lang = LANGUAGES.get(language)
    accepted = [
        v
        for v in (lang.voice_profiles if lang else ())
        if wire_voice(v, dialect=dialect) in catalogue
    ]
    if accepted:
        return f"{message} Voices it accepts for {lang.name}: {', '.join(accepted)}."
    if dialect == SEED and not refused_voices([voice], dialect=CURRENT, catalogue=catalogue):
        return (
            f"{message} The current dialect would send a voice it offers: "
            "set MASKING_CALLFLOW_DIALECT=auto."
        )
    return message


class PromptForm(forms.ModelForm):
    class Meta:
        model = Prompt
        fields = ["purpose", "language", "voice_profile", "text", "repetition"]

    def clean(self):
        cleaned = super().clean()
        voice, language = cleaned.get("voice_profile"), cleaned.get("language")
        catalogue = SpeechProfile.objects.codes()
        dialect = dialect_in_force()
        if voice and refused_voices([voice], dialect=dialect, catalogue=catalogue):
            self.add_error(
                "voice_profile",
                refusal_message(voice, language=language, dialect=dialect, catalogue=catalogue),
            )
        return cleaned


@admin.register(Prompt)
class PromptAdmin(ProjectAdmin):
    pool_path = None  # the deployment's prompts, spoken on every pool's numbers
    form = PromptForm
    list_display = ["purpose", "language", "voice_profile", "repetition", "short_text"]
    list_filter = ["purpose", "language"]
    search_fields = ["text"]
    readonly_fields = ["updated_at"]
    change_list_template = "admin/masking/prompt/change_list.html"

    def changelist_view(self, request, extra_context=None):
        # Callers in a language without a prompt hear the default language's (or nothing).
        extra_context = {
            **(extra_context or {}),
            "missing_prompts": missing_prompts(),
            "voice_check": voice_check(),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"
