"""The reads: which session a call belongs to, and what the decision needs to know about it."""

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from masking.models import (
    MaskingSession,
    PinLockout,
    Prompt,
    VirtualNumber,
)
from masking.models.pin_access import pin_caller
from masking.pins import NO_PIN, pin_hash
from masking.pool_rules import RULE_NAMES, resolve_rules
from masking.routing import CallFacts, PromptFacts, SessionFacts
from masking.session_rules import SessionRules
from masking.voices import COUNTRY_LANGUAGES


def prompts_for_language(*, language: str, pool_id: int | None = None) -> dict[str, PromptFacts]:
    """Every prompt in `language` of the pool's own (None: the deployment's), by purpose. One
    query."""
    return {
        p.purpose: _prompt_facts(p) for p in Prompt.objects.for_language(language, pool_id=pool_id)
    }


def prompt_layers(*, language: str, default: str, pool_id: int | None) -> list[tuple]:
    """Where a caller's prompt for a purpose comes from, the first that has one: [(pool id or
    None for the deployment's, language)]. Languages in order: the caller's, the pool's default
    (`default`), the deployment's default (MASKING_DEFAULT_LANGUAGE): a pool's prompt in a
    language the caller may not speak is worth less than the deployment's in theirs, and any
    prompt more than silence. Within a language, the pool's own before the deployment's."""
    layers = []
    for lang in (language, default, settings.MASKING_DEFAULT_LANGUAGE):
        for pool in (pool_id, None):
            if lang and (pool, lang) not in layers:
                layers.append((pool, lang))
    return layers


# The Call Action's one read. The caller hears silence while we decide, so everything the
# decision needs comes back in a single indexed round trip: the dialled number (unique index),
# the caller's open routing key on it (the partial unique index on open routing keys), the session
# and the other participant (primary key and session index), both parties' consent (partial unique
# index on active opt-ins), and the prompts' version so the per-process prompt cache knows when to
# reload, and whether PIN entry is paused for this caller on the number (a PIN lockout of the
# caller, or of every unknown phone: the partial index on active lockouts). The one-row base (`pv`)
# makes an unknown number still return a row. The session's rules ride along, with the count of
# calls it bridged only when it has a limit (its calls, by their session index), and so do the
# number's pool's rules and the dialect its sub-account's voice catalogue speaks (`auto`).
#
# For digits keyed at our PIN prompt, the same read finds the session by the PIN's keyed hash
# instead of by the caller's number (the partial unique index on open PINs): `p` is then the
# participant whose PIN it is, and the caller reaches the other one.
_CALL_FACTS_SQL = """
SELECT vn.status, s.id, s.started_at, s.expires_at, s.status, s.recording_requested, o.number,
       EXISTS (SELECT 1 FROM masking_recordingoptin c
               WHERE c.number = p.number AND c.revoked_at IS NULL),
       EXISTS (SELECT 1 FROM masking_recordingoptin c
               WHERE c.number = o.number AND c.revoked_at IS NULL),
       pv.prompt_count, pv.prompts_changed, p.preferred_language,
       EXISTS (SELECT 1 FROM masking_participant k
               WHERE k.virtual_number_id = vn.id AND k.holds_routing_key AND k.pin_hash <> ''),
       EXISTS (SELECT 1 FROM masking_pinlockout l
               WHERE l.virtual_number_id = vn.id AND l.caller = %s
                 AND l.cleared_at IS NULL AND l.locked_until > %s)
       OR CASE WHEN EXISTS (SELECT 1 FROM masking_pinlockout l
                            WHERE l.virtual_number_id = vn.id AND l.caller = ''
                              AND l.cleared_at IS NULL AND l.locked_until > %s)
               THEN NOT EXISTS ({trusted})
               ELSE FALSE END,
       p.role, s.one_way, s.calling_hours_start, s.calling_hours_end, s.calling_hours_time_zone,
       s.max_calls,
       CASE WHEN s.max_calls IS NOT NULL
            THEN (SELECT count(*) FROM callflows_call c
                  WHERE c.masking_session_id = s.id AND c.outcome = 'connect')
            ELSE 0 END,
       vn.pool_id, pl.is_deployment_pool, pl.catalogue_dialect, {rules}
FROM (SELECT count(*) AS prompt_count, max(updated_at) AS prompts_changed
      FROM masking_prompt) pv
LEFT JOIN masking_virtualnumber vn ON vn.number = %s
LEFT JOIN masking_pool pl ON pl.id = vn.pool_id
LEFT JOIN masking_participant p
       ON p.virtual_number_id = vn.id AND p.{key} = %s AND p.holds_routing_key
LEFT JOIN masking_maskingsession s ON s.id = p.session_id
LEFT JOIN masking_participant o ON o.session_id = p.session_id AND o.id <> p.id
"""
# A number's pause (its wrong-PIN ceiling reached) spares the phones that connected with a PIN to
# one of its open PIN sessions within MASKING_PIN_TRUSTED_DAYS (for a PIN answer: to the session
# of the PIN keyed). So a stranger can hold a number's PIN entry shut only for phones new to it.
# Read only while a pause is on (CASE), through the calls of this number (its index).
_TRUSTED_PHONE = """SELECT 1 FROM callflows_call t
                    JOIN masking_participant q ON q.session_id = t.masking_session_id
                    WHERE t.virtual_number = %s AND t.created_at > %s AND t.caller = %s
                      AND t.outcome = 'connect' AND t.caller <> q.number
                      AND q.holds_routing_key AND q.pin_hash <> ''
                      AND (p.id IS NULL OR t.masking_session_id = p.session_id)"""
_RULES = ", ".join(f"pl.{rule}" for rule in RULE_NAMES)
_FACTS_BY_CALLER = _CALL_FACTS_SQL.format(key="number", trusted=_TRUSTED_PHONE, rules=_RULES)
_FACTS_BY_PIN = _CALL_FACTS_SQL.format(key="pin_hash", trusted=_TRUSTED_PHONE, rules=_RULES)


def _db_now(now: datetime):
    """`now` as the database compares it in raw SQL (SQLite stores naive UTC text)."""
    field = PinLockout._meta.get_field("locked_until")
    return field.get_db_prep_value(now, connection)


def _aware(value):
    """Raw queries skip Django's converters: SQLite gives naive UTC datetimes (or text)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _time(value):
    """Raw queries skip Django's converters: SQLite gives a time as text."""
    if value is None or isinstance(value, time):
        return value
    return time.fromisoformat(value)


def prompts_heard(*, language: str, default: str, pool_id: int | None) -> dict[str, PromptFacts]:
    """As `prompts_in`, read now without the cache (the call simulator's past calls)."""
    prompts: dict[str, PromptFacts] = {}
    for pool, lang in reversed(prompt_layers(language=language, default=default, pool_id=pool_id)):
        prompts.update(prompts_for_language(language=lang, pool_id=pool))
    return prompts


def _prompt_facts(p: Prompt) -> PromptFacts:
    return PromptFacts(
        text=p.text, language=p.language, voice_profile=p.voice_profile, repetition=p.repetition
    )


class _PromptCache:
    """Every prompt, by pool (None: the deployment's) and language, kept per process and read
    again, whole, when any prompt changes.

    Staff edit prompts rarely and every call needs them, so they are read once and then only
    checked: the version (count and latest change of the whole table, every pool's prompts
    included) rides along in the Call Action's one query. The table is small (purposes times
    languages times pools), so one query reads all of it: a pool or a language first heard in a
    process costs no query of its own.
    """

    def __init__(self):
        self._version: tuple | None = None
        self._by_key: dict[tuple, dict[str, PromptFacts]] = {}

    def get(self, language: str, version: tuple, pool_id: int | None = None) -> dict:
        if version != self._version:
            by_key: dict[tuple, dict[str, PromptFacts]] = {}
            for p in Prompt.objects.all():
                by_key.setdefault((p.pool_id, p.language), {})[p.purpose] = _prompt_facts(p)
            self._by_key, self._version = by_key, version
        return self._by_key.get((pool_id, language), {})


prompt_cache = _PromptCache()


def call_facts(
    *,
    virtual_number: str,
    caller: str,
    now: datetime | None = None,
    pin: str | None = None,
) -> CallFacts:
    """What the call decision needs for a call from `caller` to `virtual_number` (both E.164),
    with the rules of the number's pool (the deployment's settings for a number not ours).

    With `pin` (the digits keyed at our PIN prompt), the session is the one whose participant
    holds that PIN, matched by its keyed hash, as that participant sees it; None if no open PIN
    on the number is those digits.

    One query whatever the size of the tables (see `_CALL_FACTS_SQL`), plus one more only in the
    rare request after a prompt changed.
    """
    now = now or timezone.now()
    (
        number_status,
        session_id,
        starts_at,
        expires_at,
        session_status,
        recording,
        other_party,
        caller_consented,
        other_consented,
        prompt_count,
        prompts_changed,
        preferred_language,
        pin_sessions,
        pin_paused,
        caller_role,
        one_way,
        hours_start,
        hours_end,
        hours_zone,
        max_calls,
        connected_calls,
        pool_id,
        deployment_pool,
        catalogue_dialect,
        *pool_rules,
    ) = call_facts_row(virtual_number=virtual_number, caller=caller, now=now, pin=pin)
    rules = resolve_rules(dict(zip(RULE_NAMES, pool_rules, strict=True)))
    version = (prompt_count, str(prompts_changed))
    language = language_for(caller, preferred=preferred_language)
    prompts = prompts_in(language, version, rules.default_language, pool_id=pool_id)
    session = None
    if number_status not in (None, VirtualNumber.Status.RETIRED) and other_party:
        session = SessionFacts(
            session_id=session_id,
            starts_at=_aware(starts_at),
            expires_at=_aware(expires_at),
            closed=session_status == MaskingSession.Status.CLOSED,
            other_party=other_party,
            recording_requested=bool(recording),
            caller_consented=bool(caller_consented),
            other_party_consented=bool(other_consented),
            caller_role=caller_role,
            rules=SessionRules(
                one_way=bool(one_way),
                calling_hours_start=_time(hours_start),
                calling_hours_end=_time(hours_end),
                calling_hours_time_zone=hours_zone or "",
                max_calls=max_calls,
            ),
            connected_calls=connected_calls or 0,
        )
    return CallFacts(
        virtual_number=virtual_number,
        caller=caller,
        number_status=number_status,
        session=session,
        prompts=prompts,
        pin_sessions=bool(pin_sessions),
        pin_paused=bool(pin_paused),
        pool_id=pool_id,
        deployment_pool=bool(deployment_pool),
        catalogue_dialect=catalogue_dialect or "",
        rules=rules,
    )


def call_facts_row(
    *, virtual_number: str, caller: str, now: datetime, pin: str | None = None
) -> tuple:
    """The row of `_CALL_FACTS_SQL` for a call, as the database returns it: one round trip.
    `call_facts` reads it; the load benchmark's database floor runs it alone (callflows.floor)."""
    sql, key = _FACTS_BY_CALLER, caller
    if pin is not None:
        sql = _FACTS_BY_PIN
        key = pin_hash(virtual_number=virtual_number, pin=pin) if virtual_number and pin else NO_PIN
    since = now - timedelta(days=settings.MASKING_PIN_TRUSTED_DAYS)
    db_now = _db_now(now)
    params = [pin_caller(caller), db_now, db_now, virtual_number, _db_now(since), caller]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, virtual_number, key])
        return cursor.fetchone()


def prompts_in(
    language: str, version: tuple, default: str, *, pool_id: int | None = None
) -> dict[str, PromptFacts]:
    """The prompts a caller in `language` hears on a number of pool `pool_id`, each purpose from
    the first of `prompt_layers` that has one (the deployment's default language's last)."""
    prompts: dict[str, PromptFacts] = {}
    for pool, lang in reversed(prompt_layers(language=language, default=default, pool_id=pool_id)):
        prompts.update(prompt_cache.get(lang, version, pool))
    return prompts


def language_for(caller: str, *, preferred: str | None = None) -> str:
    """The caller's language: their stated preference, else their number's country's."""
    if preferred:
        return preferred
    return COUNTRY_LANGUAGES.get(_region_of(caller), "") if caller else ""


@lru_cache(maxsize=16384)  # a parse per call otherwise; callers come back (a few MB at most)
def _region_of(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""
