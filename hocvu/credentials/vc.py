"""Securing and verifying Verifiable Credentials 2.0, without the database.

Two securing mechanisms, both Ed25519:

* Data Integrity proof, cryptosuite ``eddsa-rdfc-2022`` (W3C Data Integrity EdDSA
  Cryptosuites v1.0): SHA-256 of the RDFC-1.0 canonical proof options, followed by SHA-256 of
  the canonical document, signed; ``proofValue`` is multibase base58btc.
* VC-JWT as Open Badges 3.0 §8.2 profiles it: a JWS in compact form whose payload is the
  credential itself plus the registered claims ``iss`` (``issuer.id``), ``jti`` (``id``),
  ``sub`` (``credentialSubject.id``), ``nbf`` (``validFrom``) and ``exp`` (``validUntil``,
  when there is one); header ``alg`` ``EdDSA``, ``kid`` the verification method id, ``typ``
  ``JWT`` and nothing else. VC-JOSE-COSE verifiers accept it too (their ``typ``/``cty`` are
  SHOULDs and the claims agree with the credential). Tokens issued before that profile
  (``typ`` ``vc+jwt``, ``cty`` ``vc``, ``alg`` ``Ed25519``, no claims) still verify.
  See docs/decisions/0006-credential-format.md for the ``alg`` name.

Both paths compare the whole document: the JWT's payload must be exactly the credential, and
a JSON-LD credential must contain nothing its proof does not cover (a property no context
defines, a ``null``, a repeated array entry, an inline context), since JSON-LD processing
would drop or merge it before signing.

:func:`verify_forms` checks one credential given in either or both forms against a
:class:`Resolver` (our keys and status lists: from the database, or from files offline).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld as pyld_jsonld

from hocvu.credentials import jsonld, keys, status
from hocvu.credentials.multibase import EncodingError, b64url_decode, b64url_encode, decode_z
from hocvu.credentials.multibase import encode_z as _encode_z

CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_TYPE = "DataIntegrityProof"
JWT_ALG = "EdDSA"
JWT_ALGS_ACCEPTED = ("EdDSA", "Ed25519")
JWT_TYP = "JWT"
LEGACY_JWT_TYP = "vc+jwt"  # tokens issued before the OB 3.0 §8.2 profile
JWT_HEADERS = frozenset({"alg", "kid", "typ", "cty"})
#: OB 3.0 identity type (an ``ext:`` extension of IdentifierTypeEnum) of the holder's date
#: of birth, signed beside the name to tell two holders of the same name apart.
BIRTH_DATE_IDENTITY = "ext:dateOfBirth"
#: JWT claims that restate the credential (OB 3.0 §8.2); never part of the credential itself.
JWT_CLAIMS = ("iss", "jti", "sub", "nbf", "exp")

VALID = "valid"
REVOKED = "revoked"
TAMPERED = "tampered"
UNKNOWN_ISSUER = "unknown_issuer"
EXPIRED = "expired"
NOT_FOUND = "not_found"
INVALID = "invalid"
STATUSES = (VALID, REVOKED, TAMPERED, UNKNOWN_ISSUER, EXPIRED, NOT_FOUND, INVALID)


@dataclass(frozen=True)
class Verification:
    """The answer to "is this certificate genuine?"; ``reason`` is English for people."""

    status: str
    reason: str
    credential_id: str | None = None
    subject_name: str = ""
    achievement_name: str = ""
    issued_at: datetime | None = None
    issuer: str = ""
    key_id: str = ""
    checks: tuple[str, ...] = field(default=(), compare=False)  # what was checked

    @property
    def ok(self) -> bool:
        return self.status == VALID


@dataclass(frozen=True)
class KeyInfo:
    """A public key of the issuer as its DID document (or our database) publishes it."""

    id: str  # verification method id, did:web:...#key
    controller: str
    public_key: Ed25519PublicKey
    revoked: bool = False


class Resolver(Protocol):
    def key(self, verification_method: str) -> KeyInfo | None: ...

    def status_bit(self, entry: Mapping[str, Any]) -> bool | None:
        """True when the entry's bit is set; None when no list is available."""
        ...


class VerificationFailed(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------


def xsd_datetime(moment: datetime) -> str:
    """``2026-05-01T08:30:00Z`` (UTC, whole seconds)."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------
# Data Integrity: eddsa-rdfc-2022
# ---------------------------------------------------------------------------


def _hash_data(document: Mapping[str, Any], proof_options: Mapping[str, Any]) -> bytes:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof_options.items() if k != "proofValue"}
    config["@context"] = unsecured.get("@context")
    config_hash = hashlib.sha256(jsonld.canonize(config).encode("utf-8")).digest()
    document_hash = hashlib.sha256(jsonld.canonize(unsecured).encode("utf-8")).digest()
    return config_hash + document_hash


def add_di_proof(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """The document with a ``DataIntegrityProof`` (eddsa-rdfc-2022, assertionMethod)."""
    options: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xsd_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.sign(_hash_data(document, options))
    secured = {k: v for k, v in document.items() if k != "proof"}
    secured["proof"] = {**options, "proofValue": _encode_z(signature)}
    return secured


def _di_proof(document: Mapping[str, Any]) -> dict[str, Any]:
    proof = document.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise VerificationFailed(INVALID, "expected exactly one Data Integrity proof")
        proof = proof[0]
    if not isinstance(proof, dict):
        raise VerificationFailed(INVALID, "the credential has no Data Integrity proof")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise VerificationFailed(
            INVALID, f"unsupported proof: only {PROOF_TYPE} with {CRYPTOSUITE} is accepted"
        )
    if proof.get("proofPurpose") != "assertionMethod":
        raise VerificationFailed(TAMPERED, "the proof's purpose is not assertionMethod")
    for name in ("verificationMethod", "proofValue", "created"):
        if not isinstance(proof.get(name), str):
            raise VerificationFailed(INVALID, f"the proof has no {name}")
    if parse_datetime(proof["created"]) is None:
        raise VerificationFailed(TAMPERED, "the proof's creation date is not a date")
    if "@context" in proof and proof["@context"] != document.get("@context"):
        raise VerificationFailed(TAMPERED, "the proof's @context differs from the credential's")
    return proof


def check_di_signature(document: Mapping[str, Any], public_key: Ed25519PublicKey) -> None:
    proof = _di_proof(document)
    try:
        signature = decode_z(proof["proofValue"])
    except EncodingError:
        raise VerificationFailed(TAMPERED, "the proof value is not multibase base58btc") from None
    try:
        data = _hash_data(document, proof)
    except jsonld.ContextError as exc:
        raise VerificationFailed(INVALID, str(exc)) from None
    except jsonld.CanonicalizationError as exc:
        raise VerificationFailed(
            TAMPERED, f"the credential cannot be canonicalized: {exc}"
        ) from None
    if len(signature) != 64 or not keys.verify(public_key, signature, data):
        raise VerificationFailed(
            TAMPERED, "the Data Integrity signature does not match the credential's content"
        )


# ---------------------------------------------------------------------------
# VC-JWT
# ---------------------------------------------------------------------------


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _epoch(value: Any) -> int | None:
    moment = parse_datetime(value)
    return int(moment.timestamp()) if moment is not None else None


def _subject_id(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    value = subject.get("id") if isinstance(subject, dict) else None
    return value if isinstance(value, str) else None


def jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The registered claims OB 3.0 §8.2 derives from a credential."""
    claims: dict[str, Any] = {"iss": _issuer_id(credential), "jti": credential.get("id")}
    subject = _subject_id(credential)
    if subject is not None:
        claims["sub"] = subject
    claims["nbf"] = _epoch(credential.get("validFrom"))
    if credential.get("validUntil") is not None:
        claims["exp"] = _epoch(credential.get("validUntil"))
    return claims


def sign_jwt(
    credential: Mapping[str, Any], private_key: Ed25519PrivateKey, verification_method: str
) -> str:
    """The credential (without embedded proof) as a compact JWS (OB 3.0 §8.2)."""
    header = {"alg": JWT_ALG, "kid": verification_method, "typ": JWT_TYP}
    unsecured = {k: v for k, v in credential.items() if k != "proof"}
    payload = {**jwt_claims(unsecured), **unsecured}
    signing_input = b64url_encode(_json_bytes(header)) + "." + b64url_encode(_json_bytes(payload))
    signature = private_key.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


@dataclass(frozen=True)
class DecodedJwt:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def looks_like_jwt(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 3 and all(parts[:2]) and text[:2] == "ey"


def decode_jwt(token: str) -> DecodedJwt:
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise VerificationFailed(INVALID, "a VC-JWT has three dot-separated parts")
    try:
        header = json.loads(b64url_decode(parts[0]).decode("utf-8"))
        payload = json.loads(b64url_decode(parts[1]).decode("utf-8"))
        signature = b64url_decode(parts[2])
    except (EncodingError, ValueError):
        raise VerificationFailed(TAMPERED, "the VC-JWT is not valid base64url JSON") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise VerificationFailed(TAMPERED, "the VC-JWT header and payload must be JSON objects")
    return DecodedJwt(header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def check_jwt_signature(jwt: DecodedJwt, public_key: Ed25519PublicKey) -> None:
    header = jwt.header
    if header.get("alg") not in JWT_ALGS_ACCEPTED:
        raise VerificationFailed(TAMPERED, f"unsupported JWT alg {header.get('alg')!r}")
    if header.get("typ") not in (JWT_TYP, LEGACY_JWT_TYP):
        raise VerificationFailed(TAMPERED, f"the JWT typ is not {JWT_TYP!r}")
    if "cty" in header and (header.get("typ") != LEGACY_JWT_TYP or header["cty"] != "vc"):
        raise VerificationFailed(TAMPERED, "unexpected JWT cty header")
    if set(header) - JWT_HEADERS:
        raise VerificationFailed(TAMPERED, "unsupported JWT header parameters")
    if len(jwt.signature) != 64 or not keys.verify(public_key, jwt.signature, jwt.signing_input):
        raise VerificationFailed(TAMPERED, "the VC-JWT signature does not match its content")


def jwt_credential(jwt: DecodedJwt) -> dict[str, Any]:
    """The credential a verified VC-JWT carries: its payload without the registered claims,
    which must each restate the credential exactly (OB 3.0 §8.2: ``iss``, ``jti``, ``nbf``
    and ``sub`` required; ``exp`` when the credential expires)."""
    payload = jwt.payload
    if "vc" in payload or "vp" in payload:
        raise VerificationFailed(INVALID, "a VC 2.0 JWT carries the credential, not a vc claim")
    credential = {k: v for k, v in payload.items() if k not in JWT_CLAIMS}
    expected = jwt_claims(credential)
    legacy = jwt.header.get("typ") == LEGACY_JWT_TYP
    for name in JWT_CLAIMS:
        if name in payload:
            if payload[name] != expected.get(name) or name not in expected:
                raise VerificationFailed(
                    TAMPERED, f"the JWT claim {name} does not match the credential"
                )
        elif name in expected and not legacy:
            raise VerificationFailed(TAMPERED, f"the VC-JWT has no {name} claim")
    return credential


# ---------------------------------------------------------------------------
# The whole document is signed
# ---------------------------------------------------------------------------


def _walk_plain(value: Any, where: str) -> None:
    if value is None:
        raise VerificationFailed(TAMPERED, f"{where} is null: a null is not signed")
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.startswith("@") and key != "@context":
                raise VerificationFailed(TAMPERED, f"unexpected keyword {key} in {where}")
            if key != "@context":
                _walk_plain(inner, f"{where}.{key}")
    elif isinstance(value, list):
        seen: set[str] = set()
        for index, inner in enumerate(value):
            fingerprint = json.dumps(inner, sort_keys=True, ensure_ascii=False)
            if fingerprint in seen:
                raise VerificationFailed(TAMPERED, f"{where}[{index}] repeats an entry")
            seen.add(fingerprint)
            _walk_plain(inner, f"{where}[{index}]")


def check_whole_document(document: Mapping[str, Any]) -> None:
    """Refuse what a Data Integrity proof cannot cover: JSON-LD processing drops a property
    no context defines, a ``null`` and unknown keywords, and merges repeated entries, so
    such additions would leave the signed graph unchanged. Inline contexts could change how
    the same JSON reads; only bundled context URLs are accepted."""
    contexts = document.get("@context")
    if not isinstance(contexts, list) or not all(
        isinstance(c, str) and c in jsonld.FILES for c in contexts
    ):
        raise VerificationFailed(TAMPERED, "the @context must be a list of known context URLs")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    _walk_plain(unsecured, "credential")
    dropped: list[str] = []
    try:
        pyld_jsonld.expand(
            unsecured,
            {"documentLoader": jsonld.document_loader},
            on_property_dropped=lambda name: dropped.append(str(name)),
        )
    except Exception:  # pyld raises JsonLdError, ValueError, TypeError, ...
        raise VerificationFailed(TAMPERED, "the credential is not valid JSON-LD") from None
    if dropped:
        raise VerificationFailed(
            TAMPERED, f"the credential has properties its proof does not cover: {dropped[:5]}"
        )


# ---------------------------------------------------------------------------
# Verification of a credential in one or both forms
# ---------------------------------------------------------------------------


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else ""


def _resolve_key(resolver: Resolver, method: str) -> KeyInfo:
    info = resolver.key(method)
    if info is None:
        raise VerificationFailed(UNKNOWN_ISSUER, f"the signing key {method} is not one of ours")
    if info.revoked:
        raise VerificationFailed(UNKNOWN_ISSUER, f"the signing key {method} has been revoked")
    return info


def summary(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The human-facing facts of an Open Badges credential (best effort, never raises)."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    name = ""
    identifiers = subject.get("identifier")
    for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
        if (
            isinstance(ident, dict)
            and ident.get("identityType") == "name"
            and not ident.get("hashed")
        ):
            name = str(ident.get("identityHash", ""))
            break
    cid = credential.get("id")
    cid = cid if isinstance(cid, str) else None
    if cid and cid.startswith("urn:uuid:"):
        cid = cid[len("urn:uuid:") :]
    return {
        "credential_id": cid,
        "subject_name": name,
        "achievement_name": str(achievement.get("name", "")),
        "issued_at": parse_datetime(credential.get("validFrom")),
        "issuer": _issuer_id(credential),
    }


def verify_forms(
    *,
    resolver: Resolver,
    document: Mapping[str, Any] | None = None,
    jwt: str | None = None,
    now: datetime | None = None,
    expected_id: str | None = None,
) -> Verification:
    """Verify a credential given as JSON-LD with a proof, as a VC-JWT, or both (both must
    verify and carry the same credential)."""
    now = now or datetime.now(UTC)
    facts: dict[str, Any] = {}
    key_id = ""
    checks: list[str] = []
    try:
        if document is None and not jwt:
            raise VerificationFailed(INVALID, "no credential given")
        decoded = decode_jwt(jwt) if jwt else None
        credential: Mapping[str, Any]
        if document is not None:
            if not isinstance(document, Mapping):
                raise VerificationFailed(INVALID, "the credential is not a JSON object")
            credential = document
        else:
            assert decoded is not None
            credential = {k: v for k, v in decoded.payload.items() if k not in JWT_CLAIMS}
        facts = summary(credential)

        if document is not None:
            method = _di_proof(document)["verificationMethod"]
            info = _resolve_key(resolver, method)
            key_id = info.id
            check_di_signature(document, info.public_key)
            check_whole_document(document)
            checks.append("data integrity proof (eddsa-rdfc-2022)")
        if decoded is not None:
            kid = decoded.header.get("kid")
            if not isinstance(kid, str):
                raise VerificationFailed(INVALID, "the VC-JWT header has no kid")
            info = _resolve_key(resolver, kid)
            key_id = key_id or info.id
            check_jwt_signature(decoded, info.public_key)
            carried = jwt_credential(decoded)
            checks.append(f"VC-JWT signature ({decoded.header.get('alg')})")
            if document is not None:
                unsecured = {k: v for k, v in document.items() if k != "proof"}
                if unsecured != carried:
                    raise VerificationFailed(
                        TAMPERED, "the JSON-LD credential and the VC-JWT differ"
                    )
                checks.append("both forms carry the same credential")

        if _issuer_id(credential) != info.controller or not info.id.startswith(
            info.controller + "#"
        ):
            raise VerificationFailed(
                UNKNOWN_ISSUER, "the credential's issuer is not the controller of its signing key"
            )
        types = credential.get("type")
        contexts = credential.get("@context")
        if (
            not isinstance(types, list)
            or "VerifiableCredential" not in types
            or not isinstance(contexts, list)
            or not contexts
            or contexts[0] != jsonld.VC_V2
        ):
            raise VerificationFailed(INVALID, "not a Verifiable Credential 2.0")
        if expected_id is not None and facts.get("credential_id") != expected_id:
            raise VerificationFailed(TAMPERED, "the credential's id is not the one looked up")

        valid_from = parse_datetime(credential.get("validFrom"))
        if valid_from is None:
            raise VerificationFailed(INVALID, "the credential has no valid validFrom date")
        if valid_from > now:
            raise VerificationFailed(INVALID, "the credential is not valid yet")

        entry = credential.get("credentialStatus")
        status_checked = False
        if entry is not None:
            if (
                not isinstance(entry, dict)
                or entry.get("type") != "BitstringStatusListEntry"
                or entry.get("statusPurpose") != "revocation"
            ):
                raise VerificationFailed(INVALID, "unsupported credentialStatus")
            try:
                bit = resolver.status_bit(entry)
            except status.StatusListError as exc:
                raise VerificationFailed(INVALID, f"revocation status: {exc}") from None
            if bit:
                raise VerificationFailed(REVOKED, "the issuer has revoked this certificate")
            status_checked = bit is not None
            if status_checked:
                checks.append("revocation status list")

        valid_until = credential.get("validUntil")
        if valid_until is not None:
            until = parse_datetime(valid_until)
            if until is None:
                raise VerificationFailed(INVALID, "validUntil is not a date")
            if until < now:
                raise VerificationFailed(EXPIRED, f"the certificate expired on {valid_until}")
        reason = "signature valid, issued by " + _issuer_id(credential)
        if entry is not None and not status_checked:
            reason += "; revocation status not checked (no status list available)"
        return Verification(VALID, reason, key_id=key_id, checks=tuple(checks), **facts)
    except VerificationFailed as failure:
        return Verification(
            failure.status, failure.reason, key_id=key_id, checks=tuple(checks), **facts
        )


# ---------------------------------------------------------------------------
# Resolver from published documents (offline verification)
# ---------------------------------------------------------------------------


class DocumentResolver:
    """Keys from a DID document and revocation bits from status list credentials.

    Status list credentials are themselves verified (Data Integrity proof by a key of the same
    DID document) before their bits are trusted."""

    def __init__(
        self,
        did_document: Mapping[str, Any],
        status_lists: list[Mapping[str, Any]] | None = None,
    ) -> None:
        self.keys: dict[str, KeyInfo] = {}
        did = did_document.get("id", "")
        assertion = {
            m if isinstance(m, str) else m.get("id")
            for m in did_document.get("assertionMethod", [])
        }
        for method in did_document.get("verificationMethod", []):
            if not isinstance(method, dict) or method.get("type") != "Multikey":
                continue
            if method.get("id") not in assertion or method.get("controller") != did:
                continue
            try:
                public = keys.public_from_multikey(method["publicKeyMultibase"])
            except (KeyError, ValueError):
                continue
            self.keys[method["id"]] = KeyInfo(method["id"], did, public)
        self.lists: dict[str, bytes] = {}
        for item in status_lists or []:
            self.add_status_list(item)

    def key(self, verification_method: str) -> KeyInfo | None:
        return self.keys.get(verification_method)

    def add_status_list(self, credential: Mapping[str, Any]) -> None:
        result = verify_forms(resolver=self, document=credential)
        if result.status != VALID:
            raise status.StatusListError(f"the status list credential fails: {result.reason}")
        subject = credential.get("credentialSubject")
        if not isinstance(subject, dict) or subject.get("type") != "BitstringStatusList":
            raise status.StatusListError("not a BitstringStatusListCredential")
        self.lists[str(credential.get("id"))] = status.decode(str(subject.get("encodedList")))

    def status_bit(self, entry: Mapping[str, Any]) -> bool | None:
        bits = self.lists.get(str(entry.get("statusListCredential")))
        if bits is None:
            return None
        return status.get_bit(bits, status_index(entry))


def status_index(entry: Mapping[str, Any]) -> int:
    raw = entry.get("statusListIndex")
    if not isinstance(raw, str) or not raw.isdigit():
        raise status.StatusListError("statusListIndex must be a decimal string")
    return int(raw)
