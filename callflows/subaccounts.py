"""Which pool (8x8 sub-account) a webhook request speaks for, and events it may not act on.

Each pool's webhooks carry its own credential (`Pool.accepts_webhook`): the deployment's pool,
WEBHOOK_AUTH_HEADER as before pools; any other, the credential connect_8x8 --pool registered for
it, of which only a hash is stored. A credential grants its pool: the events it carries act on
that pool's numbers and calls only.

Every 8x8 event names its `subAccountId`. An event naming a sub-account that is not its
credential's pool's (a webhook URL registered on several sub-accounts, a copied configuration, an
unknown sub-account) is stored, flagged with the sub-account it named, and not acted on: no
bridge, no call record filled in, no number changed, no callback. The deployment's pool without a
sub-account id (EIGHTX8_SUBACCOUNT_ID unset: 8x8 not connected) acts on any, as before pools.

The pools' credentials are read per process and kept CACHE_SECONDS (strangers' requests are
refused without a query); a pool saved in this process clears it at once, other processes see the
change within CACHE_SECONDS.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save

from masking.models import Pool

logger = logging.getLogger(__name__)
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Grant:
    """What a webhook credential opens: one pool, and the sub-account its events must name."""

    pool_id: int | None  # None: the deployment's pool, known by WEBHOOK_AUTH_HEADER alone
    subaccount: str  # "": any (the deployment's pool before 8x8 is connected)


class _Credentials:
    def __init__(self):
        self.clear()

    def clear(self, **_signal) -> None:
        self.pools: list[Pool] = []
        self.expires = 0.0

    def get(self) -> list[Pool]:
        now = time.monotonic()
        if now >= self.expires:
            try:
                self.load(now)
            except DatabaseError:
                # The database is what failed: what we knew last, and the deployment's header
                # still known from the environment, so the Call Action reaches its apology.
                logger.warning("could not read the pools' webhook credentials")
        return self.pools

    def load(self, now: float) -> None:
        pools = list(
            Pool.objects.only(
                "pk",
                "is_deployment_pool",
                "subaccount_id",
                "webhook_credential_hash",
                "number_update_credential_hash",
            )
        )
        if not any(pool.is_deployment_pool for pool in pools):
            # Creating it clears this cache (post_save): kept only once made.
            pools.append(Pool.objects.deployment())
        self.pools, self.expires = pools, now + CACHE_SECONDS


credentials = _Credentials()
post_save.connect(credentials.clear, sender=Pool, dispatch_uid="callflows.subaccounts")
post_delete.connect(credentials.clear, sender=Pool, dispatch_uid="callflows.subaccounts.delete")


def webhook_grant(authorization: str, *, number_updates: bool = False) -> Grant | None:
    """The pool `authorization` is the webhook credential of, or None. Every pool is compared
    (in constant time each), none skipped on a match, so timing tells nothing.
    `number_updates`: the VNU webhook's request, which may carry the credential that webhook
    was registered with (`Pool.number_update_credential_hash`)."""
    if not authorization:
        return None
    # The deployment's header needs no database (a call's only round trips stay its own two, and a
    # database that is down still gets the caller the apology in time).
    if Pool(is_deployment_pool=True).accepts_webhook(authorization):
        return Grant(pool_id=None, subaccount=settings.EIGHTX8_SUBACCOUNT_ID)
    granted = None
    for pool in credentials.get():
        if pool.accepts_webhook(authorization, number_updates=number_updates) and granted is None:
            granted = Grant(pool_id=pool.pk, subaccount=pool.effective_subaccount_id)
    return granted


def foreign_subaccount(payload, grant: Grant | None) -> str:
    """The sub-account `payload` names when it is not its credential's pool's, else ""."""
    connected = grant.subaccount if grant else settings.EIGHTX8_SUBACCOUNT_ID
    named = payload.get("subAccountId") if isinstance(payload, dict) else None
    if not connected or not isinstance(named, str) or not named or named == connected:
        return ""
    logger.warning(
        "8x8 event for sub-account %r, not the credential's %r: stored, not acted on",
        named[:60],
        connected,
    )
    return named[:60]


def not_acted_on(subaccount: str, grant: Grant | None = None) -> str:
    connected = grant.subaccount if grant else settings.EIGHTX8_SUBACCOUNT_ID
    return f"not applied: sent for 8x8 sub-account {subaccount}, not the connected {connected}"[
        :200
    ]
