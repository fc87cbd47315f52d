"""The reads: which session a call belongs to, and what the decision needs to know about it."""

from django.db.models import OuterRef, Subquery

from masking.models import Participant, Prompt, RecordingOptIn, VirtualNumber
from masking.routing import CallFacts, PromptFacts, SessionFacts


def prompts_for_language(*, language: str) -> dict[str, PromptFacts]:
    """Every prompt in `language`, by purpose. One query."""
    return {
        p.purpose: PromptFacts(
            text=p.text, language=p.language, voice_profile=p.voice_profile, repetition=p.repetition
        )
        for p in Prompt.objects.for_language(language)
    }


def call_facts(*, virtual_number: str, caller: str, language: str) -> CallFacts:
    """What the call decision needs for a call from `caller` to `virtual_number` (both E.164).

    At most four queries whatever the size of the tables, each on an index: the number (unique),
    the caller's routing key with the other participant in a subquery (the partial unique index on
    open routing keys), consent for the two numbers (only when recording is requested), and the
    prompts of one language.
    """
    number = VirtualNumber.objects.filter(number=virtual_number).only("id", "status").first()
    prompts = prompts_for_language(language=language)
    if number is None or number.status == VirtualNumber.Status.RETIRED:
        return CallFacts(
            virtual_number=virtual_number,
            caller=caller,
            number_status=number.status if number else None,
            prompts=prompts,
        )

    other_party = Participant.objects.filter(session=OuterRef("session")).exclude(pk=OuterRef("pk"))
    participant = (
        Participant.objects.filter(virtual_number=number, number=caller, holds_routing_key=True)
        .select_related("session")
        .annotate(other_number=Subquery(other_party.values("number")[:1]))
        .first()
    )
    session = None
    if participant is not None and participant.other_number:
        s = participant.session
        consented = set()
        if s.recording_requested:
            consented = {
                str(n)
                for n in RecordingOptIn.objects.active()
                .filter(number__in=[caller, participant.other_number])
                .values_list("number", flat=True)
            }
        session = SessionFacts(
            session_id=s.pk,
            starts_at=s.started_at,
            expires_at=s.expires_at,
            closed=s.status == s.Status.CLOSED,
            other_party=str(participant.other_number),
            recording_requested=s.recording_requested,
            caller_consented=caller in consented,
            other_party_consented=str(participant.other_number) in consented,
        )
    return CallFacts(
        virtual_number=virtual_number,
        caller=caller,
        number_status=number.status,
        session=session,
        prompts=prompts,
    )
