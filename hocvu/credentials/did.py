"""did:web identifiers and documents (W3C DID 1.0, did:web method)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from hocvu.credentials.jsonld import DID_V1, MULTIKEY_V1


def did_web(public_url: str) -> str:
    """``did:web:<host>`` for an installation's public address; a port is ``%3A``-encoded.
    The DID document is then served at ``<public_url>/.well-known/did.json``."""
    parts = urlsplit(public_url)
    if not parts.hostname:
        raise ValueError(f"PUBLIC_URL {public_url!r} has no host")
    host = parts.hostname
    if parts.port:
        host += ":" + str(parts.port)
    return "did:web:" + quote(host, safe="")


def document_url(did: str) -> str:
    """Where a did:web document lives (https, as the method requires)."""
    body = did.removeprefix("did:web:")
    segments = [s.replace("%3A", ":").replace("%3a", ":") for s in body.split(":")]
    if len(segments) == 1:
        return f"https://{segments[0]}/.well-known/did.json"
    return "https://" + "/".join(segments) + "/did.json"


def did_document(did: str, methods: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A DID document listing ``(key_id, publicKeyMultibase)`` as Multikey verification
    methods, each usable for assertions (issuing credentials)."""
    verification = [
        {
            "id": f"{did}#{key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": multikey,
        }
        for key_id, multikey in methods
    ]
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": verification,
        "assertionMethod": [m["id"] for m in verification],
    }


def verification_method(document: dict[str, Any], method_id: str) -> dict[str, Any] | None:
    """One verification method of a DID document, as a stand-alone JSON-LD object."""
    for method in document.get("verificationMethod", []):
        if method.get("id") == method_id:
            return {"@context": MULTIKEY_V1, **method}
    return None
