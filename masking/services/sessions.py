"""Opening, changing and closing masking sessions."""

from datetime import datetime
from itertools import chain

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from masking.models import MaskingSession, Participant, VirtualNumber

ROUTING_KEY_TAKEN = gettext_lazy(
    "%(number)s is already paired on %(virtual_number)s in another open session: calls could "
    "not tell the two sessions apart."
)


def _participants_for(session: MaskingSession, numbers: dict[str, object]) -> list[Participant]:
    return [
        Participant(
            session=session,
            role=role,
            number=number,
            virtual_number=session.virtual_number,
            holds_routing_key=session.status == MaskingSession.Status.OPEN,
        )
        for role, number in numbers.items()
    ]


def session_validate(
    *,
    virtual_number: VirtualNumber,
    participant_a,
    participant_b,
    recording_requested: bool = False,
    reference: str = "",
    started_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> tuple[MaskingSession, list[Participant]]:
    """Build an unsaved session and its two participants and validate them completely.

    Raises ValidationError keyed by `virtual_number`, `participant_a`, `participant_b`,
    `expires_at`, ... so a form can show each message beside its field. Used by the admin's form
    before it saves, and by `session_open`.
    """
    session = MaskingSession(
        virtual_number=virtual_number,
        recording_requested=recording_requested,
        reference=reference,
        started_at=started_at or timezone.now(),
        expires_at=expires_at,
    )
    errors: dict[str, list] = {}
    try:
        session.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)

    if virtual_number is not None and virtual_number.status != VirtualNumber.Status.ACTIVE:
        errors.setdefault("virtual_number", []).append(
            _("%(number)s is %(status)s: it takes no new sessions.")
            % {"number": virtual_number.number, "status": virtual_number.get_status_display()}
        )

    numbers = {Participant.Role.A: participant_a, Participant.Role.B: participant_b}
    fields = {Participant.Role.A: "participant_a", Participant.Role.B: "participant_b"}
    if participant_a and participant_b and str(participant_a) == str(participant_b):
        errors.setdefault("participant_b", []).append(
            _("The two participants must have different numbers.")
        )
    pool_numbers = set(
        VirtualNumber.objects.filter(number__in=[n for n in numbers.values() if n]).values_list(
            "number", flat=True
        )
    )
    participants = _participants_for(session, numbers)
    for participant in participants:
        field = fields[participant.role]
        if participant.number in pool_numbers:
            errors.setdefault(field, []).append(
                _("This is one of our virtual numbers, not a person's number.")
            )
            continue
        try:
            # The session is unsaved; its own uniqueness constraints are checked on insert.
            participant.full_clean(exclude=["session"])
        except ValidationError as exc:
            for error in chain.from_iterable(exc.error_dict.values()):
                if error.code == "routing_key_taken":
                    message = str(ROUTING_KEY_TAKEN) % {
                        "number": participant.number,
                        "virtual_number": virtual_number.number,
                    }
                else:
                    message = " ".join(error.messages)
                errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)
    return session, participants


def _release_expired_routing_keys(*, virtual_number: VirtualNumber, numbers: list, now) -> None:
    """Close expired sessions that still hold one of these routing keys, so they free them."""
    stale = (
        MaskingSession.objects.expired(now)
        .filter(virtual_number=virtual_number, participants__number__in=numbers)
        .distinct()
    )
    for session in stale:
        session_close(session=session, reason=MaskingSession.CloseReason.EXPIRED, now=now)


def session_open(
    *,
    virtual_number: VirtualNumber,
    participant_a,
    participant_b,
    recording_requested: bool = False,
    reference: str = "",
    started_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> MaskingSession:
    """Pair two participants on a virtual number and return the open session.

    A routing key still held by an expired session is freed first: expired sessions route nobody,
    so they must not block a new pairing either. The database constraint on routing keys is the
    final word: if a concurrent request took the key first, this raises ValidationError, never
    IntegrityError.
    """
    now = timezone.now()
    with transaction.atomic():
        _release_expired_routing_keys(
            virtual_number=virtual_number, numbers=[participant_a, participant_b], now=now
        )
        session, participants = session_validate(
            virtual_number=virtual_number,
            participant_a=participant_a,
            participant_b=participant_b,
            recording_requested=recording_requested,
            reference=reference,
            started_at=started_at or now,
            expires_at=expires_at,
        )
        try:
            with transaction.atomic():
                session.save()
                for participant in participants:
                    participant.session = session
                    participant.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"participant_a": _("One of these numbers was just paired on this virtual number.")}
            ) from exc
    return session


def session_update(
    *,
    session: MaskingSession,
    recording_requested: bool | None = None,
    reference: str | None = None,
    expires_at: datetime | None = None,
    clear_expiry: bool = False,
) -> MaskingSession:
    """Change what may change on a session: recording request, reference, expiry."""
    if recording_requested is not None:
        session.recording_requested = recording_requested
    if reference is not None:
        session.reference = reference
    if clear_expiry:
        session.expires_at = None
    elif expires_at is not None:
        session.expires_at = expires_at
    session.full_clean()
    session.save()
    return session


def session_close(
    *, session: MaskingSession, reason: str, now: datetime | None = None
) -> MaskingSession:
    """Close a session and free its routing keys. Closing a closed session changes nothing."""
    if session.status == MaskingSession.Status.CLOSED:
        return session
    with transaction.atomic():
        session.status = MaskingSession.Status.CLOSED
        session.closed_at = now or timezone.now()
        session.close_reason = reason
        session.full_clean()
        session.save(update_fields=["status", "closed_at", "close_reason", "updated_at"])
        session.participants.update(holds_routing_key=False)
    return session
