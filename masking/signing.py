"""Signing what we POST to the business backend, per Standard Webhooks: one function for every
signed request (callbacks, and any other POST to the backend), so all of them rotate together.

During a secret's rotation both the new and the previous secret sign: `webhook-signature` is a
space-separated list (`v1,<sig> v1,<sig>`), and a receiver holding either secret finds the one
it can verify. Standard Webhooks' libraries already try every entry of the list.
"""

from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

USER_AGENT = "masking-callbacks/1"


def signature(*, secrets: Sequence[str], webhook_id: str, body: str, at: datetime) -> str:
    """`webhook-signature`: one `v1,<base64 HMAC-SHA256>` per secret, newest first."""
    if not secrets:
        raise ValueError("no signing secret is configured")
    return " ".join(Webhook(secret).sign(webhook_id, at, body) for secret in secrets)


def signed_headers(*, secrets: Sequence[str], webhook_id: str, body: str, at: datetime) -> dict:
    """The three Standard Webhooks headers. The timestamp is this attempt's, so a retry a day
    later still passes the receiver's five-minute freshness check; the id stays the same."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(secrets=secrets, webhook_id=webhook_id, body=body, at=at),
    }
