"""JSON-LD with bundled contexts only: canonicalization for Data Integrity proofs, offline.

The contexts a credential may use are data files in ``contexts/`` (see its README for their
origin). The document loader serves those and nothing else: any other URL is an error, so
signing and verifying never touch the network, and a credential that needs an unknown context
cannot be verified here.

Canonicalization is RDFC-1.0 (W3C RDF Dataset Canonicalization). pyld implements its
predecessor URDNA2015, whose output is identical except for how a few control characters are
escaped in N-Quads literals; :func:`clean_text` keeps such characters out of the documents we
sign, and :func:`canonize` refuses input that contains them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"

FILES = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-context-3.0.3.json",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
    DID_V1: "did-v1.jsonld",
    "https://w3id.org/did/v1": "did-v1.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
}

# Characters whose N-Quads escaping differs between URDNA2015 (pyld) and RDFC-1.0.
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")


class ContextError(ValueError):
    """A document refers to a JSON-LD context that is not bundled."""


class CanonicalizationError(ValueError):
    """A document cannot be canonicalized (bad JSON-LD, or characters we refuse to sign)."""


@cache
def bundled(url: str) -> dict[str, Any]:
    try:
        name = FILES[url]
    except KeyError:
        raise ContextError(
            f"JSON-LD context {url!r} is not bundled; only {sorted(set(FILES))} are served"
        ) from None
    data: dict[str, Any] = json.loads((CONTEXTS_DIR / name).read_text(encoding="utf-8"))
    return data


def document_loader(url: str, options: Any = None) -> dict[str, Any]:
    """pyld document loader: bundled contexts only, never the network."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": bundled(url),
        "contentType": "application/ld+json",
    }


def clean_text(value: str) -> str:
    """Replace control characters (tabs, form feeds, ...) by spaces; keep line breaks."""
    return _CONTROL.sub(" ", value.replace("\r\n", "\n"))


def canonize(document: dict[str, Any]) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    try:
        nquads: str = jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": document_loader,
                "safe": True,
            },
        )
    except ContextError:
        raise
    except Exception as exc:  # pyld raises JsonLdError, but also ValueError, TypeError, ...
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ContextError):
                raise cause from exc
            cause = getattr(cause, "cause", None) or cause.__cause__
        raise CanonicalizationError(f"not valid JSON-LD: {exc}") from exc
    if _CONTROL.search(nquads.replace("\\t", "\t")):
        raise CanonicalizationError("control characters in literals are not supported")
    return nquads
