"""Changing the pool: a number's status, and what retiring it does to its sessions."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from masking.db import relax_statement_timeout
from masking.models import MaskingSession, VirtualNumber
from masking.services.audit import PROVIDER, SYSTEM
from masking.services.callbacks import emit_number_unhealthy, emit_numbers_unhealthy
from masking.services.sessions import session_close, sessions_close_on_numbers


class RetirementNotConfirmed(ValidationError):
    """Retiring a number would end open sessions, and whoever asked did not say to end them."""


def retirement_refusal(*, open_sessions: int) -> str:
    return (
        f"Retiring this number ends its {open_sessions:,} open "
        f"session{'s' if open_sessions != 1 else ''}: confirm ending them to retire it."
    )


def number_set_status(
    *,
    number: VirtualNumber,
    status: str,
    actor=None,
    via: str = SYSTEM,
    end_open_sessions: bool = False,
) -> VirtualNumber:
    """Set a number's status. Retiring it closes its open sessions (reason: number retired).

    Retiring a number that holds open sessions needs `end_open_sessions=True`, the caller's word
    that a person (or 8x8's report) confirmed ending them; without it RetirementNotConfirmed
    (status unchanged). Every path that retires a number comes through here, so none can end
    conversations without that word. Unhealthy numbers keep serving the sessions they hold and
    get no new ones (allocation takes only active numbers), so only retirement touches sessions.
    """
    with transaction.atomic():
        relax_statement_timeout()
        if status == VirtualNumber.Status.RETIRED and not end_open_sessions:
            # Behind the number's row lock, so no session opens between the count and the save.
            held = VirtualNumber.objects.select_for_update().filter(pk=number.pk)
            if held.exists() and number.sessions.open().exists():
                count = number.sessions.open().count()
                raise RetirementNotConfirmed(
                    {"status": retirement_refusal(open_sessions=count)}, code="retire_unconfirmed"
                )
        before = VirtualNumber.objects.filter(pk=number.pk).values_list("status", flat=True)
        became_unhealthy = status == VirtualNumber.Status.UNHEALTHY and before.first() != status
        number.status = status
        number.full_clean()
        number.save()
        if became_unhealthy:
            emit_number_unhealthy(number=number)
        if status == VirtualNumber.Status.RETIRED:
            for session in number.sessions.open().select_for_update():
                session_close(
                    session=session,
                    reason=MaskingSession.CloseReason.NUMBER_RETIRED,
                    actor=actor,
                    via=via,
                )
    return number


def number_set_listed(
    *,
    number: VirtualNumber,
    listed: bool,
    status: str | None = None,
    now: datetime | None = None,
    via: str = SYSTEM,
) -> VirtualNumber:
    """Record whether 8x8's number list still has the number; never deletes it.

    An unlisted number is flagged and, if active, made unhealthy: 8x8 may no longer route it, so
    it takes no new sessions, while the sessions it holds keep their number. `status` is the one
    8x8 reports when it lists the number again.
    """
    if listed:
        number.unlisted_since = None
    else:
        number.unlisted_since = number.unlisted_since or now or timezone.now()
        if number.status == VirtualNumber.Status.ACTIVE:
            status = VirtualNumber.Status.UNHEALTHY
    # 8x8 retiring its number is the provider's word: there is nobody to ask.
    return number_set_status(
        number=number, status=status or number.status, via=via, end_open_sessions=True
    )


def numbers_set_status(*, number_ids: list[int], status: str, via: str = PROVIDER) -> None:
    """Set many numbers' status at once (8x8's snapshots), in a fixed number of statements
    however many numbers. Retiring them closes their open sessions."""
    with transaction.atomic():
        relax_statement_timeout()
        # Updating the rows first holds them: openings on these numbers wait, then see the status.
        VirtualNumber.objects.filter(pk__in=number_ids).update(
            status=status, updated_at=timezone.now()
        )
        if status == VirtualNumber.Status.RETIRED:
            sessions_close_on_numbers(
                number_ids=number_ids, reason=MaskingSession.CloseReason.NUMBER_RETIRED, via=via
            )
        elif status == VirtualNumber.Status.UNHEALTHY:
            emit_numbers_unhealthy(number_ids=number_ids)
