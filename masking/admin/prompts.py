from django.contrib import admin

from masking.models import Prompt


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["purpose", "language", "voice_profile", "repetition", "short_text"]
    list_filter = ["purpose", "language"]
    search_fields = ["text"]
    readonly_fields = ["updated_at"]

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"
