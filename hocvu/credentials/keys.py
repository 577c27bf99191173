"""Ed25519 keys: raw bytes, Multikey encoding, signing and verifying."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hocvu.credentials.multibase import ed25519_from_multikey, ed25519_multikey

_RAW = serialization.Encoding.Raw


def generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_to_text(key: Ed25519PrivateKey) -> str:
    """The 32-byte seed as hex (to be encrypted before storing)."""
    raw = key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return raw.hex()


def private_from_text(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))


def public_multikey(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return ed25519_multikey(public.public_bytes(_RAW, serialization.PublicFormat.Raw))


def public_from_multikey(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(ed25519_from_multikey(value))


def verify(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True
