"""W3C Bitstring Status List v1.0: the bitstring and its ``encodedList`` form.

Index 0 is the left-most (most significant) bit of the first byte. ``encodedList`` is the
multibase base64url (prefix ``u``, no padding) of the GZIP-compressed bitstring. A list holds
at least 131,072 entries (16 KiB uncompressed), the minimum the specification sets for
group privacy.
"""

from __future__ import annotations

import gzip
import zlib

from hocvu.credentials.multibase import EncodingError, decode_u, encode_u

MIN_ENTRIES = 131072
MAX_BYTES = 16 * 1024 * 1024  # refuse to inflate lists beyond 16 MiB


class StatusListError(ValueError):
    """An encoded list cannot be decoded, or an index is out of range."""


def empty(size: int = MIN_ENTRIES) -> bytes:
    if size < MIN_ENTRIES or size % 8:
        raise StatusListError(f"a status list holds a multiple of 8, at least {MIN_ENTRIES}")
    return bytes(size // 8)


def get_bit(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status index {index} outside the list of {len(bits) * 8}")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytes, index: int, value: bool = True) -> bytes:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"status index {index} outside the list of {len(bits) * 8}")
    out = bytearray(bits)
    mask = 0x80 >> (index % 8)
    out[index // 8] = (out[index // 8] | mask) if value else (out[index // 8] & ~mask)
    return bytes(out)


def encode(bits: bytes) -> str:
    """``encodedList`` of a bitstring (deterministic: the GZIP header has no timestamp)."""
    return encode_u(gzip.compress(bytes(bits), compresslevel=9, mtime=0))


def decode(encoded: str) -> bytes:
    try:
        compressed = decode_u(encoded)
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        bits = inflater.decompress(compressed, MAX_BYTES + 1)
    except (EncodingError, zlib.error) as exc:
        raise StatusListError(f"encodedList is not multibase base64url GZIP data: {exc}") from exc
    if len(bits) > MAX_BYTES or not inflater.eof:
        raise StatusListError("encodedList is too large or truncated")
    if len(bits) * 8 < MIN_ENTRIES:
        raise StatusListError(f"a status list must hold at least {MIN_ENTRIES} entries")
    return bits
