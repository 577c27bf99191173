"""Personal-data protection: field encryption and keyed blind indexes.

A national ID number is stored as ``v1:<key id>:<base64url(nonce || ciphertext)>`` under
AES-256-GCM, with the field's name as associated data so a ciphertext cannot be moved to
another field. Lookups use a blind index, HMAC-SHA256 of the normalized value under a
separate key: equal values give equal indexes, and the index reveals nothing without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "v1"


class DecryptionError(ValueError):
    """The stored value cannot be decrypted with any configured key."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(secret: str, purpose: bytes) -> bytes:
    """Turn a configured secret of any length into a 32-byte key for one purpose."""
    return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()


@cache
def _keys() -> tuple[tuple[str, bytes], ...]:
    keys = []
    for secret in settings.FIELD_ENCRYPTION_KEYS:
        key = _derive(secret, b"hocvu field encryption")
        key_id = hashlib.sha256(key).hexdigest()[:8]
        keys.append((key_id, key))
    if not keys:
        raise RuntimeError("HOCVU_FIELD_ENCRYPTION_KEYS is empty")
    return tuple(keys)


def clear_key_cache() -> None:
    """Forget derived keys (after settings change, e.g. in tests of key rotation)."""
    _keys.cache_clear()


def encrypt(plaintext: str, context: str) -> str:
    """Encrypt ``plaintext`` with the newest key; ``context`` names the field."""
    key_id, key = _keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{PREFIX}:{key_id}:{token}"


def decrypt(stored: str, context: str) -> str:
    """Decrypt a value written by :func:`encrypt` with whichever configured key made it."""
    try:
        prefix, key_id, token = stored.split(":", 2)
    except ValueError as exc:
        raise DecryptionError("not an encrypted value") from exc
    if prefix != PREFIX:
        raise DecryptionError(f"unknown format {prefix!r}")
    raw = _b64decode(token)
    for candidate_id, key in _keys():
        if candidate_id == key_id:
            try:
                return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode()
            except Exception as exc:  # InvalidTag: tampered or wrong context
                raise DecryptionError("ciphertext does not authenticate") from exc
    raise DecryptionError(f"no configured key {key_id!r}")


def blind_index(value: str, context: str) -> str:
    """Keyed, deterministic index of ``value`` for equality lookups."""
    key = _derive(settings.BLIND_INDEX_KEY, b"hocvu blind index")
    mac = hmac.new(key, f"{context}\x00{value}".encode(), hashlib.sha256)
    return mac.hexdigest()


def mask(value: str, visible: int = 3) -> str:
    """Show only the last ``visible`` characters, e.g. for a person checking their own record."""
    if len(value) <= visible:
        return "*" * len(value)
    return "*" * (len(value) - visible) + value[-visible:]
