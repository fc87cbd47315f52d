"""Opening, changing and closing masking sessions."""

import secrets
from datetime import datetime
from itertools import chain

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from masking.db import relax_statement_timeout
from masking.models import MaskingSession, Participant, VirtualNumber
from masking.models.audit import AuditEntry
from masking.pins import pin_hash, pin_room
from masking.privacy import mask
from masking.services.allocation import PoolExhausted, number_allocate
from masking.services.audit import SYSTEM, audit_record, audit_value
from masking.services.callbacks import (
    emit_session_closed,
    emit_session_opened,
    emit_sessions_closed,
)
from masking.session_rules import SessionRules, default_rules, with_default_zone

ROUTING_KEY_TAKEN = gettext_lazy(
    "%(number)s is already paired on %(virtual_number)s in another open session: calls could "
    "not tell the two sessions apart."
)


def _count_open(virtual_number_id: int, delta: int) -> None:
    VirtualNumber.objects.filter(pk=virtual_number_id).update(
        open_sessions=F("open_sessions") + delta
    )


def _hold_numbers(virtual_number_ids) -> None:
    """Lock the numbers' rows, in id order, until the transaction ends.

    Every change of a session's status (open, close, reopen, expire, retire) takes its number's
    row first: concurrent changes of one session then queue there, and each reads the status the
    previous one committed. The change itself is still a conditional UPDATE (`WHERE status = ...`)
    whose row count says whether this request made it; only that request moves the counter and
    writes the audit entry and the callback. One lock order (numbers, then sessions, then routing
    keys) keeps any two of them from deadlocking.

    The wait there is the writes' (5 s), not the Call Action's 300 ms: closes, reopenings and
    sweeps queue behind openings on the same row, and every one of them passes here first.
    """
    relax_statement_timeout()
    list(
        VirtualNumber.objects.select_for_update()
        .filter(pk__in=list(virtual_number_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _take_place(virtual_number: VirtualNumber) -> None:
    """Count one more open session on the number, or raise ValidationError (code "number_full")
    when it already holds its pool's capacity ("number_inactive" when it is not active).

    One conditional UPDATE: concurrent openings queue on the number's row, and PostgreSQL checks
    the condition again against the count the previous one committed, so the capacity holds
    however many requests race for the last place (a check in Python first would let them all
    through).
    """
    capacity = virtual_number.pool.rules.number_capacity
    taken = VirtualNumber.objects.filter(
        pk=virtual_number.pk,
        status=VirtualNumber.Status.ACTIVE,
        open_sessions__lt=capacity,
    ).update(open_sessions=F("open_sessions") + 1)
    if taken:
        return
    status = VirtualNumber.objects.filter(pk=virtual_number.pk).values_list("status", flat=True)
    if status.first() != VirtualNumber.Status.ACTIVE:  # retired or unhealthy meanwhile
        raise ValidationError(
            {
                "virtual_number": ValidationError(
                    _("%(number)s no longer takes new sessions.")
                    % {"number": virtual_number.number},
                    code="number_inactive",
                )
            }
        )
    raise ValidationError(
        {
            "virtual_number": ValidationError(
                _("%(number)s is full: it holds %(count)d open sessions, the most allowed.")
                % {"number": virtual_number.number, "count": capacity},
                code="number_full",
            )
        }
    )


def _participants_for(
    session: MaskingSession, numbers: dict[str, object], pins: dict[str, str] | None = None
) -> list[Participant]:
    """The participants, each PIN stored as its keyed hash (never the digits)."""
    return [
        Participant(
            session=session,
            role=role,
            number=number,
            pin_hash=(
                pin_hash(virtual_number=session.virtual_number.number, pin=pins[role])
                if (pins or {}).get(role) and session.virtual_number_id
                else ""
            ),
            virtual_number=session.virtual_number,
            holds_routing_key=session.status == MaskingSession.Status.OPEN,
        )
        for role, number in numbers.items()
    ]


EXPIRY_AFTER_START = next(
    c.violation_error_message
    for c in MaskingSession._meta.constraints
    if c.name == "masking_session_expires_after_start"
)


def session_validate(
    *,
    virtual_number: VirtualNumber,
    participant_a,
    participant_b,
    recording_requested: bool = False,
    reference: str = "",
    started_at: datetime | None = None,
    expires_at: datetime | None = None,
    pin_a: str = "",
    pin_b: str = "",
    rules: SessionRules | None = None,
) -> tuple[MaskingSession, list[Participant]]:
    """Build an unsaved session and its two participants and validate them completely.

    Raises ValidationError keyed by `virtual_number`, `participant_a`, `participant_b`,
    `expires_at`, ... so a form can show each message beside its field. Used by the admin's form
    before it saves, and by `session_open`. Without a virtual number (the CSV preview of a row
    whose participants could not be read, so none can be chosen) the rest is still checked.
    """
    # Without rules of its own, a session takes the settings' defaults; calling hours that name
    # no zone are in the number's pool's operations time zone.
    rules = with_default_zone(
        rules if rules is not None else default_rules(),
        operations_time_zone=(
            virtual_number.pool.rules.operations_time_zone
            if virtual_number is not None and virtual_number.pool_id is not None
            else settings.MASKING_OPERATIONS_TIME_ZONE
        ),
    )
    session = MaskingSession(
        virtual_number=virtual_number,
        recording_requested=recording_requested,
        reference=reference,
        started_at=started_at or timezone.now(),
        expires_at=expires_at,
        **rules.as_fields(),
    )
    errors: dict[str, list] = {}
    try:
        session.full_clean(exclude=["virtual_number"] if virtual_number is None else None)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    # The expiry's constraint is about the expiry: said beside it, not as "__all__".
    general = errors.pop(NON_FIELD_ERRORS, [])
    for message in general:
        key = "expires_at" if message == str(EXPIRY_AFTER_START) else NON_FIELD_ERRORS
        errors.setdefault(key, []).append(message)

    if virtual_number is not None and virtual_number.status != VirtualNumber.Status.ACTIVE:
        errors.setdefault("virtual_number", []).append(
            _("%(number)s is %(status)s: it takes no new sessions.")
            % {"number": virtual_number.number, "status": virtual_number.get_status_display()}
        )

    if (
        virtual_number is not None
        and virtual_number.open_sessions >= virtual_number.pool.rules.number_capacity
    ):
        errors.setdefault("virtual_number", []).append(
            ValidationError(
                _("%(number)s is full: it holds %(count)d open sessions, the most allowed.")
                % {"number": virtual_number.number, "count": virtual_number.open_sessions},
                code="number_full",
            )
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
    if pin_a and pin_a == pin_b:
        errors.setdefault("pin_b", []).append(_("The two participants need different PINs."))
    pin_length = (
        virtual_number.pool.rules.pin_length if virtual_number else settings.MASKING_PIN_LENGTH
    )
    for field, pin in (("pin_a", pin_a), ("pin_b", pin_b)):
        if pin and (len(pin) != pin_length or not pin.isdigit()):
            errors.setdefault(field, []).append(
                _("A PIN is %(length)d digits, the length callers are asked for.")
                % {"length": pin_length}
            )
    new_pins = len([pin for pin in (pin_a, pin_b) if pin])
    if virtual_number is not None and new_pins and not pin_room_left(virtual_number, new_pins):
        errors.setdefault("virtual_number", []).append(pin_room_error(virtual_number))
    participants = _participants_for(
        session,
        numbers if virtual_number is not None else {},
        {Participant.Role.A: pin_a, Participant.Role.B: pin_b},
    )
    for role, number in numbers.items():
        if virtual_number is None and number in pool_numbers:
            errors.setdefault(fields[role], []).append(
                _("This is one of our virtual numbers, not a person's number.")
            )
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
                        "number": mask(participant.number),
                        "virtual_number": virtual_number.number,
                    }
                else:
                    message = " ".join(error.messages)
                # Keep the code: session_create retries on "routing_key_taken".
                errors.setdefault(field, []).append(ValidationError(message, code=error.code))
    if errors:
        raise ValidationError(errors)
    return session, participants


def active_pins(virtual_number: VirtualNumber) -> int:
    """PINs of open sessions on the number. (Stored as hashes, their length is unknown: a PIN of
    another length, from before a change of MASKING_PIN_LENGTH, counts though it can never be
    keyed, which only keeps the bound safer.)"""
    return (
        Participant.objects.filter(virtual_number=virtual_number, holds_routing_key=True)
        .exclude(pin_hash="")
        .count()
    )


def _pin_room(virtual_number: VirtualNumber) -> int:
    rules = virtual_number.pool.rules
    return pin_room(length=rules.pin_length, one_in=rules.pin_guess_one_in)


def pin_room_left(virtual_number: VirtualNumber, new_pins: int = 2) -> bool:
    """Whether `new_pins` more PINs keep a guess on the number within its pool's bound
    (masking.pins)."""
    return active_pins(virtual_number) + new_pins <= _pin_room(virtual_number)


def pin_room_error(virtual_number: VirtualNumber) -> ValidationError:
    return ValidationError(
        _(
            "%(number)s holds as many PIN sessions as the guessing bound allows (%(sessions)d): "
            "a stranger's guess would connect more often than 1 in %(one_in)s. Choose another "
            "number, or leave it blank to let allocation choose."
        )
        % {
            "number": virtual_number.number,
            "sessions": _pin_room(virtual_number) // 2,
            "one_in": f"{virtual_number.pool.rules.pin_guess_one_in:,}",
        },
        code="pin_room",
    )


def _release_expired_routing_keys(*, virtual_number: VirtualNumber, numbers: list, now) -> None:
    """Close expired sessions that still hold one of these routing keys, so they free them."""
    stale = (
        MaskingSession.objects.expired(now)
        .filter(virtual_number=virtual_number, participants__number__in=numbers)
        .distinct()
    )
    for session in stale:
        session_close(
            session=session,
            reason=MaskingSession.CloseReason.EXPIRED,
            now=now,
            note=_("closed to free its numbers for a new pairing"),
        )


def session_open(
    *,
    virtual_number: VirtualNumber,
    participant_a,
    participant_b,
    recording_requested: bool = False,
    reference: str = "",
    started_at: datetime | None = None,
    expires_at: datetime | None = None,
    pin_a: str = "",
    pin_b: str = "",
    rules: SessionRules | None = None,
    actor=None,
    via: str = SYSTEM,
) -> MaskingSession:
    """Pair two participants on a virtual number and return the open session.

    A routing key still held by an expired session is freed first: expired sessions route nobody,
    so they must not block a new pairing either. The database constraint on routing keys is the
    final word: if a concurrent request took the key first, this raises ValidationError, never
    IntegrityError.
    """
    now = timezone.now()
    with transaction.atomic():
        relax_statement_timeout()
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
            pin_a=pin_a,
            pin_b=pin_b,
            rules=rules,
        )
        try:
            with transaction.atomic():
                # First, so concurrent openings on one number queue on its row here, briefly,
                # before they touch any routing key; the last place goes to one of them only.
                _take_place(virtual_number)
                new_pins = len([p for p in participants if p.pin_hash])
                if new_pins and not pin_room_left(virtual_number, new_pins):
                    # Checked again behind the row lock: two openings at the bound's edge
                    # cannot both pass.
                    raise ValidationError({"virtual_number": pin_room_error(virtual_number)})
                session.save()
                # Always insert the lower number first: two requests pairing the same people in
                # opposite roles then wait on the same key instead of deadlocking on each other.
                for participant in sorted(participants, key=lambda p: str(p.number)):
                    participant.session = session
                    participant.save()
                emit_session_opened(session=session)
                audit_record(
                    obj=session,
                    action="opened",
                    via=via,
                    actor=actor,
                    changes={
                        "virtual number": str(virtual_number.number),
                        "starts at": audit_value(session.started_at),
                        "expires at": audit_value(session.expires_at),
                        "reference": session.reference,
                        "recording requested": audit_value(session.recording_requested),
                        "PIN access": audit_value(bool(pin_a or pin_b)),
                        "rules": "; ".join(session.rules.described()) or "none",
                    },
                )
        except IntegrityError as exc:
            raise ValidationError(
                {
                    "participant_a": ValidationError(
                        _("One of these numbers was just paired on this virtual number."),
                        code="routing_key_taken",
                    )
                }
            ) from exc
    return session


def _lost_a_race(exc: ValidationError) -> bool:
    """Another request took the chosen number's routing key, its last place or its last PIN room
    first."""
    return any(
        error.code in ("routing_key_taken", "number_full", "number_inactive", "pin_room")
        for error in chain.from_iterable(exc.error_dict.values())
    )


# Two requests for overlapping participants may choose the same number at the same moment. Rather
# than lock the pool (which would serialise every allocation behind one lock), each request
# chooses, then inserts; the partial unique index on routing keys lets exactly one of them in and
# the other retries with the numbers it lost excluded. A handful of attempts is plenty: each retry
# sees the winner's committed rows, so it can only lose again to yet another concurrent request.
ALLOCATION_ATTEMPTS = 5


def session_create(
    *,
    participant_a,
    participant_b,
    virtual_number: VirtualNumber | None = None,
    recording_requested: bool = False,
    reference: str = "",
    started_at: datetime | None = None,
    expires_at: datetime | None = None,
    pin_a: str = "",
    pin_b: str = "",
    generate_pins: bool = False,
    rules: SessionRules | None = None,
    pools=None,
    actor=None,
    via: str = SYSTEM,
) -> MaskingSession:
    """Open a session, choosing the virtual number by the allocation rule when none is given
    (among `pools`' numbers, when given: an API user's).

    With `generate_pins`, each participant gets a fresh PIN (MASKING_PIN_LENGTH digits), unique
    among the open sessions of the chosen number. The PINs (generated or given) are on the
    returned session as `issued_pins` ({"a": ..., "b": ...}), for the caller to show once: only
    their keyed hashes are stored. Raises PoolExhausted when no number is free, ValidationError
    for bad input.
    """
    fields = dict(
        participant_a=participant_a,
        participant_b=participant_b,
        recording_requested=recording_requested,
        reference=reference,
        started_at=started_at,
        expires_at=expires_at,
        pin_a=pin_a,
        pin_b=pin_b,
        rules=rules,
        actor=actor,
        via=via,
    )
    # One transaction with the writes' longer timeout from the first statement: allocation's
    # reads queue behind the same locks as the writes, and a web statement timeout on them would
    # refuse an opening README promises may wait (5 s). A lost race rolls back to its savepoint.
    with transaction.atomic():
        relax_statement_timeout()
        if virtual_number is not None:
            if generate_pins:
                if not pin_room_left(virtual_number):
                    raise ValidationError({"virtual_number": pin_room_error(virtual_number)})
                return _open_with_new_pins(virtual_number=virtual_number, fields=fields)
            return _with_pins(session_open(virtual_number=virtual_number, **fields), fields)
        lost: list[int] = []
        for _attempt in range(ALLOCATION_ATTEMPTS):
            number = number_allocate(
                participant_a=participant_a,
                participant_b=participant_b,
                exclude_ids=lost,
                pins=generate_pins or bool(pin_a or pin_b),
                pools=pools,
            )
            try:
                if generate_pins:
                    return _open_with_new_pins(virtual_number=number, fields=fields)
                return _with_pins(session_open(virtual_number=number, **fields), fields)
            except ValidationError as exc:
                if not _lost_a_race(exc):
                    raise
                lost.append(number.pk)
    raise PoolExhausted


# A generated PIN collides only with one drawn at the same moment by a concurrent opening on the
# same number (pins_generate skips the stored ones): drawing again settles it within a few tries.
PIN_DRAWS = 5


def _pin_taken(exc: ValidationError) -> bool:
    return any(error.code == "pin_taken" for error in chain.from_iterable(exc.error_dict.values()))


def _open_with_new_pins(*, virtual_number: VirtualNumber, fields: dict) -> MaskingSession:
    """Open with freshly drawn PINs, drawing again, silently, when one was just taken: a refusal
    saying "this PIN is used" would tell whoever opens sessions which PINs are live."""
    for _draw in range(PIN_DRAWS):
        fields["pin_a"], fields["pin_b"] = pins_generate(virtual_number=virtual_number)
        try:
            with transaction.atomic():
                return _with_pins(session_open(virtual_number=virtual_number, **fields), fields)
        except ValidationError as exc:
            if not _pin_taken(exc):
                raise
    raise ValidationError({"virtual_number": pin_room_error(virtual_number)})


def _with_pins(session: MaskingSession, fields: dict) -> MaskingSession:
    session.issued_pins = {"a": fields["pin_a"], "b": fields["pin_b"]}
    return session


def session_reopen(*, session: MaskingSession, actor=None, via: str = SYSTEM) -> MaskingSession:
    """Open a closed session again, if it has not expired, its number is active and has room,
    its routing keys are free and its PINs fit the guessing bound. Each refusal is a
    ValidationError with its code: "expired", "number_inactive", "number_full", "pin_room",
    "routing_key_taken".

    Reopening an open session changes nothing and returns it (the API answers 200, as for a
    second close): of concurrent reopenings, the one whose conditional UPDATE found the session
    closed reopens it, counts it, and writes its callback and history; the others see it open.
    """
    try:
        with transaction.atomic():
            _hold_numbers([session.virtual_number_id])
            now = timezone.now()
            current = MaskingSession.objects.filter(pk=session.pk).values("status", "expires_at")
            row = current.get()
            if row["status"] == MaskingSession.Status.OPEN:
                session.refresh_from_db()
                return session
            if row["expires_at"] is not None and row["expires_at"] <= now:
                raise ValidationError(
                    _("The session has expired: extend it first."), code="expired"
                )
            reopened = MaskingSession.objects.filter(
                pk=session.pk, status=MaskingSession.Status.CLOSED
            ).update(
                status=MaskingSession.Status.OPEN, closed_at=None, close_reason="", updated_at=now
            )
            if not reopened:  # cannot happen behind the number's lock; never count twice
                session.refresh_from_db()
                return session
            try:
                _take_place(session.virtual_number)
            except ValidationError as exc:
                code = next(chain.from_iterable(exc.error_dict.values())).code
                raise ValidationError(exc.messages[0], code=code) from exc
            # Its PINs come back into play: they must fit the guessing bound (masking.pins).
            pins = session.participants.exclude(pin_hash="").count()
            if pins and not pin_room_left(session.virtual_number, pins):
                raise pin_room_error(session.virtual_number)
            session.participants.update(holds_routing_key=True)
            session.refresh_from_db()
            emit_session_opened(session=session)
            audit_record(obj=session, action="reopened", via=via, actor=actor)
    except IntegrityError as exc:
        session.refresh_from_db()
        raise ValidationError(
            _("A participant is paired on this virtual number in another open session."),
            code="routing_key_taken",
        ) from exc
    except ValidationError:
        session.refresh_from_db()
        raise
    return session


def sessions_close_expired(*, batch_size: int = 500, now: datetime | None = None):
    """Close open sessions past their expiry and free their keys, in batches. Yields each count.

    A session closed (or extended) by someone else while the batch was chosen is left alone: the
    batch is read again behind its numbers' row locks, and only what is still open and expired
    then is closed, counted and reported, once.
    """
    now = now or timezone.now()
    while True:
        with transaction.atomic():
            candidates = (
                MaskingSession.objects.expired(now)
                .order_by("pk")
                .values_list("pk", "virtual_number_id")[:batch_size]
            )
            candidates = list(candidates)
            if not candidates:
                return
            # Numbers' rows first, in id order, as every status change does: one lock order.
            _hold_numbers({number_id for _pk, number_id in candidates})
            ids = list(
                MaskingSession.objects.expired(now)
                .filter(pk__in=[pk for pk, _number_id in candidates])
                .values_list("pk", flat=True)
            )
            MaskingSession.objects.filter(pk__in=ids, status=MaskingSession.Status.OPEN).update(
                status=MaskingSession.Status.CLOSED,
                closed_at=now,
                close_reason=MaskingSession.CloseReason.EXPIRED,
                updated_at=now,
            )
            per_number = (
                MaskingSession.objects.filter(pk__in=ids)
                .values("virtual_number_id")
                .annotate(n=Count("id"))
                .order_by("virtual_number_id")
            )
            for row in per_number:
                _count_open(row["virtual_number_id"], -row["n"])
            Participant.objects.filter(session_id__in=ids).update(holds_routing_key=False)
            emit_sessions_closed(
                session_ids=ids, reason=MaskingSession.CloseReason.EXPIRED, now=now
            )
            _audit_ended(session_ids=ids, reason=MaskingSession.CloseReason.EXPIRED, via="sweep")
        yield len(ids)


def sessions_close_on_numbers(
    *, number_ids: list[int], reason: str, now: datetime | None = None, via: str = SYSTEM
):
    """Close every open session on these numbers and free their routing keys, in a fixed number
    of statements however many there are. Returns how many closed.

    The caller's transaction must hold the numbers' rows (by updating them, as a retirement
    does): openings queue on those rows, so no session opens on them meanwhile and each counter
    ends at zero, equal to its open sessions.
    """
    now = now or timezone.now()
    _hold_numbers(number_ids)
    here = MaskingSession.objects.open().filter(virtual_number_id__in=number_ids)
    ids = list(here.values_list("pk", flat=True))
    Participant.objects.filter(session_id__in=ids).update(holds_routing_key=False)
    closed = MaskingSession.objects.filter(pk__in=ids).update(
        status=MaskingSession.Status.CLOSED, closed_at=now, close_reason=reason, updated_at=now
    )
    VirtualNumber.objects.filter(pk__in=number_ids).update(open_sessions=0)
    _audit_ended(session_ids=ids, reason=reason, via=via)
    emit_sessions_closed(session_ids=ids, reason=reason, now=now)
    return closed


def _audit_ended(*, session_ids: list[int], reason: str, via: str) -> None:
    """One history row per session closed in bulk (the sweep, a retirement by 8x8), in the
    caller's transaction: each session's history says who ended it and why."""
    AuditEntry.objects.bulk_create(
        AuditEntry(
            via=via,
            action="ended",
            object_type=MaskingSession._meta.label,
            object_id=str(session.pk),
            object_repr=str(session)[:200],
            changes={"reason": str(MaskingSession.CloseReason(reason).label)},
        )
        for session in MaskingSession.objects.filter(pk__in=session_ids).select_related(
            "virtual_number"
        )
    )


def session_update(
    *,
    session: MaskingSession,
    recording_requested: bool | None = None,
    reference: str | None = None,
    expires_at: datetime | None = None,
    clear_expiry: bool = False,
    rules: SessionRules | None = None,
    actor=None,
    via: str = SYSTEM,
    action: str = "changed",
) -> MaskingSession:
    """Change what may change on a session: recording request, reference, expiry, rules.

    The session's history gets one entry naming each field that changed, old and new.
    """
    with transaction.atomic():
        # From the database, not the instance (a form may have set the new values on it already),
        # and behind the session's row lock: concurrent changes queue, and each history entry's
        # "before" is what the previous change left.
        before = (
            MaskingSession.objects.select_for_update()
            .filter(pk=session.pk)
            .values(*TRACKED_FIELDS)
            .get()
        )
        if recording_requested is not None:
            session.recording_requested = recording_requested
        if reference is not None:
            session.reference = reference
        if clear_expiry:
            session.expires_at = None
        elif expires_at is not None:
            session.expires_at = expires_at
        if rules is not None:
            for field, value in rules.as_fields().items():
                setattr(session, field, value)
        session.full_clean()
        changes = {
            str(MaskingSession._meta.get_field(f).verbose_name): (
                f"{audit_value(before[f])} → {audit_value(getattr(session, f))}"
            )
            for f in TRACKED_FIELDS
            if before[f] != getattr(session, f)
        }
        # Only these fields: the status is the status services' alone (a close committed
        # meanwhile must not be written back as open from this instance).
        session.save(update_fields=[*TRACKED_FIELDS, "updated_at"])
        if changes:
            audit_record(obj=session, action=action, via=via, actor=actor, changes=changes)
    return session


TRACKED_FIELDS = [
    "recording_requested",
    "reference",
    "expires_at",
    "one_way",
    "calling_hours_start",
    "calling_hours_end",
    "calling_hours_time_zone",
    "max_calls",
]


def session_extend(
    *, session: MaskingSession, expires_at: datetime, actor=None, via: str = SYSTEM
) -> MaskingSession:
    """Move a session's expiry later. An expired (not yet swept) session routes calls again.

    Raises ValidationError when the new expiry is not in the future or not later than the
    current one: extending never shortens a session (change the expiry for that).
    """
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": _("The new expiry must be in the future.")})
    if session.expires_at is not None and expires_at <= session.expires_at:
        raise ValidationError(
            {"expires_at": _("The new expiry must be later than the current one.")}
        )
    return session_update(
        session=session, expires_at=expires_at, actor=actor, via=via, action="extended"
    )


def session_close(
    *,
    session: MaskingSession,
    reason: str,
    now: datetime | None = None,
    actor=None,
    via: str = SYSTEM,
    note: str = "",
) -> MaskingSession:
    """Close a session and free its routing keys. Closing a closed session changes nothing:
    of concurrent closings, only the one whose conditional UPDATE found it open counts it, writes
    its callback and its history; the others return it closed.

    `note` is why, in staff's words; it goes to the session's history with who and how.
    """
    with transaction.atomic():
        _hold_numbers([session.virtual_number_id])
        closed_at = now or timezone.now()
        closed = MaskingSession.objects.filter(
            pk=session.pk, status=MaskingSession.Status.OPEN
        ).update(
            status=MaskingSession.Status.CLOSED,
            closed_at=closed_at,
            close_reason=reason,
            updated_at=timezone.now(),
        )
        session.refresh_from_db()
        if not closed:  # closed already, maybe a moment ago by a concurrent request
            return session
        _count_open(session.virtual_number_id, -1)
        session.participants.update(holds_routing_key=False)
        emit_session_closed(session=session)
        changes = {"reason": str(MaskingSession.CloseReason(reason).label)}
        if note:
            changes["note"] = note
        audit_record(obj=session, action="ended", via=via, actor=actor, changes=changes)
    return session


def pins_generate(*, virtual_number: VirtualNumber | None = None, length: int | None = None):
    """Two different random PINs, unused by open sessions on `virtual_number` when given.

    A clash with a PIN taken at the same moment is still refused by the database (a unique
    constraint), like any routing key.
    """
    if not length:
        length = virtual_number.pool.rules.pin_length if virtual_number else None
    length = length or settings.MASKING_PIN_LENGTH
    taken = set()
    if virtual_number is not None:
        taken = set(
            Participant.objects.filter(virtual_number=virtual_number, holds_routing_key=True)
            .exclude(pin_hash="")
            .values_list("pin_hash", flat=True)
        )
    pins: list[str] = []
    while len(pins) < 2:
        pin = "".join(secrets.choice("0123456789") for _ in range(length))
        hashed = pin_hash(virtual_number=virtual_number.number, pin=pin) if virtual_number else ""
        if hashed not in taken and pin not in pins:
            pins.append(pin)
    return pins[0], pins[1]
