"""Writing pools: their rules and secrets, each change in the pool's history (the audit trail)."""

from django.db import transaction

from masking.models import Pool
from masking.services.audit import audit_record, audit_value

SECRETS = {
    "api_key_encrypted": "API key",
    "webhook_credential_hash": "webhook credential",
    "callback_secret_encrypted": "callback signing secret",
}


def pool_save(
    *,
    pool: Pool,
    changed: list[str],
    api_key: str = "",
    webhook_credential: str = "",
    callback_secret: str = "",
    actor=None,
    via: str,
) -> Pool:
    """Validate and save `pool` (`changed`: the fields staff changed), storing a new API key and
    callback signing secret encrypted and a new webhook credential hashed when given. The
    history names what changed, with values, except secrets: only that they were replaced."""
    if api_key:
        pool.set_api_key(api_key)
    if webhook_credential:
        pool.set_webhook_credential(webhook_credential)
    if callback_secret:
        pool.set_callback_secret(callback_secret)
    pool.full_clean()
    adding = pool._state.adding
    with transaction.atomic():
        pool.save()
        changes = {
            field: audit_value(getattr(pool, field)) for field in changed if field != "users"
        }
        if api_key:
            changes[SECRETS["api_key_encrypted"]] = "replaced"
        if webhook_credential:
            changes[SECRETS["webhook_credential_hash"]] = "replaced"
        if callback_secret:
            changes[SECRETS["callback_secret_encrypted"]] = "replaced"
        audit_record(
            obj=pool, action="created" if adding else "changed", via=via, actor=actor,
            changes=changes,
        )  # fmt: skip
    return pool


def pool_catalogue_record(*, pool: Pool, catalogue: frozenset[str], dialect: str, reason: str):
    """What connect_8x8 read of `pool`'s sub-account's voice catalogue, and the dialect `auto`
    chose from it: the pool's calls speak it from their next call (read with their facts)."""
    from django.utils import timezone

    pool.voice_catalogue = sorted(catalogue)
    pool.catalogue_dialect = dialect
    pool.catalogue_dialect_reason = reason[:400]
    pool.catalogue_read_at = timezone.now()
    pool.full_clean()
    pool.save(
        update_fields=[
            "voice_catalogue", "catalogue_dialect", "catalogue_dialect_reason",
            "catalogue_read_at", "updated_at",
        ]
    )  # fmt: skip
    return pool
