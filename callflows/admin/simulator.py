"""The call simulator: what would the webhook answer this caller on this number, and why?

Now: it runs the Call Action's own answer function (`callflows.answer.answer_call_action`), which
only reads, so support can try any caller without writing a call record or touching a session.

Then: given a past call (linked from the call's page) or a caller, a number and a time, it
replays the first decision from the facts as the database held them at that time
(`masking.past_calls`), through the same pure decision, and shows beside it what we answered
then and 8x8's outcome.

The page is a list of sections after the decision (`Section`): the caller's sessions on the
number and their history, the PIN lockouts in force, the replayed call. Another explanation is
one more section.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from callflows.admin.simulator_rules import rules_explained
from callflows.answer import (
    KEYPAD_PROMPTS,
    PIN_PROMPTS,
    Answer,
    AskedBefore,
    answer_call_action,
    answer_from_facts,
)
from callflows.models import Call
from callflows.words import decision_words, outcome_words
from masking.admin.number_picker import NumberPicker
from masking.models import MaskingSession, VirtualNumber
from masking.past_calls import PastCall, past_call_facts
from masking.pool_access import within_pools
from masking.privacy import number_for, numbers_in_text_for
from masking.services.audit import ADMIN
from masking.services.lookups import LookupLimitReached, number_lookup
from masking.timezones import staff_time, zone_label


class SimulatorForm(forms.Form):
    virtual_number = forms.ModelChoiceField(
        queryset=VirtualNumber.objects.order_by("number"),
        widget=NumberPicker(),
        required=False,
        help_text="The number the caller dials: type part of it or of its label.",
    )
    caller = PhoneNumberField(
        required=False, help_text="The caller's real number. Example: +6591230001."
    )
    at = forms.DateTimeField(
        label="At",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    digits = forms.RegexField(
        r"^[0-9]{1,20}$",
        required=False,
        help_text="For the recording notice: what the caller keys (1 to agree). PINs are not "
        "tried here: the PIN step is explained instead.",
    )
    call = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].help_text = (
            f"Blank: now. A past time replays the decision from what the database held then. "
            f"In {zone_label()}. Example: 2026-12-04 10:52."
        )

    def clean(self):
        data = super().clean()
        if data.get("call"):
            return data
        for name in ("virtual_number", "caller"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, ValidationError("This field is required.", code="required"))
        return data


PIN_STEP = (
    "The caller is asked for a PIN (%(length)d digits). The simulator does not try digits "
    "against PINs: they are secrets, stored only as keyed hashes. On a real call, digits that "
    "are the PIN of a participant in an open session on this number connect the caller to the "
    "other participant; anything else plays the wrong-PIN prompt and asks again, up to "
    "%(tries)d tries, and counts as a wrong PIN towards the lockouts (README, Keypad flows)."
)

# Answers that did not connect the caller, where "is this caller paired elsewhere?" is the next
# question support asks.
NOT_CONNECTED = {"no_session", "ask_pin", "retry_pin", "pin_failed", "not_in_service"}

VIA_WORDS = {
    "admin": "in the admin",
    "api": "through the API",
    "sweep": "by the expiry sweep",
    "8x8": "by 8x8's number events",
    "system": "by the system",
}


@dataclass(frozen=True)
class Section:
    """One explanation on the result page: `template` is rendered with `data`."""

    id: str
    title: str
    template: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Ask:
    """What the simulator is asked about: a caller, a number, a moment (None: now)."""

    caller: str
    virtual_number: VirtualNumber | None
    dialled: str  # E.164, as dialled
    at: datetime | None
    call: Call | None = None


def elsewhere(*, caller: str, virtual_number: VirtualNumber | None, user) -> list[MaskingSession]:
    """The caller's live sessions on other numbers of `user`'s pools: they dialled the wrong one."""
    if not caller:
        return []
    return list(
        within_pools(MaskingSession.objects.live(), user=user, path="virtual_number__pool")
        .filter(participants__number=caller)
        .exclude(virtual_number=virtual_number)
        .select_related("virtual_number")
        .distinct()[:20]
    )


def simulator_view(request):
    if not request.user.has_perm("masking.view_maskingsession"):
        raise PermissionDenied
    form = SimulatorForm(request.GET or None)
    # Staff given pools simulate their pools' numbers and replay their pools' calls only.
    numbers = form.fields["virtual_number"]
    numbers.queryset = within_pools(numbers.queryset, user=request.user, path="pool")
    ask = _ask(request, form) if form.is_valid() else None
    result = _result(ask, form.cleaned_data.get("digits"), user=request.user) if ask else None
    context = {
        **admin.site.each_context(request),
        "title": "Call simulator",
        "form": form,
        "result": result,
    }
    return TemplateResponse(request, "admin/callflows/simulator.html", context)


def _ask(request, form) -> Ask | None:
    data = form.cleaned_data
    if data.get("call"):
        if not request.user.has_perm("callflows.view_call"):
            raise PermissionDenied
        calls = within_pools(Call.objects.all(), user=request.user, path="pool")
        call = calls.filter(pk=data["call"]).first()
        if call is None:
            form.add_error(None, "There is no such call (it may have been purged).")
            return None
        return Ask(
            caller=call.caller,
            virtual_number=VirtualNumber.objects.filter(number=call.virtual_number).first(),
            dialled=call.virtual_number,
            at=data.get("at") or call.created_at,
            call=call,
        )
    try:
        # Whether a number is paired is a whole-number lookup like a search: limited, audited.
        number_lookup(
            user=request.user,
            numbers={str(data["caller"])},
            via=ADMIN,
            where="simulator",
            field="caller",
        )
    except LookupLimitReached as exc:
        form.add_error("caller", str(exc))
        return None
    return Ask(
        caller=str(data["caller"]),
        virtual_number=data["virtual_number"],
        dialled=str(data["virtual_number"].number),
        at=data.get("at"),
    )


def _result(ask: Ask, digits: str | None, *, user) -> dict:
    now = timezone.now()
    past = past_call_facts(virtual_number=ask.dialled, caller=ask.caller, at=ask.at or now)
    first, pin_step = None, None
    if ask.at is not None:
        # The replay: the same pure decision, from the facts as they stood then.
        answer = answer_from_facts(past.facts, now=ask.at)
    else:
        answer = answer_call_action(caller=ask.caller, virtual_number=ask.dialled)
    outcome = answer.decision.outcome.value
    if outcome in PIN_PROMPTS:
        # PINs are secrets: the simulator explains the step and never judges digits against
        # real PINs (that would be a guessing oracle that counts nothing).
        pin_step = PIN_STEP % {
            "length": answer.facts.rules.pin_length,
            "tries": answer.facts.rules.pin_tries,
        }
    elif outcome in KEYPAD_PROMPTS and digits and ask.at is None:
        # The keypad answer to that prompt, read-only like the first step.
        first = answer
        answer = answer_call_action(
            caller=ask.caller,
            virtual_number=ask.dialled,
            digits=digits,
            asked=AskedBefore(outcome=first.decision.outcome.value, tries=first.decision.tries),
        )
    decision = answer.decision
    return {
        "outcome": decision.outcome.value,
        "words": decision_words(decision.outcome.value),
        "at": staff_time(ask.at) if ask.at else None,
        "caller": number_for(ask.caller) if ask.caller else "withheld",
        "dialled": ask.dialled,
        "elsewhere": elsewhere(caller=ask.caller, virtual_number=ask.virtual_number, user=user)
        if decision.outcome.value in NOT_CONNECTED and ask.at is None
        else [],
        "session": MaskingSession.objects.filter(pk=decision.session_id).first(),
        "destination": number_for(decision.destination) if decision.destination else None,
        "record": decision.record,
        "pin_step": pin_step,
        "json": _json(answer),
        "first": first
        and {
            "outcome": first.decision.outcome.value,
            "words": decision_words(first.decision.outcome.value),
            "json": _json(first),
        },
        "sections": sections(ask=ask, past=past, answer=answer),
        "rules": rules_explained(answer),
    }


def _json(answer: Answer) -> str:
    return numbers_in_text_for(json.dumps(answer.body, indent=2, ensure_ascii=False))


def sections(*, ask: Ask, past: PastCall, answer: Answer) -> list[Section]:
    """The explanations after the decision, in the order support reads them."""
    found = []
    if ask.call is not None:
        found.append(replayed_call_section(ask.call, answer))
    found.append(story_section(past, answer))
    if past.lockouts:
        found.append(lockouts_section(past))
    return found


def replayed_call_section(call: Call, answer: Answer) -> Section:
    replayed = answer.decision.outcome.value
    seconds = call.callee_seconds
    return Section(
        "replayed-call",
        "The call, then",
        "admin/callflows/simulator/replayed_call.html",
        {
            "call": call,
            "when": staff_time(call.created_at),
            "answered": decision_words(call.outcome),
            "replayed": decision_words(replayed),
            # A keypad call's record holds its last answer; the replay is its first.
            "same": call.outcome == replayed,
            "keypad": call.outcome in {"connect", "retry_pin", "pin_failed", "pin_locked"}
            and call.keypad_tries,
            "provider": outcome_words(call.status),
            "talk": f"{seconds // 60}:{seconds % 60:02d}" if seconds is not None else None,
            "error": numbers_in_text_for(
                " ".join(p for p in (str(call.error_code or ""), call.error_message) if p)
            ),
        },
    )


def story_section(past: PastCall, answer: Answer) -> Section:
    rows = []
    for then in past.sessions:
        closure = then.last_closure
        if then.live_then:
            state = "open and routing"
        elif not then.started:
            state = f"not started yet (starts {staff_time(then.session.started_at)})"
        elif closure is not None:
            reason = closure.changes.get("reason", "")
            who = f" by {closure.who}" if closure.who else ""
            state = (
                f"closed at {staff_time(closure.at)} {VIA_WORDS.get(closure.via, closure.via)}"
                f"{who}" + (f" ({reason})" if reason else "")
            )
            if closure.changes.get("note"):
                state += f": “{closure.changes['note']}”"
        elif not then.open_then:
            state = "closed" + (
                f" at {staff_time(then.session.closed_at)}" if then.session.closed_at else ""
            )
        elif then.expired_then:
            state = f"expired at {staff_time(then.expires_then)}"
        else:
            state = "open"
        rows.append(
            {
                "session": then.session,
                "state": state,
                "later": [
                    f"{event.what} {staff_time(event.at)} {VIA_WORDS.get(event.via, event.via)}"
                    for event in then.later
                ],
            }
        )
    return Section(
        "caller-sessions",
        "This caller's sessions on this number",
        "admin/callflows/simulator/story.html",
        {
            "rows": rows,
            "at": staff_time(past.at),
            "caveats": past.caveats,
            "number_status": past.facts.number_status,
        },
    )


def lockouts_section(past: PastCall) -> Section:
    return Section(
        "lockouts-then",
        "PIN lockouts in force",
        "admin/callflows/simulator/lockouts.html",
        {
            "lockouts": [
                {
                    "who": "this caller" if lockout.caller else "every phone new to the number",
                    "from": staff_time(lockout.locked_at),
                    "until": staff_time(lockout.locked_until),
                    "wrong_pins": lockout.wrong_pins,
                    "cleared": staff_time(lockout.cleared_at) if lockout.cleared_at else None,
                }
                for lockout in past.lockouts
            ],
            "paused": past.facts.pin_paused,
        },
    )
