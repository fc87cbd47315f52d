"""Answering a Call Action: read the facts, decide, render. Shared by the webhook and the simulator.

It only reads: the webhook records what it answered (and what a keypad answer changes) on its
own, and the admin's call simulator relies on this function writing nothing.

A keypad follow-up (8x8 sending back the digits of our `say&capture`) is recognised by the
`clientActionId` it echoes *and* by the state we stored under its `sessionId` when we asked, so
any app server can answer it and a tag we never issued is treated as a new call.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from callflows.builders import callflow_for
from callflows.decision import (
    Decision,
    Outcome,
    asks_after_pin_step,
    decide,
    decide_after_pin_step,
    decide_consent_answer,
    decide_out_of_session,
    decide_pin_entry,
)
from callflows.out_of_session import out_of_session_config
from callflows.provider_state import pool_dialect_of, provider_facts
from callflows.tags import tag_outcome  # noqa: F401  (callflows.keypad reads it from here)
from masking.routing import BusinessAnswer, CallFacts, OutOfSession
from masking.selectors import call_facts

DEPLOYMENT = "deployment"  # the pool_id of a request the deployment's own header opened
PIN_PROMPTS = (Outcome.ASK_PIN.value, Outcome.RETRY_PIN.value)
KEYPAD_PROMPTS = {Outcome.ASK_PIN.value, Outcome.RETRY_PIN.value, Outcome.ASK_CONSENT.value}


@dataclass(frozen=True)
class Answer:
    facts: CallFacts
    decision: Decision
    body: dict  # the callflow JSON


@dataclass(frozen=True)
class AskedBefore:
    """What we stored when we asked for digits on this call (from its Call record)."""

    outcome: str
    tries: int


def answer_call_action(
    *,
    caller: str,
    virtual_number: str,
    now: datetime | None = None,
    digits: str | None = None,
    asked: AskedBefore | None = None,
    ask_business: Callable[[CallFacts], BusinessAnswer] | None = None,
    pool_id: int | None = None,
) -> Answer:
    """The callflow for a call from `caller` to `virtual_number` (both E.164), per the rules of
    the number's pool (`masking.pool_rules`).

    `asked` is the keypad prompt this is the answer to, if any, with `digits` the caller keyed.
    `ask_business` asks the business about a call in no session (the webhook's: it may open a
    session); it is called only when the decision says so. Without it (the simulator), such a
    call is answered as if the business gave no answer.
    `pool_id`: the pool the webhook's credential opens (DEPLOYMENT: the deployment's); a number of
    another pool is another sub-account's, not acted on (None: any pool, as the simulator asks).
    """
    now = now or timezone.now()
    pin_entry = asked is not None and asked.outcome in PIN_PROMPTS
    facts = call_facts(
        virtual_number=virtual_number,
        caller=caller,
        now=now,
        # A PIN answer's session is the one the PIN opens, matched by hash in the same read.
        pin=(digits or "") if pin_entry else None,
    )
    # The number's pool's rules, read with the facts.
    rules = facts.rules
    # Only PINs of the pool's length count as a match: the guessing bound counts those.
    keyed = bool(digits) and len(digits) == rules.pin_length
    rule = rules.recording_consent
    provider = provider_facts(
        dialect_rule=rules.callflow_dialect, pool_dialect=pool_dialect_of(facts)
    )
    out_of_session = out_of_session_config(rules)
    if (
        pool_id is not None
        and facts.pool_id is not None
        and not (facts.deployment_pool if pool_id == DEPLOYMENT else facts.pool_id == pool_id)
    ):
        decision = Decision(Outcome.OTHER_ACCOUNT)
    elif pin_entry:
        decision = decide_pin_entry(
            match=facts.session if keyed and not facts.pin_paused else None,
            now=now,
            tries=asked.tries,
            max_tries=rules.pin_tries,
            pin_length=rules.pin_length,
            consent_rule=rule,
            paused=facts.pin_paused,
            can_record=provider.can_record,
            out_of_session=out_of_session,
        )
    elif asked is not None and asked.outcome == Outcome.ASK_CONSENT:
        decision = decide_consent_answer(
            digits=digits,
            session=facts.session,
            now=now,
            consent_rule=rule,
            can_record=provider.can_record,
        )
    else:
        return answer_from_facts(
            facts, now=now, out_of_session=out_of_session, ask_business=ask_business
        )
    # A failed PIN asks the business too; the webhook asks once the wrong PIN is counted
    # (`answer_after_pin_step`), so it passes no `ask_business` here.
    return _rendered(facts, _asked(decision, facts, out_of_session, ask_business))


def answer_from_facts(
    facts: CallFacts,
    *,
    now: datetime,
    out_of_session: OutOfSession | None = None,
    ask_business: Callable[[CallFacts], BusinessAnswer] | None = None,
) -> Answer:
    """The first answer to a call, decided from `facts` as they stood at `now`: the webhook's
    facts of this moment, or the simulator's facts of a past call (`masking.past_calls`).

    Without `ask_business` (the simulator), a call the business would be asked about is
    answered as if the business gave no answer."""
    if out_of_session is None:
        out_of_session = out_of_session_config(facts.rules)
    rules = facts.rules
    decision = decide(
        facts,
        now=now,
        consent_rule=rules.recording_consent,
        pin_length=rules.pin_length,
        can_record=provider_facts(
            dialect_rule=rules.callflow_dialect, pool_dialect=pool_dialect_of(facts)
        ).can_record,
        out_of_session=out_of_session,
    )
    return _rendered(facts, _asked(decision, facts, out_of_session, ask_business))


def _asked(
    decision: Decision,
    facts: CallFacts,
    out_of_session: OutOfSession,
    ask_business: Callable[[CallFacts], BusinessAnswer] | None,
) -> Decision:
    """`decision`, or, where it says to ask the business, what the business's answer decides."""
    if ask_business is not None and asks_after_pin_step(decision, out_of_session):
        return decide_after_pin_step(decision, business=ask_business(facts=facts))
    if decision.outcome != Outcome.ASK_BUSINESS:
        return decision
    business = ask_business(facts=facts) if ask_business else None
    return decide_out_of_session(replace(out_of_session, ask_business=False), business=business)


def answer_after_pin_step(
    answer: Answer, *, ask_business: Callable[[CallFacts], BusinessAnswer]
) -> Answer | None:
    """For a PIN step that ended without a session (the last wrong PIN, PIN entry paused), judged
    and counted already: the answer once the business is asked (`decide_after_pin_step`), or None
    when it is not to be asked."""
    out_of_session = out_of_session_config(answer.facts.rules)
    if not asks_after_pin_step(answer.decision, out_of_session):
        return None
    decision = decide_after_pin_step(answer.decision, business=ask_business(facts=answer.facts))
    return _rendered(answer.facts, decision)


def _rendered(facts: CallFacts, decision: Decision) -> Answer:
    body = callflow_for(
        decision,
        virtual_number=facts.virtual_number,
        prompts=facts.prompts,
        number_format=settings.MASKING_CALLFLOW_NUMBER_FORMAT,
        dialect=provider_facts(
            dialect_rule=facts.rules.callflow_dialect, pool_dialect=pool_dialect_of(facts)
        ).dialect,
    )
    return Answer(facts=facts, decision=decision, body=body)
