"""Events 8x8 sends for a sub-account other than the connected one.

Every 8x8 event names its `subAccountId`. A deployment is connected to one sub-account
(EIGHTX8_SUBACCOUNT_ID); an event naming another (a webhook URL registered on several
sub-accounts, a copied configuration) is stored, flagged with the sub-account it named, and not
acted on: no bridge, no call record filled in, no number changed, no callback. Until routing by
sub-account exists, that is the only safe reading. Without EIGHTX8_SUBACCOUNT_ID (8x8 not
connected) or without a `subAccountId` in the event, events are acted on as before.
"""

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def foreign_subaccount(payload) -> str:
    """The sub-account `payload` names when it is not the connected one, else ""."""
    connected = settings.EIGHTX8_SUBACCOUNT_ID
    named = payload.get("subAccountId") if isinstance(payload, dict) else None
    if not connected or not isinstance(named, str) or not named or named == connected:
        return ""
    logger.warning(
        "8x8 event for sub-account %r, not the connected %r: stored, not acted on",
        named[:60],
        connected,
    )
    return named[:60]


def not_acted_on(subaccount: str) -> str:
    return (
        f"not applied: sent for 8x8 sub-account {subaccount}, "
        f"not the connected {settings.EIGHTX8_SUBACCOUNT_ID}"
    )[:200]
