"""What the 8x8 sub-account allows, as our callflows need it: the dialect in force and whether a
call can be recorded. Read on every Call Action, so it is cached per process.

- Dialect: MASKING_CALLFLOW_DIALECT (or the number's pool's rule) when it forces `seed` or
  `current`; with `auto` (the default), the dialect connect_8x8 chose from the number's pool's
  sub-account's voice catalogue (read with the call's facts), or the seed's until a catalogue
  has been read (the demo, the tests, the seed's contract).
- Recording: `callRecording` is sent only where 8x8 can record, which needs a recording push
  configuration at 8x8 (8x8's Number Masking call-action page: "make sure that the Call
  Recording has been configured on your account"). Known when connect_8x8 read one from 8x8,
  or, before any read, when EIGHTX8_RECORDING_PROTOCOL declares the one set up by hand. 8x8
  reporting none overrides the declaration: its answer is the fact.

connect_8x8 writes the row (`provider_connection_record`) and clears this process's cache;
other processes see the change within CACHE_SECONDS.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from callflows.dialects import AUTO, SEED
from callflows.models import ProviderConnection

CACHE_SECONDS = 30.0
NO_PUSH_CONFIG = "no_push_config"


@dataclass(frozen=True)
class ProviderFacts:
    dialect: str  # seed or current: what our callflows are written in
    dialect_reason: str
    can_record: bool  # 8x8 has somewhere to push a recording
    recording_reason: str


def _facts(
    row: ProviderConnection | None,
    dialect_rule: str | None = None,
    pool_dialect: str | None = None,
) -> ProviderFacts:
    """`dialect_rule`: a pool's dialect rule (its own, or MASKING_CALLFLOW_DIALECT it inherits).
    `pool_dialect`: what `auto` means for the pool, from its own sub-account's catalogue ("": not
    read yet, the seed's); None: the deployment's, as connect_8x8 recorded it in `row`."""
    setting = dialect_rule or settings.MASKING_CALLFLOW_DIALECT
    if setting != AUTO:
        dialect, why = setting, "set by MASKING_CALLFLOW_DIALECT or the pool's rule"
    elif pool_dialect:
        dialect, why = pool_dialect, "auto: the pool's sub-account's voice catalogue"
    elif pool_dialect == "":
        dialect, why = SEED, "auto: the pool's voice catalogue not read yet, so the seed's dialect"
    elif row is not None and row.dialect:
        dialect, why = row.dialect, f"auto: {row.dialect_reason}"
    else:
        dialect, why = SEED, "auto: no voice catalogue read from 8x8 yet, so the seed's dialect"
    if row is not None and row.recording_push is not None:
        read_at = f"{row.read_at:%Y-%m-%d %H:%M} UTC"
        can_record = row.recording_push
        recording = (
            f"8x8 pushes recordings to {row.recording_push_described} (read {read_at})"
            if can_record
            else f"8x8 reported no recording push configuration (read {read_at}): calls "
            "connect unrecorded"
        )
    elif settings.EIGHTX8_RECORDING_PROTOCOL:
        can_record = True
        recording = "declared by EIGHTX8_RECORDING_PROTOCOL (8x8's configuration not read yet)"
    else:
        can_record = False
        recording = (
            "no recording push configuration known (connect_8x8 has not read 8x8's, and "
            "EIGHTX8_RECORDING_PROTOCOL is not set): calls connect unrecorded"
        )
    return ProviderFacts(dialect, why, can_record, recording)


class _Cache:
    def __init__(self):
        self.clear()

    def clear(self) -> None:
        self.row: ProviderConnection | None = None
        self.expires = 0.0
        self.loaded = False
        self.facts: dict[tuple, ProviderFacts] = {}

    def get(self, dialect_rule: str | None = None, pool_dialect: str | None = None):
        now = time.monotonic()
        if not self.loaded or now >= self.expires:
            row = ProviderConnection.objects.filter(pk=ProviderConnection.SINGLETON).first()
            self.row, self.facts = row, {}
            self.loaded, self.expires = True, now + CACHE_SECONDS
        return self.peek(dialect_rule, pool_dialect)

    def peek(self, dialect_rule: str | None = None, pool_dialect: str | None = None):
        """What we knew last, without asking the database (which may be what just failed)."""
        # Worked out once per row, settings, pool dialect rule and pool catalogue: this runs on
        # every call (a pool's catalogue dialect comes with the call's facts, so per pool).
        key = (
            dialect_rule or settings.MASKING_CALLFLOW_DIALECT,
            settings.EIGHTX8_RECORDING_PROTOCOL,
            pool_dialect,
        )
        facts = self.facts.get(key)
        if facts is None:
            facts = self.facts[key] = _facts(self.row, key[0], pool_dialect)
        return facts


cache = _Cache()


def provider_facts(
    *, dialect_rule: str | None = None, pool_dialect: str | None = None
) -> ProviderFacts:
    """The dialect in force and whether calls can be recorded, with why (cached per process).
    `dialect_rule`: the number's pool's dialect rule, when a pool's call is answered;
    `pool_dialect`: what its sub-account's catalogue speaks (`pool_dialect_of`)."""
    return cache.get(dialect_rule, pool_dialect)


def pool_dialect_of(facts) -> str | None:
    """What `auto` means for the pool of a call's number (`masking.routing.CallFacts`): its own
    sub-account's catalogue as connect_8x8 --pool read it; for the deployment's pool not read
    that way (or a number not ours), None: the deployment's connection record, as before pools."""
    if facts.catalogue_dialect:
        return facts.catalogue_dialect
    return None if facts.pool_id is None or facts.deployment_pool else ""


def known_provider_facts() -> ProviderFacts:
    """As last read, never touching the database: for the apology after a failure."""
    return cache.peek()


def provider_connection_record(
    *, dialect: str, dialect_reason: str, recording_push: bool, recording_push_described: str
) -> ProviderConnection:
    """What connect_8x8 just read from 8x8; clears this process's cache."""
    row = ProviderConnection.objects.filter(pk=ProviderConnection.SINGLETON).first()
    row = row or ProviderConnection(pk=ProviderConnection.SINGLETON)
    row.dialect = dialect
    row.dialect_reason = dialect_reason[:400]
    row.recording_push = recording_push
    row.recording_push_described = recording_push_described[:300]
    row.read_at = timezone.now()
    row.full_clean()
    row.save()
    cache.clear()
    return row


def voices_in_use(pool=None) -> set[str]:
    """The voices our callflows can speak in: every prompt's (with `pool`: those its callers can
    hear, its own and the deployment's), and the built-in keypad prompts'."""
    from django.db.models import Q

    from callflows.builders import KEYPAD_DEFAULTS
    from masking.models import Prompt

    prompts = Prompt.objects.all()
    if pool is not None:
        prompts = prompts.filter(Q(pool__isnull=True) | Q(pool=pool))
    in_use = set(prompts.values_list("voice_profile", flat=True))
    return in_use | {prompt.voice_profile for prompt in KEYPAD_DEFAULTS.values()}
