"""VCA: the Call Action webhook, the product's hot path."""

import logging

from django.conf import settings
from django.db import DatabaseError
from rest_framework.response import Response

from callflows.answer import answer_call_action
from callflows.builders import callflow_for
from callflows.decision import Decision, Outcome
from callflows.keypad import apply_keypad_effects, asked_before
from callflows.models import Call
from callflows.parsing import parse_call_action
from callflows.records import call_record_answer
from callflows.views.base import ProviderView
from masking.db import db_deadline
from masking.privacy import redact
from masking.routing import PromptFacts
from masking.selectors import prompts_for_language

logger = logging.getLogger(__name__)


class CallActionView(ProviderView):
    """VCA: 8x8 asks what to do with an incoming call; the answer is the callflow.

    The caller hears silence until we answer, and anything but a runnable callflow ends their
    call, so every failure after validation becomes the apology prompt and `hangup` with HTTP 200.
    """

    def post(self, request):
        payload = parse_call_action(request.data)
        # Whatever the database does (refuses, hangs, holds a lock), its part ends in time for
        # the apology to reach the caller within the stated deadline.
        with db_deadline(settings.MASKING_CALL_ACTION_DB_DEADLINE_MS / 1000):
            return self.answer(payload)

    def answer(self, payload: dict) -> Response:
        caller, virtual_number = payload["source"], payload["destination"]
        try:
            stored = self.redelivered(payload)
            if stored is not None:
                return Response(stored)
            asked = (
                asked_before(
                    provider_session_id=payload.get("sessionId"),
                    echoed_tag=payload.get("clientActionId"),
                )
                if payload["is_keypad_answer"]
                else None
            )
            answer = answer_call_action(
                caller=caller, virtual_number=virtual_number, digits=payload["digits"], asked=asked
            )
            decision, body = answer.decision, answer.body
            apply_keypad_effects(
                decision=decision,
                asked=asked,
                caller=caller,
                virtual_number=virtual_number,
                provider_session_id=payload.get("sessionId"),
            )
        except Exception as exc:
            logger.exception(
                "call action failed, answering apology: %s -> %s",
                redact(caller),
                redact(virtual_number),
            )
            decision = Decision(Outcome.APOLOGY)
            body = apology_callflow(virtual_number=virtual_number, failure=exc)
        body = self.record(payload=payload, decision=decision, body=body)
        if logger.isEnabledFor(logging.INFO):  # redacting costs more than a skipped log line
            logger.info(
                "call action %s: %s -> %s", decision.outcome, redact(caller), redact(virtual_number)
            )
        return Response(body)

    def redelivered(self, payload: dict) -> dict | None:
        """For a keypad answer delivered again, what we answered the first time.

        Checked before deciding because a keypad answer changes things (consent, PIN lockouts)
        that must happen once. First calls need no such read: their record's upsert tells.
        """
        if not payload["is_keypad_answer"] or not payload.get("eventId"):
            return None
        return (
            Call.objects.filter(
                provider_session_id=payload.get("sessionId"), action_event_id=payload["eventId"]
            )
            .values_list("answer", flat=True)
            .first()
        )

    def record(self, *, payload: dict, decision: Decision, body: dict) -> dict:
        """Put the answer on record; for a redelivered event, answer what we answered first.

        A call is worth more than its record: if the write fails, the caller still gets the
        callflow, and the failure is logged.
        """
        try:
            return call_record_answer(
                provider_session_id=payload.get("sessionId"),
                event_id=payload.get("eventId"),
                # A caller ID or destination we could not read is on record as unknown (blank),
                # never as the text 8x8 sent: the columns hold numbers.
                virtual_number=payload["destination"] or "",
                caller=payload["source"] or "",
                decision=decision,
                answer=body,
            )
        except Exception:
            logger.exception("could not record the call action's answer")
            return body


def apology_callflow(*, virtual_number: str | None, failure: Exception) -> dict:
    """The apology and `hangup`, with the staff's apology prompt when the database can give it."""
    prompts = {}
    if not isinstance(failure, DatabaseError):
        try:
            prompts = prompts_for_language(language=settings.MASKING_DEFAULT_LANGUAGE)
        except Exception:
            logger.exception("could not read the apology prompt")
    fallback = PromptFacts(
        text=settings.MASKING_FALLBACK_APOLOGY, language="en", voice_profile="generic-en-female"
    )
    return callflow_for(
        Decision(Outcome.APOLOGY),
        virtual_number=virtual_number,
        prompts=prompts,
        fallback_apology=fallback,
        number_format=settings.MASKING_CALLFLOW_NUMBER_FORMAT,
        dialect=settings.MASKING_CALLFLOW_DIALECT,
    )
