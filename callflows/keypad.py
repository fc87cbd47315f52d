"""What a keypad answer changes, beyond the callflow: consent given by keypad, PIN lockouts.

Called by the webhook after it has decided (never by the simulator), once per delivered event.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from callflows.answer import KEYPAD_PROMPTS, AskedBefore, tag_outcome
from callflows.decision import Decision, Outcome
from callflows.models import Call
from masking.models import MaskingSession, RecordingOptIn
from masking.services.callbacks import emit_pin_locked
from masking.services.consent import consent_record


def asked_before(*, provider_session_id: str | None, echoed_tag: str | None):
    """The keypad prompt we stored for this call, if the echoed tag names it; else None.

    Wavecell's legacy digit events echo no tag at all: then the stored prompt alone decides.
    """
    echoed_outcome = tag_outcome(echoed_tag)
    if not provider_session_id or (echoed_tag and echoed_outcome not in KEYPAD_PROMPTS):
        return None
    row = (
        Call.objects.filter(provider_session_id=provider_session_id)
        .values("outcome", "keypad_tries")
        .first()
    )
    if row is None or row["outcome"] not in KEYPAD_PROMPTS:
        return None
    if echoed_tag and row["outcome"] != echoed_outcome:
        return None  # a tag we never issued on this call: a new call
    return AskedBefore(outcome=row["outcome"], tries=row["keypad_tries"])


def apply_keypad_effects(
    *,
    decision: Decision,
    asked: AskedBefore | None,
    caller: str,
    virtual_number: str,
    provider_session_id: str | None,
) -> None:
    if asked is None:
        return
    if (
        decision.consented_by_keypad
        and not RecordingOptIn.objects.active().filter(number=caller).exists()
    ):
        consent_record(
            number=caller,
            method=RecordingOptIn.Method.KEYPAD,
            evidence=f"8x8 session {provider_session_id or 'unknown'}",
        )
    if asked.outcome not in (Outcome.ASK_PIN, Outcome.RETRY_PIN):
        return
    pin_sessions = (
        MaskingSession.objects.live()
        .filter(virtual_number__number=virtual_number, participants__pin__gt="")
        .distinct()
    )
    if decision.outcome == Outcome.CONNECT:
        MaskingSession.objects.filter(pk=decision.session_id).update(pin_failures=0)
        return
    # A wrong PIN does not say which session it was aimed at: it counts against every PIN
    # session on the number, and each locks after MASKING_PIN_LOCK_AFTER of them, so guessing
    # through a number's PINs stops long before it could succeed.
    now = timezone.now()
    until = now + timedelta(minutes=settings.MASKING_PIN_LOCK_MINUTES)
    ids = list(pin_sessions.values_list("pk", flat=True))
    MaskingSession.objects.filter(pk__in=ids).update(pin_failures=F("pin_failures") + 1)
    with transaction.atomic():
        locking = MaskingSession.objects.filter(
            pk__in=ids, pin_failures__gte=settings.MASKING_PIN_LOCK_AFTER
        )
        if locking.update(pin_locked_until=until, pin_failures=0):
            for session in MaskingSession.objects.filter(pk__in=ids, pin_locked_until=until):
                emit_pin_locked(session=session, locked_until=until)
