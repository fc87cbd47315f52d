"""The call simulator: what would the webhook answer this caller on this number, right now?

It runs the Call Action's own answer function (`callflows.answer.answer_call_action`), which only
reads, so support can try any caller without writing a call record or touching a session.
"""

import json

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from phonenumber_field.formfields import PhoneNumberField

from callflows.admin.simulator_rules import rules_explained
from callflows.answer import KEYPAD_PROMPTS, PIN_PROMPTS, AskedBefore, answer_call_action
from callflows.words import decision_words
from masking.admin.number_picker import NumberPicker
from masking.models import MaskingSession, VirtualNumber
from masking.privacy import number_for, numbers_in_text_for
from masking.services.audit import ADMIN
from masking.services.lookups import LookupLimitReached, number_lookup


class SimulatorForm(forms.Form):
    virtual_number = forms.ModelChoiceField(
        queryset=VirtualNumber.objects.order_by("number"),
        widget=NumberPicker(),
        help_text="The number the caller dials: type part of it or of its label.",
    )
    caller = PhoneNumberField(help_text="The caller's real number. Example: +6591230001.")
    digits = forms.RegexField(
        r"^[0-9]{1,20}$",
        required=False,
        help_text="For the recording notice: what the caller keys (1 to agree). PINs are not "
        "tried here: the PIN step is explained instead.",
    )


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


def elsewhere(*, caller: str, virtual_number: VirtualNumber) -> list[MaskingSession]:
    """The caller's live sessions on other numbers: they dialled the wrong one."""
    return list(
        MaskingSession.objects.live()
        .filter(participants__number=caller)
        .exclude(virtual_number=virtual_number)
        .select_related("virtual_number")
        .distinct()[:20]
    )


def simulator_view(request):
    if not request.user.has_perm("masking.view_maskingsession"):
        raise PermissionDenied
    form = SimulatorForm(request.GET or None)
    result = None
    if form.is_valid():
        try:
            # Whether a number is paired is a whole-number lookup like a search: limited, audited.
            number_lookup(
                user=request.user,
                numbers={str(form.cleaned_data["caller"])},
                via=ADMIN,
                where="simulator",
                field="caller",
            )
        except LookupLimitReached as exc:
            form.add_error("caller", str(exc))
    if form.is_valid():
        call = dict(
            caller=str(form.cleaned_data["caller"]),
            virtual_number=str(form.cleaned_data["virtual_number"].number),
        )
        answer = answer_call_action(**call)
        first, pin_step = None, None
        if answer.decision.outcome.value in PIN_PROMPTS:
            # PINs are secrets: the simulator explains the step and never judges digits against
            # real PINs (that would be a guessing oracle that counts nothing).
            pin_step = PIN_STEP % {
                "length": settings.MASKING_PIN_LENGTH,
                "tries": settings.MASKING_PIN_TRIES,
            }
        elif answer.decision.outcome.value in KEYPAD_PROMPTS and form.cleaned_data["digits"]:
            # The keypad answer to that prompt, read-only like the first step.
            first = answer
            answer = answer_call_action(
                **call,
                digits=form.cleaned_data["digits"],
                asked=AskedBefore(outcome=first.decision.outcome.value, tries=first.decision.tries),
            )
        decision = answer.decision
        result = {
            "rules": rules_explained(answer),
            "outcome": decision.outcome.value,
            "words": decision_words(decision.outcome.value),
            "elsewhere": elsewhere(
                caller=call["caller"], virtual_number=form.cleaned_data["virtual_number"]
            )
            if decision.outcome.value in NOT_CONNECTED
            else [],
            "session": MaskingSession.objects.filter(pk=decision.session_id).first(),
            "destination": number_for(decision.destination) if decision.destination else None,
            "record": decision.record,
            "pin_step": pin_step,
            "json": numbers_in_text_for(json.dumps(answer.body, indent=2, ensure_ascii=False)),
            "first": first
            and {
                "outcome": first.decision.outcome.value,
                "words": decision_words(first.decision.outcome.value),
                "json": numbers_in_text_for(json.dumps(first.body, indent=2, ensure_ascii=False)),
            },
        }
    context = {
        **admin.site.each_context(request),
        "title": "Call simulator",
        "form": form,
        "result": result,
    }
    return TemplateResponse(request, "admin/callflows/simulator.html", context)
