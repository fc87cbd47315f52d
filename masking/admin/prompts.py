from django import forms
from django.conf import settings
from django.contrib import admin

from callflows.builders import KEYPAD_DEFAULTS
from callflows.dialects import CURRENT, SEED, refused_voices, wire_voice
from callflows.provider_state import provider_facts
from masking.admin.base import ProjectAdmin
from masking.models import Pool, Prompt, SpeechProfile
from masking.pool_access import sees_every_pool, within_pools
from masking.selectors import prompt_layers
from masking.voices import LANGUAGES


def dialect_in_force() -> str:
    return provider_facts().dialect


def voices_checked_against(pool: Pool | None) -> tuple[frozenset[str], str]:
    """(catalogue, dialect) a prompt's voice is checked against: its pool's sub-account's, as
    connect_8x8 --pool read it, for a pool's own prompt; else the deployment's."""
    if pool is not None and pool.catalogue_read_at is not None:
        rule = pool.rules.callflow_dialect
        dialect = pool.catalogue_dialect if rule == "auto" else rule
        return frozenset(pool.voice_catalogue), dialect or "seed"
    return SpeechProfile.objects.codes(), dialect_in_force()


def _prompts_held() -> dict[tuple, set[str]]:
    """{(pool id or None for the deployment's, language): purposes with a prompt}. One query."""
    have: dict[tuple, set[str]] = {}
    for pool_id, language, purpose in Prompt.objects.values_list("pool_id", "language", "purpose"):
        have.setdefault((pool_id, language), set()).add(purpose)
    return have


def _language_name(code: str) -> str:
    return LANGUAGES[code].name if code in LANGUAGES else code


def missing_prompts(*, pool: Pool | None = None, have: dict | None = None) -> list[dict]:
    """For each language in use (and the default), the purposes its callers have no prompt for,
    and what they hear instead: another language's prompt, a built-in text, or nothing.

    `pool`: for the callers on that pool's numbers (its own prompts, else the deployment's, as
    `masking.selectors.prompt_layers` orders them); None: the deployment's prompts alone."""
    have = _prompts_held() if have is None else have
    pool_id = pool.pk if pool else None
    default = pool.rules.default_language if pool else settings.MASKING_DEFAULT_LANGUAGE
    languages = {lang for (owner, lang) in have if owner in (pool_id, None)} | {default}
    rows = []
    for language in sorted(languages):
        layers = prompt_layers(language=language, default=default, pool_id=pool_id)
        own = [layer for layer in layers if layer[1] == language]
        others = [layer for layer in layers if layer[1] != language]
        missing = [
            {
                "purpose": label,
                "instead": instead(value, layers=others, have=have, pool=pool),
            }
            for value, label in Prompt.Purpose.choices
            if not any(value in have.get(layer, ()) for layer in own)
        ]
        if missing:
            rows.append(
                {"language": _language_name(language), "code": language, "missing": missing}
            )
    return rows


def pools_missing_prompts(user) -> list[dict]:
    """The missing prompts of each pool `user` may see whose callers may hear something else
    than the deployment's table says: pools with prompts or a default language of their own (a
    staff member limited to pools: each of theirs, as they do not see the deployment's)."""
    have = _prompts_held()
    limited = not sees_every_pool(user)
    with_own = {owner for (owner, _lang) in have if owner is not None}
    shown = [
        pool
        for pool in within_pools(Pool.objects.all(), user=user, path="pk")
        if limited or pool.pk in with_own or pool.default_language
    ]
    return [
        {"pool": pool, "rows": rows}
        for pool in shown
        if (rows := missing_prompts(pool=pool, have=have))
    ]


def instead(purpose: str, *, layers: list[tuple], have: dict, pool: Pool | None) -> str:
    """What a caller hears where the prompt for `purpose` in their language is missing: the first
    of `layers` (the other languages' prompts, in the order callers hear them) that has one."""
    for owner, lang in layers:
        if purpose in have.get((owner, lang), ()):
            if pool is None:
                return f"the {_language_name(lang)} prompt"
            whose = "the pool's own" if owner is not None else "the deployment's"
            return f"{whose} {_language_name(lang)} prompt"
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


def voice_check(user=None) -> dict:
    """Which prompts 8x8 would refuse, each checked where it is spoken: a pool's own prompt in
    its pool's dialect against its pool's catalogue (as the prompt form checks it), the
    deployment's against the deployment's. `user`: only the prompts of the pools they see."""
    prompts = Prompt.objects.select_related("pool").order_by("pk")
    if user is not None:
        prompts = within_pools(prompts, user=user, path="pool")
    by_pool: dict[int | None, list[Prompt]] = {}
    for prompt in prompts:
        by_pool.setdefault(prompt.pool_id, []).append(prompt)
    dialect = dialect_in_force()
    checked = bool(SpeechProfile.objects.codes())
    refused = []
    for group in by_pool.values():
        catalogue, spoken_in = voices_checked_against(group[0].pool)
        checked = checked or bool(catalogue)
        bad = refused_voices(
            {p.voice_profile for p in group}, dialect=spoken_in, catalogue=catalogue
        )
        refused += [
            {"prompt": p, "voice": p.voice_profile, "sent": bad[p.voice_profile]}
            for p in group
            if p.voice_profile in bad
        ]
    refused.sort(key=lambda row: row["prompt"].pk)
    return {"checked": checked, "dialect": dialect, "refused": refused}


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
        fields = ["pool", "purpose", "language", "voice_profile", "text", "repetition"]

    def clean(self):
        cleaned = super().clean()
        voice, language = cleaned.get("voice_profile"), cleaned.get("language")
        catalogue, dialect = voices_checked_against(cleaned.get("pool"))
        if voice and refused_voices([voice], dialect=dialect, catalogue=catalogue):
            self.add_error(
                "voice_profile",
                refusal_message(voice, language=language, dialect=dialect, catalogue=catalogue),
            )
        return cleaned


@admin.register(Prompt)
class PromptAdmin(ProjectAdmin):
    """Each pool's own prompts, and the deployment's (no pool), which every pool's callers hear
    where their pool has none of its own.

    Staff limited to pools see and write their pools' prompts only: the deployment's are spoken
    on every pool's numbers, so changing one would change what other pools' callers hear, which
    is for staff who see every pool (those given no pool) to decide. A limited staff member sees
    what their callers hear instead of a missing prompt in their pool's table."""

    pool_path = "pool"
    form = PromptForm
    list_display = ["purpose", "language", "whose", "voice_profile", "repetition", "short_text"]
    list_filter = ["purpose", "language"]  # no pool filter: a relation lists every pool
    list_select_related = ["pool"]
    search_fields = ["text"]
    readonly_fields = ["updated_at"]
    change_list_template = "admin/masking/prompt/change_list.html"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "pool" and not sees_every_pool(request.user):
            field.required, field.empty_label = True, None  # never the deployment's
        elif db_field.name == "pool":
            field.empty_label = "(the deployment's: every pool without its own)"
        return field

    def changelist_view(self, request, extra_context=None):
        # Callers in a language without a prompt hear another language's (or nothing).
        limited = not sees_every_pool(request.user)
        extra_context = {
            **(extra_context or {}),
            "missing_prompts": [] if limited else missing_prompts(),
            "pools_missing_prompts": pools_missing_prompts(request.user),
            "voice_check": voice_check(request.user),
        }
        return super().changelist_view(request, extra_context)

    @admin.display(description="pool", ordering="pool__name")
    def whose(self, obj):
        return obj.pool.name if obj.pool_id else "(the deployment's)"

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"
