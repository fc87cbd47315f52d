"""A pool's effective rules: what it sets, else the deployment's settings. No ORM, no request.

`PoolRules` is the one resolver. Each of its fields names the setting it falls back to; a `Pool`
column of the same name, left empty (NULL or ""), means "the deployment's". So a rule added later
is one `Pool` field and one line here; the Call Action, allocation and the admin read it from here.

`rule_problems` is the validation `manage.py check` applies to the settings (masking.checks),
applied to a pool's effective rules, so a pool can never hold a rule the deployment could not.
"""

from dataclasses import dataclass, field, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings

from masking.outbound import url_problem


def _rule(setting: str):
    return field(metadata={"setting": setting})


@dataclass(frozen=True)
class PoolRules:
    number_capacity: int = _rule("MASKING_NUMBER_CAPACITY")
    recording_consent: str = _rule("MASKING_RECORDING_CONSENT")
    default_language: str = _rule("MASKING_DEFAULT_LANGUAGE")
    callflow_dialect: str = _rule("MASKING_CALLFLOW_DIALECT")
    pin_length: int = _rule("MASKING_PIN_LENGTH")
    pin_guess_one_in: int = _rule("MASKING_PIN_GUESS_ONE_IN")
    pin_tries: int = _rule("MASKING_PIN_TRIES")
    pin_lock_after: int = _rule("MASKING_PIN_LOCK_AFTER")
    pin_number_ceiling: int = _rule("MASKING_PIN_NUMBER_CEILING")
    pin_lock_minutes: int = _rule("MASKING_PIN_LOCK_MINUTES")
    operations_time_zone: str = _rule("MASKING_OPERATIONS_TIME_ZONE")
    # Calls from a phone in no session on the pool's numbers (README, "Calls outside a session").
    out_of_session_ask: bool = _rule("MASKING_OUT_OF_SESSION_ASK")
    out_of_session_url: str = _rule("MASKING_OUT_OF_SESSION_URL")
    fallback_line: str = _rule("MASKING_FALLBACK_LINE")

    @property
    def asks_business(self) -> bool:
        return bool(self.out_of_session_ask and self.out_of_session_url)


RULE_NAMES = tuple(f.name for f in fields(PoolRules))
OUT_OF_SESSION_RULES = ("out_of_session_ask", "out_of_session_url", "fallback_line")


def setting_for(rule: str) -> str:
    return next(f.metadata["setting"] for f in fields(PoolRules) if f.name == rule)


def resolve_rules(overrides: dict) -> PoolRules:
    """The rules in force: each of `overrides` (a pool's columns, by rule name) that is set, else
    its setting. Read at call time, so a changed setting applies to every pool that inherits it."""
    values = {}
    for rule in fields(PoolRules):
        value = overrides.get(rule.name)
        values[rule.name] = (
            getattr(settings, rule.metadata["setting"]) if value in (None, "") else value
        )
    return PoolRules(**values)


def deployment_rules() -> PoolRules:
    return resolve_rules({})


def rule_problems(rules: PoolRules) -> dict[str, str]:
    """{rule: what is wrong}: the conditions masking.checks applies to the settings."""
    from masking.pins import pin_room
    from masking.voices import LANGUAGES

    problems = {}
    if rules.recording_consent not in ("every_party", "caller_only"):
        problems["recording_consent"] = "must be 'every_party' or 'caller_only'."
    if rules.callflow_dialect not in ("auto", "seed", "current"):
        problems["callflow_dialect"] = "must be 'auto', 'seed' or 'current'."
    if rules.default_language not in LANGUAGES:
        problems["default_language"] = "is not a language of the voice catalog."
    if not 1 <= rules.pin_length <= 12:
        problems["pin_length"] = "must be 1 to 12 digits."
    elif pin_room(length=rules.pin_length, one_in=rules.pin_guess_one_in) < 2:
        problems["pin_length"] = (
            f"{rules.pin_length} digits leave no room for a PIN session within the guessing "
            f"bound of 1 in {rules.pin_guess_one_in:,}: lengthen the PINs or relax the bound."
        )
    counts = ("number_capacity", "pin_guess_one_in", "pin_tries", "pin_lock_after")
    for rule in (*counts, "pin_number_ceiling", "pin_lock_minutes"):
        if getattr(rules, rule) < 1:
            problems[rule] = "must be at least 1."
    try:
        ZoneInfo(rules.operations_time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems["operations_time_zone"] = "is not an IANA time zone (example: Asia/Singapore)."
    # masking.E041 and masking.E042, for a pool's own values as for the settings.
    if rules.fallback_line and not is_phone_number(rules.fallback_line):
        problems["fallback_line"] = "is not a phone number (example: +6562220000)."
    if rules.out_of_session_url:
        problem = url_problem(rules.out_of_session_url)
        if problem:
            problems["out_of_session_url"] = f"{problem}."
    return problems


def is_phone_number(value: str) -> bool:
    """A number 8x8 could dial: 6 to 15 digits, with or without "+", possible in its country
    (the test callflows.numbers applies to the numbers 8x8 sends)."""
    digits = value.strip().removeprefix("+")
    if not digits.isdigit() or not 6 <= len(digits) <= 15:
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(f"+{digits}"))
    except phonenumbers.NumberParseException:
        return False
