"""Answering a Call Action: read the facts, decide, render. Shared by the webhook and the simulator.

It only reads: the webhook records what it answered on its own, and the admin's call simulator
relies on this function writing nothing.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from callflows.builders import callflow_for
from callflows.decision import Decision, decide
from masking.routing import CallFacts
from masking.selectors import call_facts


@dataclass(frozen=True)
class Answer:
    facts: CallFacts
    decision: Decision
    body: dict  # the callflow JSON


def answer_call_action(*, caller: str, virtual_number: str, now: datetime | None = None) -> Answer:
    """The callflow for a call from `caller` to `virtual_number` (both E.164), per settings."""
    facts = call_facts(
        virtual_number=virtual_number, caller=caller, language=settings.MASKING_DEFAULT_LANGUAGE
    )
    decision = decide(
        facts, now=now or timezone.now(), consent_rule=settings.MASKING_RECORDING_CONSENT
    )
    body = callflow_for(
        decision,
        virtual_number=virtual_number,
        prompts=facts.prompts,
        number_format=settings.MASKING_CALLFLOW_NUMBER_FORMAT,
    )
    return Answer(facts=facts, decision=decision, body=body)
