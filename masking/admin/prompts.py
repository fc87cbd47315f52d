from django.conf import settings
from django.contrib import admin

from masking.models import Prompt
from masking.voices import LANGUAGES


def missing_prompts() -> list[dict]:
    """For each language in use (and the default), the purposes it has no prompt for."""
    have: dict[str, set[str]] = {}
    for language, purpose in Prompt.objects.values_list("language", "purpose"):
        have.setdefault(language, set()).add(purpose)
    have.setdefault(settings.MASKING_DEFAULT_LANGUAGE, set())
    rows = []
    for language in sorted(have):
        missing = [label for value, label in Prompt.Purpose.choices if value not in have[language]]
        if missing:
            name = LANGUAGES[language].name if language in LANGUAGES else language
            rows.append({"language": name, "code": language, "missing": missing})
    return rows


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["purpose", "language", "voice_profile", "repetition", "short_text"]
    list_filter = ["purpose", "language"]
    search_fields = ["text"]
    readonly_fields = ["updated_at"]
    change_list_template = "admin/masking/prompt/change_list.html"

    def changelist_view(self, request, extra_context=None):
        # Callers in a language without a prompt hear the default language's (or nothing).
        extra_context = {**(extra_context or {}), "missing_prompts": missing_prompts()}
        return super().changelist_view(request, extra_context)

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"
