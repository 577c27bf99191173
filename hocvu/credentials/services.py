"""Certificates: issuing, revoking and verifying Open Badges 3.0 credentials.

Each certificate is a W3C Verifiable Credential 2.0 of type ``OpenBadgeCredential``, secured
twice with the issuer's Ed25519 key: a Data Integrity proof (``eddsa-rdfc-2022``) on the
JSON-LD document and a VC-JWT of the same credential. The issuer is ``did:web:<host>``; its
DID document lists every key that is not revoked, so certificates signed before a key rotation
keep verifying. Revocation is a bit in a W3C Bitstring Status List credential.

See ``docs/verifying-certificates.md`` and ``docs/decisions/0006-credential-format.md``.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hocvu.audit import crypto
from hocvu.audit import services as audit
from hocvu.credentials import did as didweb
from hocvu.credentials import jsonld, keys, pdfembed, status
from hocvu.credentials.models import (
    Achievement,
    Credential,
    EidOutbox,
    IssuerIdentifier,
    IssuerKey,
    StatusList,
)
from hocvu.credentials.vc import (
    BIRTH_DATE_IDENTITY,
    EXPIRED,
    INVALID,
    JWT_CLAIMS,
    NOT_FOUND,
    REVOKED,
    TAMPERED,
    VALID,
    KeyInfo,
    Verification,
    add_di_proof,
    decode_jwt,
    looks_like_jwt,
    sign_jwt,
    verify_forms,
    xsd_datetime,
)
from hocvu.identity import access

__all__ = [
    "Verification",
    "active_key",
    "credential_document",
    "credential_url",
    "did_document",
    "issue_credential",
    "issuer_did",
    "revoke_credential",
    "revoke_key",
    "rotate_key",
    "status_list_credential",
    "status_list_url",
    "verify",
]

PRIVATE_KEY_CONTEXT = "credentials_issuerkey.private_key"
DEFAULT_ISSUER_NAME = "Bình dân học vụ số – Quốc hội số"
STATUS_PATH = "/credentials/status/"
STATUS_TTL_MS = 60_000
# verifiers may cache a status list for a minute
_STRIDE = 0x9E3779B1  # odd: spreads consecutive slots over the list (a bijection mod 2**k)
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


# ---------------------------------------------------------------------------
# Issuer and keys
# ---------------------------------------------------------------------------


def public_url() -> str:
    return str(getattr(settings, "PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")


def issuer_did() -> str:
    """``did:web:<host>`` from ``PUBLIC_URL`` (a port is ``%3A``-encoded)."""
    return didweb.did_web(public_url())


def issuer_name() -> str:
    return str(getattr(settings, "CREDENTIAL_ISSUER_NAME", DEFAULT_ISSUER_NAME))


def verification_method(key: IssuerKey) -> str:
    return f"{issuer_did()}#{key.key_id}"


def record_issuer_identifier() -> str:
    """The current issuer DID, remembered as one we sign under (see :class:`IssuerIdentifier`)."""
    did = issuer_did()
    IssuerIdentifier.objects.get_or_create(did=did, defaults={"public_url": public_url()})
    return did


def is_our_did(did: str) -> bool:
    """Whether ``did`` is this installation's issuer identifier, now or at any earlier time."""
    return did == issuer_did() or IssuerIdentifier.objects.filter(did=did).exists()


def _our_public_urls() -> set[str]:
    urls = set(IssuerIdentifier.objects.values_list("public_url", flat=True))
    return {u.rstrip("/") for u in urls if u} | {public_url()}


def did_for_host(host: str, secure: bool) -> str:
    """The issuer DID a request for ``host``'s DID document asks about: an earlier identifier
    when the old domain still points here (a domain move), else the current one."""
    try:
        did = didweb.did_web(f"{'https' if secure else 'http'}://{host}")
    except ValueError:
        return issuer_did()
    return did if is_our_did(did) else issuer_did()


def _new_key() -> IssuerKey:
    private = keys.generate()
    now = timezone.now()
    key = IssuerKey.objects.create(
        key_id=f"key-{now:%Y%m%d}-{secrets.token_hex(4)}",
        public_key_multibase=keys.public_multikey(private),
        private_key_encrypted=crypto.encrypt(keys.private_to_text(private), PRIVATE_KEY_CONTEXT),
    )
    audit.record("credentials.key_create", obj=key, data={"key_id": key.key_id})
    return key


def active_key() -> IssuerKey:
    """The key that signs new credentials (created on first use)."""
    key = (
        IssuerKey.objects.filter(retired_at__isnull=True, revoked_at__isnull=True)
        .order_by("-created_at", "-pk")
        .first()
    )
    return key or _new_key()


@transaction.atomic
def rotate_key() -> IssuerKey:
    """Retire the signing key(s) and create a new one. Retired keys stay in the DID document,
    so what they signed still verifies."""
    now = timezone.now()
    for old in IssuerKey.objects.select_for_update().filter(
        retired_at__isnull=True, revoked_at__isnull=True
    ):
        old.retired_at = now
        old.save(update_fields=["retired_at"])
        audit.record("credentials.key_retire", obj=old, data={"key_id": old.key_id})
    return _new_key()


@transaction.atomic
def revoke_key(key: IssuerKey, *, actor: Any = None) -> IssuerKey:
    """A compromised key: it leaves the DID document and nothing it signed verifies."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.retired_at = key.retired_at or key.revoked_at
        key.save(update_fields=["revoked_at", "retired_at"])
        audit.record("credentials.key_revoke", actor=actor, obj=key, data={"key_id": key.key_id})
    return key


_private_cache: dict[str, Any] = {}


def _private_key(key: IssuerKey) -> Any:
    cached = _private_cache.get(key.private_key_encrypted)
    if cached is None:
        cached = keys.private_from_text(
            crypto.decrypt(key.private_key_encrypted, PRIVATE_KEY_CONTEXT)
        )
        _private_cache[key.private_key_encrypted] = cached
    return cached


def did_document(did: str | None = None) -> dict[str, Any]:
    """The did:web document of ``did`` (default: the current one; an earlier identifier of
    ours lists the same keys): every key that is not revoked (active and retired)."""
    rows = IssuerKey.objects.filter(revoked_at__isnull=True).order_by("created_at", "pk")
    return didweb.did_document(
        did or issuer_did(), [(k.key_id, k.public_key_multibase) for k in rows]
    )


# ---------------------------------------------------------------------------
# Status lists
# ---------------------------------------------------------------------------


def status_list_url(status_list: StatusList, base: str | None = None) -> str:
    return f"{base or public_url()}{STATUS_PATH}{status_list.pk}"


def _slot(status_list: StatusList) -> int:
    """The list index of the next credential: consecutive credentials get scattered indexes,
    so a position says nothing about the order of issue."""
    size = status_list.size
    stride = _STRIDE % size if math.gcd(_STRIDE, size) == 1 else 1
    return (status_list.next_index * stride + 7919) % size


def _take_slot() -> tuple[StatusList, int]:
    """A free index in the current revocation list (locked until the transaction ends)."""
    current = (
        StatusList.objects.select_for_update().filter(purpose="revocation").order_by("-pk").first()
    )
    if current is None or current.next_index >= current.size:
        current = StatusList.objects.create(
            purpose="revocation", size=status.MIN_ENTRIES, bits=status.empty(status.MIN_ENTRIES)
        )
        current = StatusList.objects.select_for_update().get(pk=current.pk)
    index = _slot(current)
    current.next_index += 1
    current.save(update_fields=["next_index", "updated_at"])
    return current, index


_status_cache: dict[tuple[int, str, str, str], dict[str, Any]] = {}


def status_list_credential(status_list: StatusList, did: str | None = None) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` of a list. Deterministic for a given list
    state and key (``validFrom`` and the proof's ``created`` are the list's last change), so
    it can be cached and served with ``Cache-Control: public, max-age=60``.

    ``did``: an earlier issuer identifier of ours (a domain move). Certificates signed under
    it point to its status list address, and verifiers require the list's issuer to be the
    certificate's: the list is then signed under that identifier, at that address."""
    key = active_key()
    stamp = xsd_datetime(status_list.updated_at)
    base = None
    if did is not None and did != issuer_did():
        base = IssuerIdentifier.objects.filter(did=did).values_list("public_url", flat=True).first()
        if base is None:
            did = None
    did = did or issuer_did()
    cache_key = (status_list.pk, stamp, key.key_id, did)
    bits = bytes(status_list.bits)
    encoded = status.encode(bits)
    cached = _status_cache.get(cache_key)
    if cached is not None and cached["credentialSubject"]["encodedList"] == encoded:
        return cached
    url = status_list_url(status_list, base.rstrip("/") if base else None)
    document = {
        "@context": [jsonld.VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": stamp,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": status_list.purpose,
            "encodedList": encoded,
            "ttl": STATUS_TTL_MS,
        },
    }
    signed = add_di_proof(
        document, _private_key(key), f"{did}#{key.key_id}", status_list.updated_at
    )
    if len(_status_cache) > 16:
        _status_cache.clear()
    _status_cache[cache_key] = signed
    return signed


# ---------------------------------------------------------------------------
# Issuing
# ---------------------------------------------------------------------------


def _alignments(achievement: Achievement) -> list[dict[str, Any]]:
    from hocvu.framework.case import entity_uri
    from hocvu.framework.models import CompetenceLevel, RoleTarget

    profile = achievement.role_profile
    version = profile.version
    framework = jsonld.clean_text(version.title)
    out = []
    targets = RoleTarget.objects.filter(profile=profile).select_related("competence")
    for target in sorted(targets, key=lambda t: (t.competence.code, t.level)):
        comp = target.competence
        level = CompetenceLevel.objects.filter(competence=comp, level=target.level).first()
        if level is None:
            continue
        out.append(
            {
                "type": ["Alignment"],
                "targetType": "CFItem",
                "targetUrl": entity_uri("CFItems", str(level.uuid)),
                "targetCode": f"{comp.code}-L{target.level}",
                "targetName": jsonld.clean_text(f"{comp.code} {comp.title} – mức {target.level}"),
                "targetFramework": framework,
            }
        )
    return out


def credential_document(
    *,
    credential_id: uuid.UUID,
    learner: Any,
    achievement: Achievement,
    issued_at: datetime,
    valid_until: datetime | None,
    status_list: StatusList,
    status_index: int,
) -> dict[str, Any]:
    """The unsigned Open Badges 3.0 credential."""
    did = issuer_did()
    name = jsonld.clean_text(learner.get_full_name() or learner.get_username())
    identifiers: list[dict[str, Any]] = [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": name}
    ]
    birth = getattr(learner, "date_of_birth", None)
    if birth is not None:
        # Tells two holders of the same name apart, as on a paper certificate (decision 0006).
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": BIRTH_DATE_IDENTITY,
                "hashed": False,
                "identityHash": birth.isoformat(),
            }
        )
    achievement_doc: dict[str, Any] = {
        "id": f"urn:uuid:{achievement.uid}",
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": jsonld.clean_text(achievement.name),
        "description": jsonld.clean_text(achievement.description or achievement.name),
        "criteria": {"narrative": jsonld.clean_text(achievement.criteria)},
        "humanCode": achievement.program.code,
        "inLanguage": "vi",
        "alignment": _alignments(achievement),
    }
    if achievement.name_en:
        achievement_doc["tag"] = [jsonld.clean_text(achievement.name_en)]
    status_url = status_list_url(status_list)
    document: dict[str, Any] = {
        "@context": [jsonld.VC_V2, jsonld.OB_V3],
        "id": f"urn:uuid:{credential_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": jsonld.clean_text(achievement.name),
        "issuer": {"id": did, "type": ["Profile"], "name": issuer_name(), "url": public_url()},
        "validFrom": xsd_datetime(issued_at),
        "credentialSubject": {
            # A new identifier per certificate (OB 3.0 §8.2 needs one for the JWT's ``sub``):
            # it names the holder of this certificate and links it to nothing else.
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": ["AchievementSubject"],
            "identifier": identifiers,
            "role": jsonld.clean_text(achievement.role_profile.title),
            "achievement": achievement_doc,
        },
        "credentialStatus": {
            "id": f"{status_url}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": status_url,
        },
    }
    if valid_until is not None:
        document["validUntil"] = xsd_datetime(valid_until)
    return document


def issue_credential(
    learner: Any,
    achievement: Achievement,
    *,
    issued_at: datetime | None = None,
    valid_until: datetime | None = None,
) -> Credential:
    """Issue (sign both forms, take a status slot, queue the e-ID push, audit). Idempotent:
    while the learner holds an unrevoked credential for the achievement, that one is returned."""
    issued_at = (issued_at or timezone.now()).replace(microsecond=0)
    if valid_until is not None:
        valid_until = valid_until.replace(microsecond=0)
    with transaction.atomic():
        status_list, index = _take_slot()  # the lock also serializes the idempotency check
        existing = (
            Credential.objects.filter(
                learner=learner, achievement=achievement, revoked_at__isnull=True
            )
            .order_by("issued_at")
            .first()
        )
        if existing is not None:
            transaction.set_rollback(True)
            return existing
        key = active_key()
        record_issuer_identifier()
        credential_id = uuid.uuid4()
        document = credential_document(
            credential_id=credential_id,
            learner=learner,
            achievement=achievement,
            issued_at=issued_at,
            valid_until=valid_until,
            status_list=status_list,
            status_index=index,
        )
        private = _private_key(key)
        method = verification_method(key)
        signed = add_di_proof(document, private, method, issued_at)
        credential = Credential.objects.create(
            id=credential_id,
            learner=learner,
            achievement=achievement,
            issued_at=issued_at,
            valid_until=valid_until,
            key=key,
            status_list=status_list,
            status_index=index,
            document=signed,
            jwt=sign_jwt(document, private, method),
        )
        EidOutbox.objects.create(credential=credential, action="issue", next_attempt_at=issued_at)
        audit.record(
            "credentials.issue",
            obj=credential,
            data={"achievement": achievement.pk, "key": key.key_id},
        )
    return credential


@transaction.atomic
def revoke_credential(credential: Credential, *, reason: str, actor: Any = None) -> Credential:
    """Set the credential's bit in its status list (verifiers see it within a minute) and
    queue the e-ID side's revocation. Revoking twice changes nothing."""
    credential = Credential.objects.select_for_update().get(pk=credential.pk)
    if credential.revoked_at is not None:
        return credential
    status_list = StatusList.objects.select_for_update().get(pk=credential.status_list_id)
    status_list.bits = status.set_bit(bytes(status_list.bits), credential.status_index)
    status_list.save(update_fields=["bits", "updated_at"])
    credential.revoked_at = timezone.now()
    credential.revocation_reason = reason[:255]
    credential.save(update_fields=["revoked_at", "revocation_reason"])
    EidOutbox.objects.create(
        credential=credential, action="revoke", next_attempt_at=credential.revoked_at
    )
    audit.record("credentials.revoke", actor=actor, obj=credential, data={"reason": reason[:255]})
    return credential


def credential_url(credential: Credential) -> str:
    """The public verification page of a credential (what the certificate's QR code holds)."""
    return f"{public_url()}/verify/{credential.id}/"


# ---------------------------------------------------------------------------
# Verifying
# ---------------------------------------------------------------------------


class DatabaseResolver:
    """Our keys and status lists, read live from the database. A key is found by its id
    under any issuer DID we have signed with, so a certificate keeps verifying (and keeps
    showing its revocation) after ``PUBLIC_URL`` changes."""

    def __init__(self) -> None:
        self.did = issuer_did()

    def key(self, verification_method: str) -> KeyInfo | None:
        did, sep, key_id = verification_method.partition("#")
        if not sep or not key_id or not is_our_did(did):
            return None
        row = IssuerKey.objects.filter(key_id=key_id).first()
        if row is None:
            return None
        return KeyInfo(
            id=verification_method,
            controller=did,
            public_key=keys.public_from_multikey(row.public_key_multibase),
            revoked=row.revoked_at is not None,
        )

    def status_bit(self, entry: Mapping[str, Any]) -> bool | None:
        url = str(entry.get("statusListCredential", ""))
        base, sep, number = url.rpartition(STATUS_PATH)
        if not sep or not number.isdigit() or base.rstrip("/") not in _our_public_urls():
            return None
        row = StatusList.objects.filter(pk=int(number)).first()
        if row is None:
            return None
        from hocvu.credentials.vc import status_index

        return status.get_bit(bytes(row.bits), status_index(entry))


def _against_stored(result: Verification, given: Mapping[str, Any] | None) -> Verification:
    """A genuine signature of ours on a credential we still hold: the credential presented
    must be exactly the one recorded (any added, removed or reordered property is a change)."""
    if given is None or result.status not in (VALID, REVOKED, EXPIRED) or not result.credential_id:
        return result
    try:
        pk = uuid.UUID(result.credential_id)
    except ValueError:
        return result
    stored = Credential.objects.filter(pk=pk).values_list("document", flat=True).first()
    if stored is None:
        return result
    unsecured = {k: v for k, v in given.items() if k != "proof"}
    recorded = {k: v for k, v in stored.items() if k != "proof"}
    if unsecured != recorded or ("proof" in given and given["proof"] != stored.get("proof")):
        return Verification(
            TAMPERED,
            "the credential differs from the certificate the issuer recorded",
            credential_id=result.credential_id,
            key_id=result.key_id,
            checks=result.checks,
        )
    return result


def _verify_presented(
    resolver: Any, *, document: dict[str, Any] | None = None, jwt: str | None = None
) -> Verification:
    if document is not None:
        jsonld.check_size(document)  # before any JSON-LD processing (TooComplexError)
    result = verify_forms(resolver=resolver, document=document, jwt=jwt)
    if not isinstance(resolver, DatabaseResolver) or result.status not in (VALID, REVOKED, EXPIRED):
        return result
    given = document
    if given is None and jwt:
        payload = decode_jwt(jwt).payload  # decodable: verify_forms got this far
        given = {k: v for k, v in payload.items() if k not in JWT_CLAIMS}
    return _against_stored(result, given)


def _by_id(credential_id: str) -> Verification:
    try:
        pk = uuid.UUID(credential_id)
    except ValueError:
        return Verification(NOT_FOUND, "not a certificate id")
    stored = Credential.objects.filter(pk=pk).first()
    if stored is None:
        return Verification(NOT_FOUND, "no certificate has this id", credential_id=str(pk))
    return verify_forms(
        resolver=DatabaseResolver(),
        document=stored.document,
        jwt=stored.jwt,
        expected_id=str(pk),
    )


def _invalid(reason: str) -> Verification:
    return Verification(INVALID, reason)


def verify(data: str | bytes | dict[str, Any], *, resolver: Any = None) -> Verification:
    """Verify a certificate given as: its id (UUID), its verification URL (from the QR), a
    VC-JWT, a JSON-LD credential (dict or JSON text), or the bytes of a certificate PDF."""
    resolver = resolver or DatabaseResolver()
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if pdfembed.is_pdf(raw):
            try:
                jwt, text = pdfembed.credential_parts(raw)
            except pdfembed.PdfError as exc:
                return _invalid(str(exc))
            document = None
            if text is not None:
                try:
                    document = json.loads(text)
                except ValueError:
                    return _invalid("the PDF's credential.json is not JSON")
            return _verify_presented(resolver, document=document, jwt=jwt)
        try:
            data = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _invalid("neither a PDF nor a credential in text")
    if isinstance(data, str):
        text = data.strip().lstrip("\ufeff")
        if not text:
            return _invalid("nothing to verify")
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                return _invalid("the text is not valid JSON")
        elif looks_like_jwt(text):
            return _verify_presented(resolver, jwt=text)
        else:
            match = _UUID.search(text)
            if match and (
                len(text) <= 36 + 2 or "/verify/" in text or text.startswith("urn:uuid:")
            ):
                return _by_id(match.group(0))
            return _invalid("not a certificate id, link, VC-JWT or credential")
    if not isinstance(data, dict):
        return _invalid("not a credential")
    if isinstance(data.get("credential"), str | dict) and "@context" not in data:
        return verify(data["credential"], resolver=resolver)
    if data.get("type") == "EnvelopedVerifiableCredential":
        envelope = str(data.get("id", ""))
        prefix = "data:application/vc+jwt,"
        if envelope.startswith(prefix):
            return _verify_presented(resolver, jwt=envelope[len(prefix) :])
        return _invalid("unsupported enveloped credential")
    return _verify_presented(resolver, document=data)


def credential_for(user: Any, credential_id: Any) -> Credential:
    """A certificate its holder, or an administrator of the holder's unit, may open;
    404 for anyone else (existence does not leak)."""
    return access.record_for(
        user,
        Credential.objects.select_related(
            "learner__unit", "achievement__role_profile", "achievement__program"
        ),
        credential_id,
        "credential.view",
    )
