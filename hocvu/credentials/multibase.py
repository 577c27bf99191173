"""Multibase and Multikey encodings used by Data Integrity proofs and did:web keys.

* base58btc (Bitcoin alphabet), multibase prefix ``z``: proof values and public keys;
* base64url without padding, multibase prefix ``u``: the status list's ``encodedList``;
* Multikey Ed25519 public key: ``z`` + base58btc(0xed 0x01 || 32-byte raw key).
"""

from __future__ import annotations

import base64
import binascii

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
ED25519_PUB_HEADER = b"\xed\x01"  # multicodec ed25519-pub, varint encoded


class EncodingError(ValueError):
    """A value is not in the expected encoding."""


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        try:
            number = number * 58 + _INDEX[char]
        except KeyError:
            raise EncodingError(f"not base58btc: {char!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or any(c in text for c in "+/="):
        raise EncodingError("not base64url without padding")
    try:
        raw = text.encode("ascii").translate(_FROM_URLSAFE) + b"=" * (-len(text) % 4)
        return binascii.a2b_base64(raw, strict_mode=True)
    except (ValueError, TypeError) as exc:  # binascii.Error and UnicodeError are ValueErrors
        raise EncodingError("not base64url") from exc


def encode_z(data: bytes) -> str:
    """Multibase base58btc."""
    return "z" + b58encode(data)


def decode_z(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z"):
        raise EncodingError("multibase value must start with 'z' (base58btc)")
    return b58decode(text[1:])


def encode_u(data: bytes) -> str:
    """Multibase base64url (no padding)."""
    return "u" + b64url_encode(data)


def decode_u(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("u"):
        raise EncodingError("multibase value must start with 'u' (base64url)")
    return b64url_decode(text[1:])


def ed25519_multikey(raw_public_key: bytes) -> str:
    if len(raw_public_key) != 32:
        raise EncodingError("an Ed25519 public key has 32 bytes")
    return encode_z(ED25519_PUB_HEADER + raw_public_key)


def ed25519_from_multikey(value: str) -> bytes:
    data = decode_z(value)
    if len(data) != 34 or not data.startswith(ED25519_PUB_HEADER):
        raise EncodingError("not an Ed25519 Multikey public key")
    return data[2:]
