"""Connecting one pool's 8x8 sub-account: what `connect_8x8 --pool NAME` and the admin's connect
page of a pool both run.

A pool other than the deployment's (and the deployment's once it holds a credential of its own)
gets a new webhook credential on each run: generated here, registered with 8x8 as the five
webhooks' httpAuthHeader, and kept only as a hash (nobody ever sees it; 8x8 never shows the one
it has). The deployment's pool without one keeps WEBHOOK_AUTH_HEADER, as before pools.

8x8 will not delete a VNU webhook, so a second run cannot give it the new credential: the pool
keeps the hash of the credential its VNU webhook was registered with, accepted on the number
updates' route only (`Pool.accepts_webhook(..., number_updates=True)`).
"""

import secrets

from django.conf import settings

from callflows.connection import RecordingTarget, Report, connect
from callflows.voice_api import VoiceApi
from masking.models import Pool


def connect_pool(
    *, pool: Pool, base_url: str, dry_run: bool = False, force: bool = False, keep_dialect=False
) -> Report:
    """Connect `pool`'s sub-account with its own API key (VoiceApiError before any write)."""
    auth_header = settings.WEBHOOK_AUTH_HEADER
    if not (pool.is_deployment_pool and not pool.webhook_credential_hash):
        auth_header, force = f"Bearer {secrets.token_urlsafe(32)}", True
    with VoiceApi.for_pool(pool) as api:
        return connect(
            api=api,
            base_url=base_url or "",
            auth_header=auth_header,
            recording=RecordingTarget.from_settings(),
            dry_run=dry_run,
            force=force,
            keep_dialect=keep_dialect,
            pool=pool,
            before_webhooks=lambda registering: keep_credential(
                pool, auth_header, number_updates="VNU" in registering
            ),
        )


def keep_credential(pool: Pool, auth_header: str, *, number_updates: bool) -> None:
    """The pool's webhooks accept the new credential from now on (only its hash is kept).
    `number_updates`: the VNU webhook is being registered with it too. Otherwise the VNU webhook
    already there keeps its credential (8x8 will not delete it), and so does the pool's copy."""
    if auth_header == settings.WEBHOOK_AUTH_HEADER and pool.is_deployment_pool:
        return
    pool.set_webhook_credential(auth_header, number_updates=number_updates)
    pool.save(
        update_fields=["webhook_credential_hash", "number_update_credential_hash", "updated_at"]
    )
