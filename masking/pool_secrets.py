"""A pool's secrets at rest: its 8x8 API key encrypted, its webhook credential hashed.

The API key must be read back (to call 8x8), so it is encrypted with Fernet (AES-128-CBC and
HMAC-SHA256, from `cryptography`), keyed with MASKING_POOL_SECRETS_KEY. The webhook credential
need only be recognised, so only its SHA-256 is stored: it is a random secret of at least 16
characters (masking.E007's rule), so a plain hash of it cannot be reversed by guessing.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = settings.MASKING_POOL_SECRETS_KEY
    try:
        return Fernet(key)
    except ValueError:
        # Not a Fernet key (the default: SECRET_KEY): one is derived from it.
        digest = hashlib.sha256(f"masking.pool-secrets:{key}".encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    """The text; "" when there is none or the key changed since (the key must then be entered
    again)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


def credential_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest() if value else ""


def credential_matches(given: str, stored_hash: str) -> bool:
    """Constant time: the comparison does not stop at the first differing byte."""
    if not stored_hash:
        return False
    return hmac.compare_digest(credential_hash(given).encode(), stored_hash.encode())
