"""Changing the pool: a number's status, and what retiring it does to its sessions."""

from django.db import transaction

from masking.db import relax_statement_timeout
from masking.models import MaskingSession, VirtualNumber
from masking.services.sessions import session_close


def number_set_status(*, number: VirtualNumber, status: str) -> VirtualNumber:
    """Set a number's status. Retiring it closes its open sessions (reason: number retired).

    Unhealthy numbers keep serving the sessions they hold and get no new ones (allocation takes
    only active numbers), so only retirement touches sessions.
    """
    with transaction.atomic():
        relax_statement_timeout()
        number.status = status
        number.full_clean()
        number.save()
        if status == VirtualNumber.Status.RETIRED:
            for session in number.sessions.open().select_for_update():
                session_close(session=session, reason=MaskingSession.CloseReason.NUMBER_RETIRED)
    return number
