"""VCA: the Call Action webhook, the product's hot path."""

import logging
from contextlib import nullcontext
from functools import partial
from time import perf_counter

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpResponse

from callflows.answer import (
    DEPLOYMENT,
    PIN_PROMPTS,
    AskedBefore,
    answer_after_pin_step,
    answer_call_action,
)
from callflows.ask_business import ask_business
from callflows.builders import callflow_for
from callflows.decision import Decision, Outcome
from callflows.keypad import NEW_CALL, apply_keypad_effects, follow_up_of
from callflows.parsing import parse_call_action
from callflows.provider_state import known_provider_facts, provider_facts
from callflows.records import (
    call_record_answer,
    call_record_business_answer,
    out_of_session_answer_record,
)
from callflows.subaccounts import foreign_subaccount
from callflows.views.base import ProviderView, json_response, json_text
from masking.db import db_deadline, replace_dead_connection, skip_health_check
from masking.metrics import APOLOGIES, CALL_ACTION_SECONDS, CALL_ACTIONS, apology_cause
from masking.privacy import redact
from masking.routing import PromptFacts
from masking.selectors import prompts_for_language
from masking.services.callbacks import emit_pin_locked
from masking.services.pin_access import pin_guess_begin, pin_guess_settle

logger = logging.getLogger(__name__)
# Answers that judged the digits keyed a wrong PIN: they count.
WRONG_PIN = (Outcome.RETRY_PIN, Outcome.PIN_FAILED)


class CallActionView(ProviderView):
    """VCA: 8x8 asks what to do with an incoming call; the answer is the callflow.

    The caller hears silence until we answer, and anything but a runnable callflow ends their
    call, so every failure after validation becomes the apology prompt and `hangup` with HTTP 200.
    """

    def post(self, request, data):
        payload = parse_call_action(data)
        started = perf_counter()
        skip_health_check()  # two round trips a call, not three (masking.db)
        # Whatever the database does (refuses, hangs, holds a lock), its part ends in time for
        # the apology to reach the caller within the stated deadline.
        with db_deadline(settings.MASKING_CALL_ACTION_DB_DEADLINE_MS / 1000):
            response = self.answer(payload)
        CALL_ACTION_SECONDS.observe(perf_counter() - started)
        return response

    def answer(self, payload: dict) -> HttpResponse:
        caller, virtual_number = payload["source"], payload["destination"]
        try:
            try:
                decision, body, asked = self.decide(payload)
            except DatabaseError:
                # A persistent connection that died since its last use fails its first query
                # (the health check that would have caught it is skipped): once more, on a new
                # connection, within the same deadline.
                if not replace_dead_connection():
                    raise
                decision, body, asked = self.decide(payload)
            if isinstance(body, str):  # a PIN guess: judged, counted and recorded already
                CALL_ACTIONS.labels(decision.outcome.value).inc()
                return self.respond(payload, decision, body)
        except Exception as exc:
            logger.exception(
                "call action failed, answering apology: %s -> %s",
                redact(caller),
                redact(virtual_number),
            )
            decision, asked = Decision(Outcome.APOLOGY), None
            body = apology_callflow(virtual_number=virtual_number, failure=exc)
            APOLOGIES.labels(apology_cause(exc)).inc()
        CALL_ACTIONS.labels(decision.outcome.value).inc()
        body = self.record(
            payload=payload,
            decision=decision,
            body=body,
            asked=asked,
            failed_already=decision.outcome == Outcome.APOLOGY,
        )
        return self.respond(payload, decision, body)

    @property
    def pool_id(self):
        """The pool the request's credential opens, as answer_call_action takes it."""
        return DEPLOYMENT if self.grant.pool_id is None else self.grant.pool_id

    def respond(self, payload: dict, decision: Decision, body: str) -> HttpResponse:
        if logger.isEnabledFor(logging.INFO):  # redacting costs more than a skipped log line
            logger.info(
                "call action %s: %s -> %s",
                decision.outcome,
                redact(payload["source"]),
                redact(payload["destination"]),
            )
        return json_response(body)

    def decide(self, payload: dict) -> tuple[Decision, dict | str, AskedBefore | None]:
        """The decision and its callflow, and the keypad prompt this answers (if any). For a PIN
        guess, the callflow comes as the JSON text already on record (`judge_pin_guess`)."""
        if foreign_subaccount(payload, self.grant):
            return Decision(Outcome.OTHER_ACCOUNT), hangup_callflow(Outcome.OTHER_ACCOUNT), None
        follow_up = (
            follow_up_of(
                provider_session_id=payload.get("sessionId"),
                echoed_tag=payload.get("clientActionId"),
            )
            if payload["is_keypad_answer"]
            else NEW_CALL
        )
        if follow_up.hang_up:
            return Decision(Outcome.HANGUP), hangup_callflow(), None
        if follow_up.asked and follow_up.asked.outcome in PIN_PROMPTS and payload["digits"]:
            decision, text = self.judge_pin_guess(payload, follow_up.asked)
            return decision, text, follow_up.asked
        answer = answer_call_action(
            caller=payload["source"],
            virtual_number=payload["destination"],
            digits=payload["digits"],
            asked=follow_up.asked,
            # Called only on the out-of-session path: calls in a session never wait on it.
            ask_business=self.business_asker(payload),
            pool_id=self.pool_id,
        )
        return answer.decision, answer.body, follow_up.asked

    @staticmethod
    def business_asker(payload: dict):
        return partial(ask_business, provider_session_id=payload.get("sessionId") or "")

    def judge_pin_guess(self, payload: dict, asked: AskedBefore) -> tuple[Decision, str]:
        """Judge keyed digits, failing closed: in one transaction, the guess is written down
        holding the number's row (guesses on a number queue there), then the facts are read and
        the PIN judged, the event recorded, and the guess kept as a wrong PIN (with the lockouts
        it starts and their callbacks) or struck off. Any failure, a lock held elsewhere or the
        deadline included, rolls it all back and the caller hears the apology: the judgement
        leaves only with its count committed. A redelivered event answers what was answered
        first and counts nothing.

        A PIN step that ended without a session (the last wrong PIN, PIN entry paused) then asks
        the business, once committed: its request never holds the number's row, and a failure
        to reach it leaves the count as it is."""
        with transaction.atomic():
            guess = pin_guess_begin(
                virtual_number=payload["destination"],
                caller=payload["source"],
                provider_session_id=payload.get("sessionId") or "",
            )
            answer = answer_call_action(
                caller=payload["source"],
                virtual_number=payload["destination"],
                digits=payload["digits"],
                asked=asked,
                pool_id=self.pool_id,
            )
            recorded = call_record_answer(
                provider_session_id=payload.get("sessionId"),
                event_id=payload.get("eventId"),
                virtual_number=payload["destination"] or "",
                caller=payload["source"] or "",
                decision=answer.decision,
                answer_json=json_text(answer.body),
            )
            wrong = recorded.first and answer.decision.outcome in WRONG_PIN
            # In the same transaction as the lockout: the backend hears of it if, and only if,
            # it happened.
            for lockout in pin_guess_settle(guess=guess, wrong=wrong):
                emit_pin_locked(lockout=lockout)
        if not recorded.first:
            return answer.decision, recorded.answer_json
        after = answer_after_pin_step(answer, ask_business=self.business_asker(payload))
        if after is None:
            return answer.decision, recorded.answer_json
        text = json_text(after.body)
        try:
            call_record_business_answer(
                provider_session_id=payload.get("sessionId"),
                event_id=payload.get("eventId"),
                decision=after.decision,
                answer_json=text,
                changed=text != recorded.answer_json,
            )
        except Exception:  # the caller still gets the business's answer: a call is worth more
            logger.exception("could not record the business's answer after the PIN step")
        return after.decision, text

    def record(
        self,
        *,
        payload: dict,
        decision: Decision,
        body: dict,
        asked: AskedBefore | None,
        failed_already: bool = False,
    ) -> str:
        """Put the answer on record; for a redelivered event, answer what we answered first.
        Returns the answer as JSON text: encoded once, for the record and for 8x8 alike.

        A keypad answer's effects (a wrong PIN counted, consent given) are applied by the delivery
        that stored the event and in its transaction, so they happen once per event, however many
        times and however concurrently 8x8 delivers it. A call is worth more than its record: if
        the write fails, the caller still gets the callflow, and the failure is logged: with its
        traceback, unless deciding failed already and logged one (the database is down: one
        traceback per failed call, not two).
        """
        text = json_text(body)
        try:
            with transaction.atomic() if asked else nullcontext():
                recorded = call_record_answer(
                    provider_session_id=payload.get("sessionId"),
                    event_id=payload.get("eventId"),
                    # A caller ID or destination we could not read is on record as unknown
                    # (blank), never as the text 8x8 sent: the columns hold numbers.
                    virtual_number=payload["destination"] or "",
                    caller=payload["source"] or "",
                    decision=decision,
                    answer_json=text,
                )
                if decision.business is not None and recorded.first:
                    out_of_session_answer_record(
                        provider_session_id=payload.get("sessionId"), business=decision.business
                    )
                if asked and recorded.first:
                    apply_keypad_effects(
                        decision=decision,
                        asked=asked,
                        digits=payload["digits"],
                        caller=payload["source"],
                        virtual_number=payload["destination"],
                        provider_session_id=payload.get("sessionId"),
                    )
            return recorded.answer_json
        except Exception as exc:
            if failed_already:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                logger.error("could not record the call action's answer either: %s", reason)
            else:
                logger.exception("could not record the call action's answer")
            return text


def hangup_callflow(outcome: Outcome = Outcome.HANGUP) -> dict:
    return callflow_for(
        Decision(outcome),
        virtual_number="",
        prompts={},
        dialect=provider_facts().dialect,
    )


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
        # Never the database here: it may be what failed.
        dialect=known_provider_facts().dialect,
    )
