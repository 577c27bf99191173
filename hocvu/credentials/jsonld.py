"""JSON-LD with bundled contexts only: canonicalization for Data Integrity proofs, offline.

The contexts a credential may use are data files in ``contexts/`` (see its README for their
origin). The document loader serves those and nothing else: any other URL is an error, so
signing and verifying never touch the network, and a credential that needs an unknown context
cannot be verified here.

Canonicalization is RDFC-1.0 (W3C RDF Dataset Canonicalization). pyld implements its
predecessor URDNA2015, whose output is identical except for how a few control characters are
escaped in N-Quads literals; :func:`clean_text` keeps such characters out of the documents we
sign, and :func:`canonize` refuses input that contains them.

Canonicalization is exponential in the worst case: blank nodes that look alike (a small
clique of them) make the algorithm try every permutation, and a 3 KB credential cost 86 s
of CPU on the public verification API. :func:`canonize` therefore bounds the document's
size, its number of quads and blank nodes, and the work and time spent distinguishing
blank nodes; past a bound it raises :class:`TooComplexError`, which the API answers with
400 ``too_complex``. A credential we issue stays far inside every bound (tested).
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

from pyld import jsonld
from pyld.canon import URDNA2015

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


# Bounds on what is canonicalized. Our own credentials are ~10 KB with a few dozen quads,
# a handful of blank nodes, and blank nodes that first-degree hashing tells apart.
MAX_DOCUMENT_CHARS = 128_000
MAX_QUADS = 4_000
MAX_BLANK_NODES = 200
MAX_STEPS = 5_000  # N-degree hashing steps (related-node hashes and recursions)
TIME_BUDGET = 2.0  # seconds of canonicalization for one document


class TooComplexError(ValueError):
    """A document exceeds a canonicalization bound; it is refused, not verified."""


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


class _BoundedURDNA2015(URDNA2015):  # type: ignore[misc]
    """pyld's URDNA2015 with a step count and a deadline on N-degree hashing (the
    exponential part). Relies on pyld 3.3's method names (requirements pin it)."""

    def __init__(self, deadline: float) -> None:
        super().__init__()
        self.deadline = deadline
        self.steps = 0

    def _tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS or time.monotonic() > self.deadline:
            raise TooComplexError(
                "the credential's blank nodes are too alike to canonicalize within the limits"
            )

    def hash_n_degree_quads(self, id_: Any, issuer: Any) -> Any:
        self._tick()
        return super().hash_n_degree_quads(id_, issuer)

    def hash_related_blank_node(self, related: Any, quad: Any, issuer: Any, position: Any) -> Any:
        self._tick()
        return super().hash_related_blank_node(related, quad, issuer, position)


def check_size(document: Any) -> None:
    """Refuse a document too large to process (before any JSON-LD work)."""
    size = len(json.dumps(document, ensure_ascii=False, default=str))
    if size > MAX_DOCUMENT_CHARS:
        raise TooComplexError(
            f"the credential has {size} characters; at most {MAX_DOCUMENT_CHARS} are accepted"
        )


def _check_dataset(dataset: dict[str, list[dict[str, Any]]]) -> None:
    quads = [quad for triples in dataset.values() for quad in triples]
    if len(quads) > MAX_QUADS:
        raise TooComplexError(f"the credential has {len(quads)} statements; at most {MAX_QUADS}")
    blank = {
        part["value"]
        for quad in quads
        for part in quad.values()
        if isinstance(part, dict) and part.get("type") == "blank node"
    }
    blank |= {name for name in dataset if name.startswith("_:")}
    if len(blank) > MAX_BLANK_NODES:
        raise TooComplexError(
            f"the credential has {len(blank)} blank nodes; at most {MAX_BLANK_NODES}"
        )


def canonize(document: dict[str, Any]) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document, within the bounds above."""
    deadline = time.monotonic() + TIME_BUDGET
    check_size(document)
    try:
        dataset = jsonld.to_rdf(document, {"documentLoader": document_loader, "safe": True})
        _check_dataset(dataset)
        nquads: str = _BoundedURDNA2015(deadline).main(
            dataset, {"algorithm": "URDNA2015", "format": "application/n-quads"}
        )
    except (ContextError, TooComplexError):
        raise
    except Exception as exc:  # pyld raises JsonLdError, but also ValueError, TypeError, ...
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, ContextError | TooComplexError):
                raise cause from exc
            cause = getattr(cause, "cause", None) or cause.__cause__
        raise CanonicalizationError(f"not valid JSON-LD: {exc}") from exc
    if _CONTROL.search(nquads.replace("\\t", "\t")):
        raise CanonicalizationError("control characters in literals are not supported")
    return nquads
