"""Certificates as Open Badges 3.0 credentials: issuing, both securing forms, tampering,
revocation, expiry, unknown and rotated keys, offline contexts, the status list encoding."""

from __future__ import annotations

import copy
import gzip
import io
import json
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command

from hocvu.credentials import jsonld, keys, multibase, pdfembed, status, vc
from hocvu.credentials.multibase import b64url_decode, b64url_encode


@pytest.fixture
def issued(db: Any, published_framework: Any) -> Any:
    """A learner, a level-3 achievement of the deputy profile, and one credential."""
    from hocvu.content.models import Program
    from hocvu.credentials import services
    from hocvu.credentials.models import Achievement
    from hocvu.identity.services import create_person

    program = Program.objects.create(
        code="qh-l3", title="Chương trình thử", framework_version=published_framework
    )
    achievement = Achievement.objects.create(
        program=program,
        role_profile=published_framework.role_profiles.get(code="na_deputy"),
        name="Kỹ năng số của đại biểu Quốc hội – mức 3",
        name_en="Digital skills of National Assembly deputies – level 3",
        description="Đạt chuẩn kỹ năng số mức 3 theo hồ sơ vai trò đại biểu Quốc hội.",
        criteria="Đạt bài thi chứng nhận và đạt mức mục tiêu ở mọi năng lực bắt buộc.",
    )
    learner = create_person(
        username="mai", full_name="Đặng Thị Mai", unit=None, password="mat-khau-2026-thu"
    )
    credential = services.issue_credential(learner, achievement)
    return credential


def _node_pdf(credential: Any, *, jwt: str | None = None, document: Any = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Certificate")
    pdf.embed_file(
        bytes=(jwt if jwt is not None else credential.jwt).encode(),
        basename=pdfembed.JWT_NAME,
    )
    pdf.embed_file(
        bytes=json.dumps(document if document is not None else credential.document).encode(),
        basename=pdfembed.JSON_NAME,
    )
    return bytes(pdf.output())


def _jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), s


def _jwt_join(header: dict[str, Any], payload: dict[str, Any], signature: str) -> str:
    def enc(v: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(v, ensure_ascii=False).encode())

    return f"{enc(header)}.{enc(payload)}.{signature}"


# ---------------------------------------------------------------------------
# What is issued
# ---------------------------------------------------------------------------


def test_issued_credential_is_an_open_badge_aligned_to_case_items(issued: Any) -> None:
    from hocvu.credentials import services
    from hocvu.credentials.models import EidOutbox
    from hocvu.framework import case

    doc = issued.document
    assert doc["@context"] == [jsonld.VC_V2, jsonld.OB_V3]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["id"] == f"urn:uuid:{issued.id}"
    assert doc["issuer"]["id"] == services.issuer_did() == "did:web:127.0.0.1%3A8000"
    assert doc["validFrom"] == issued.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    subject = doc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"][0]["identityHash"] == "Đặng Thị Mai"
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["criteria"]["narrative"].startswith("Đạt bài thi")
    # Aligned to the competence-level CFItems of the role profile's targets (all at level 3).
    package = case.export_package(issued.achievement.role_profile.version)
    level_items = {i["humanCodingScheme"]: i["uri"] for i in package["CFItems"]}
    alignment = {a["targetCode"]: a for a in achievement["alignment"]}
    assert set(alignment) == {"1.1-L3", "1.2-L3", "4.2-L3"}
    for code, entry in alignment.items():
        assert entry["targetType"] == "CFItem"
        assert entry["targetUrl"] == level_items[code]
        assert entry["targetFramework"] == "Khung thử"
    entry = doc["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    assert entry["statusListIndex"] == str(issued.status_index)
    assert entry["statusListCredential"] == services.status_list_url(issued.status_list)
    proof = doc["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"{services.issuer_did()}#{issued.key.key_id}"
    assert proof["proofValue"].startswith("z")
    header, payload, _ = _jwt_parts(issued.jwt)
    assert header == {"alg": "EdDSA", "kid": proof["verificationMethod"], "typ": "JWT"}
    claims = {"iss", "jti", "sub", "nbf"}
    assert {k: v for k, v in payload.items() if k not in claims} == {
        k: v for k, v in doc.items() if k != "proof"
    }
    assert payload["iss"] == doc["issuer"]["id"] and payload["jti"] == doc["id"]
    assert payload["sub"] == doc["credentialSubject"]["id"]
    assert payload["nbf"] == int(issued.issued_at.timestamp())
    outbox = EidOutbox.objects.get(credential=issued)
    assert outbox.action == "issue" and outbox.status == "pending"
    assert services.credential_url(issued) == f"http://127.0.0.1:8000/verify/{issued.id}/"


def test_issuing_is_idempotent_until_revoked(issued: Any) -> None:
    from hocvu.credentials import services

    again = services.issue_credential(issued.learner, issued.achievement)
    assert again.pk == issued.pk
    services.revoke_credential(issued, reason="cấp lại")
    fresh = services.issue_credential(issued.learner, issued.achievement)
    assert fresh.pk != issued.pk
    assert fresh.status_index != issued.status_index


def test_private_key_is_encrypted_at_rest(issued: Any) -> None:
    from hocvu.audit import crypto
    from hocvu.credentials import services

    key = issued.key
    assert key.private_key_encrypted.startswith("v1:")
    seed = crypto.decrypt(key.private_key_encrypted, services.PRIVATE_KEY_CONTEXT)
    assert keys.public_multikey(keys.private_from_text(seed)) == key.public_key_multibase
    assert seed not in key.private_key_encrypted
    assert key.public_key_multibase.startswith("z6Mk")  # Ed25519 Multikey


# ---------------------------------------------------------------------------
# Every form verifies
# ---------------------------------------------------------------------------


def test_every_input_form_verifies(issued: Any) -> None:
    from hocvu.credentials import services

    forms: list[Any] = [
        str(issued.id),
        f"urn:uuid:{issued.id}",
        services.credential_url(issued),
        issued.jwt,
        issued.document,
        json.dumps(issued.document, ensure_ascii=False),
        json.dumps(issued.document).encode(),
        issued.jwt.encode(),
        _node_pdf(issued),
        {"credential": issued.jwt},
        {"type": "EnvelopedVerifiableCredential", "id": "data:application/vc+jwt," + issued.jwt},
    ]
    for form in forms:
        result = services.verify(form)
        assert result.status == "valid", (form if not isinstance(form, bytes) else "bytes", result)
        assert result.credential_id == str(issued.id)
        assert result.subject_name == "Đặng Thị Mai"
        assert result.achievement_name.startswith("Kỹ năng số")
        assert result.issued_at == issued.issued_at
        assert result.issuer == services.issuer_did()
        assert result.key_id.endswith(issued.key.key_id)
    both = services.verify(str(issued.id))
    assert len(both.checks) == 4  # DI proof, JWT, both forms equal, status list


def test_garbage_and_unknown_ids(issued: Any) -> None:
    from hocvu.credentials import services

    assert services.verify("00000000-0000-4000-8000-000000000000").status == "not_found"
    junk: object
    for junk in ("", "hello", "{not json", b"\x00\xff\xfe", b"%PDF-1.4 garbage", [], 42):
        assert services.verify(junk).status == "invalid", junk  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Tampering
# ---------------------------------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


SUBJECT = ("credentialSubject",)
ACH = ("credentialSubject", "achievement")
TAMPERINGS: dict[str, Callable[[dict[str, Any]], None]] = {
    "holder name": _set((*SUBJECT, "identifier", 0, "identityHash"), "Nguyễn Văn Giả"),
    "achievement name (level)": _set((*ACH, "name"), "Kỹ năng số của đại biểu Quốc hội – mức 4"),
    "credential name": _set(("name",), "Chứng chỉ mức 4"),
    "issue date": _set(("validFrom",), "2020-01-01T00:00:00Z"),
    "expiry added": _set(("validUntil",), "2099-01-01T00:00:00Z"),
    "issuer id": _set(("issuer", "id"), "did:web:gia-mao.example"),
    "issuer name": _set(("issuer", "name"), "Cơ quan giả"),
    "achievement id": _set((*ACH, "id"), "urn:uuid:00000000-0000-4000-8000-000000000001"),
    "alignment target": _set(
        (*ACH, "alignment", 0, "targetUrl"), "http://127.0.0.1:8000/ims/case/v1p1/CFItems/x"
    ),
    "alignment removed": lambda d: d["credentialSubject"]["achievement"]["alignment"].pop(),
    "status index": _set(("credentialStatus", "statusListIndex"), "1"),
    "credential id": _set(("id",), "urn:uuid:00000000-0000-4000-8000-000000000002"),
    "type": _set(("type",), ["VerifiableCredential"]),
    "proof value": lambda d: d["proof"].update(proofValue="z" + multibase.b58encode(bytes(64))),
    "proof value one char": lambda d: d["proof"].update(
        proofValue=d["proof"]["proofValue"][:-2]
        + ("2" if d["proof"]["proofValue"][-2] != "2" else "3")
        + d["proof"]["proofValue"][-1]
    ),
    "proof created": _set(("proof", "created"), "2020-01-01T00:00:00Z"),
    "proof purpose": _set(("proof", "proofPurpose"), "authentication"),
}


@pytest.mark.parametrize("what", list(TAMPERINGS))
def test_every_change_to_the_json_ld_credential_is_detected(issued: Any, what: str) -> None:
    from hocvu.credentials import services

    doc = copy.deepcopy(issued.document)
    TAMPERINGS[what](doc)
    assert services.verify(doc).status == "tampered", what
    # The same change in the VC-JWT payload (proof changes are DI-only).
    if not what.startswith("proof"):
        header, payload, signature = _jwt_parts(issued.jwt)
        payload_doc = {**doc}
        payload_doc.pop("proof", None)
        assert payload_doc != payload
        assert services.verify(_jwt_join(header, payload_doc, signature)).status == "tampered"


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def test_removing_or_nulling_any_value_is_detected(issued: Any) -> None:
    from hocvu.credentials import services

    paths = _leaves(issued.document)
    assert len(paths) > 40
    for path in paths:
        for replace in (True, False):
            doc = copy.deepcopy(issued.document)
            target = doc
            for step in path[:-1]:
                target = target[step]
            if replace:
                target[path[-1]] = None
            else:
                del target[path[-1]]
            result = services.verify(doc)
            assert result.status in {"tampered", "invalid", "unknown_issuer"}, (path, result)


JWT_HEADER_CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "typ": lambda h: h.update(typ="JWT"),
    "alg EdDSA": lambda h: h.update(alg="EdDSA"),
    "alg none": lambda h: h.update(alg="none"),
    "cty": lambda h: h.update(cty="json"),
    "extra": lambda h: h.update(x5u="http://attacker.example/"),
}


@pytest.mark.parametrize("what", list(JWT_HEADER_CHANGES))
def test_every_change_to_the_jwt_header_is_detected(issued: Any, what: str) -> None:
    from hocvu.credentials import services

    header, payload, signature = _jwt_parts(issued.jwt)
    JWT_HEADER_CHANGES[what](header)
    assert services.verify(_jwt_join(header, payload, signature)).status == "tampered"


def test_jwt_signature_and_kid_changes_are_detected(issued: Any) -> None:
    from hocvu.credentials import services

    h, p, s = issued.jwt.split(".")
    flipped = s[:-2] + ("A" if s[-2] != "A" else "B") + s[-1]
    assert services.verify(f"{h}.{p}.{flipped}").status == "tampered"
    # Same credential re-signed by our newer key: the kid must match the key that signed.
    old_kid = issued.document["proof"]["verificationMethod"]
    new_key = services.rotate_key()
    header, payload, signature = _jwt_parts(issued.jwt)
    header["kid"] = old_kid.replace(issued.key.key_id, new_key.key_id)
    assert services.verify(_jwt_join(header, payload, signature)).status == "tampered"


def test_a_stored_credential_changed_in_the_database_is_detected(issued: Any) -> None:
    from hocvu.credentials import services
    from hocvu.credentials.models import Credential

    doc = copy.deepcopy(issued.document)
    doc["credentialSubject"]["identifier"][0]["identityHash"] = "Người Khác"
    Credential.objects.filter(pk=issued.pk).update(document=doc)
    assert services.verify(str(issued.id)).status == "tampered"
    # Both forms genuine but of different credentials: still tampered.
    other = services.issue_credential(
        _another_learner(), issued.achievement, issued_at=issued.issued_at
    )
    Credential.objects.filter(pk=issued.pk).update(document=other.document)
    result = services.verify(str(issued.id))
    assert result.status == "tampered"


def _another_learner() -> Any:
    from hocvu.identity.services import create_person

    return create_person(username="nam", full_name="Bùi Văn Nam", unit=None, password="x-2026-abc")


def test_a_pdf_whose_two_forms_disagree_is_tampered(issued: Any) -> None:
    from hocvu.credentials import services

    doc = copy.deepcopy(issued.document)
    doc["credentialSubject"]["identifier"][0]["identityHash"] = "Người Khác"
    assert services.verify(_node_pdf(issued, document=doc)).status == "tampered"
    other = services.issue_credential(_another_learner(), issued.achievement)
    mixed = _node_pdf(issued, jwt=other.jwt)
    result = services.verify(mixed)
    assert result.status == "tampered"
    assert "differ" in result.reason


# ---------------------------------------------------------------------------
# Revoked, expired, unknown key, rotated key
# ---------------------------------------------------------------------------


def test_revoked_credential_fails_in_every_form(issued: Any) -> None:
    from hocvu.credentials import services
    from hocvu.credentials.models import EidOutbox, StatusList

    services.revoke_credential(issued, reason="Gian lận thi")
    services.revoke_credential(issued, reason="again")  # idempotent
    for form in (str(issued.id), issued.jwt, issued.document, _node_pdf(issued)):
        result = services.verify(form)
        assert result.status == "revoked", result
    assert list(
        EidOutbox.objects.filter(credential=issued).values_list("action", flat=True).order_by("pk")
    ) == ["issue", "revoke"]
    status_list = StatusList.objects.get(pk=issued.status_list_id)
    assert status.get_bit(bytes(status_list.bits), issued.status_index)
    # The published status list credential carries the bit, and verifies offline.
    published = services.status_list_credential(status_list)
    bits = status.decode(published["credentialSubject"]["encodedList"])
    assert status.get_bit(bits, issued.status_index)
    assert sum(bin(b).count("1") for b in bits) == 1
    offline = vc.DocumentResolver(services.did_document(), [published])
    assert services.verify(issued.jwt, resolver=offline).status == "revoked"


def test_status_list_credential_is_signed_and_tamper_evident(issued: Any) -> None:
    from hocvu.credentials import services

    published = services.status_list_credential(issued.status_list)
    assert published["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert published["credentialSubject"]["statusPurpose"] == "revocation"
    assert published["credentialSubject"]["encodedList"].startswith("u")
    assert services.verify(published).status == "valid"
    assert services.status_list_credential(issued.status_list) == published  # deterministic
    forged = copy.deepcopy(published)
    forged["credentialSubject"]["encodedList"] = status.encode(
        status.set_bit(status.empty(), issued.status_index)
    )
    with pytest.raises(status.StatusListError):
        vc.DocumentResolver(services.did_document(), [forged])


def test_expired_credential(issued: Any) -> None:
    from hocvu.credentials import services

    now = datetime.now(UTC)
    old = services.issue_credential(
        _another_learner(),
        issued.achievement,
        issued_at=now - timedelta(days=800),
        valid_until=now - timedelta(days=70),
    )
    assert old.document["validUntil"].startswith(str((now - timedelta(days=70)).year))
    for form in (str(old.id), old.jwt, old.document):
        result = services.verify(form)
        assert result.status == "expired", result
    future = services.issue_credential(
        _another_learner_2(), issued.achievement, issued_at=now + timedelta(days=3)
    )
    assert services.verify(future.jwt).status == "invalid"  # not valid yet


def _another_learner_2() -> Any:
    from hocvu.identity.services import create_person

    return create_person(username="hoa", full_name="Lý Thị Hoa", unit=None, password="x-2026-abc")


def test_credential_signed_by_a_key_that_is_not_ours(issued: Any) -> None:
    from hocvu.credentials import services

    stranger = keys.generate()
    unsigned = {k: v for k, v in issued.document.items() if k != "proof"}
    # Claims one of our key ids but the key is not ours: the signature fails.
    ours = issued.document["proof"]["verificationMethod"]
    forged = vc.add_di_proof(unsigned, stranger, ours, datetime.now(UTC))
    assert services.verify(forged).status == "tampered"
    assert services.verify(vc.sign_jwt(unsigned, stranger, ours)).status == "tampered"
    # A key id we never had, or another issuer's DID.
    for method in (f"{services.issuer_did()}#key-unknown", "did:web:other.example#key-1"):
        forged = vc.add_di_proof(unsigned, stranger, method, datetime.now(UTC))
        result = services.verify(forged)
        assert result.status == "unknown_issuer", result
        assert services.verify(vc.sign_jwt(unsigned, stranger, method)).status == "unknown_issuer"
    # Issuer is another DID but the key is ours: the issuer must control the key.
    private = services._private_key(issued.key)
    other_issuer = {**unsigned, "issuer": {**unsigned["issuer"], "id": "did:web:other.example"}}
    signed = vc.add_di_proof(other_issuer, private, ours, datetime.now(UTC))
    assert services.verify(signed).status == "unknown_issuer"


def test_rotated_key_keeps_earlier_credentials_valid_and_revoked_key_does_not(
    issued: Any,
) -> None:
    from hocvu.credentials import services

    old_key = issued.key
    new_key = services.rotate_key()
    old_key.refresh_from_db()
    assert old_key.retired_at is not None and old_key.revoked_at is None
    assert services.active_key() == new_key
    later = services.issue_credential(_another_learner(), issued.achievement)
    assert later.key == new_key
    did_doc = services.did_document()
    ids = [m["id"] for m in did_doc["verificationMethod"]]
    assert ids == [f"{services.issuer_did()}#{k.key_id}" for k in (old_key, new_key)]
    assert did_doc["assertionMethod"] == ids
    for form in (str(issued.id), issued.jwt, issued.document):
        assert services.verify(form).status == "valid"
    offline = vc.DocumentResolver(did_doc)
    assert services.verify(issued.jwt, resolver=offline).status == "valid"
    # A compromised key: out of the DID document, and what it signed is not ours any more.
    services.revoke_key(old_key)
    assert len(services.did_document()["verificationMethod"]) == 1
    for form in (str(issued.id), issued.jwt, issued.document):
        result = services.verify(form)
        assert result.status == "unknown_issuer", result
        assert "revoked" in result.reason
    assert services.verify(str(later.id)).status == "valid"
    offline = vc.DocumentResolver(services.did_document())
    assert services.verify(issued.jwt, resolver=offline).status == "unknown_issuer"


# ---------------------------------------------------------------------------
# Offline: contexts bundled, no network
# ---------------------------------------------------------------------------


def test_signing_and_verifying_never_touch_the_network(
    issued: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hocvu.credentials import services

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    jsonld.bundled.cache_clear()
    fresh = services.issue_credential(_another_learner(), issued.achievement)
    assert services.verify(fresh.document).status == "valid"
    assert services.verify(services.status_list_credential(fresh.status_list)).status == "valid"
    # A context we do not bundle is refused with a clear reason, not fetched.
    doc = copy.deepcopy(fresh.document)
    doc["@context"].append("https://example.org/unknown-context.jsonld")
    result = services.verify(doc)
    assert result.status == "invalid"
    assert "not bundled" in result.reason
    with pytest.raises(jsonld.ContextError):
        jsonld.document_loader("https://www.w3.org/2018/credentials/v1")


def test_bundled_contexts_are_the_published_ones() -> None:
    for url in jsonld.FILES:
        context = jsonld.bundled(url)
        assert "@context" in context
    vc2 = jsonld.bundled(jsonld.VC_V2)["@context"]
    assert {"BitstringStatusListEntry", "DataIntegrityProof", "VerifiableCredential"} <= set(vc2)
    ob = jsonld.bundled(jsonld.OB_V3)["@context"]
    assert {"OpenBadgeCredential", "Achievement", "AchievementSubject", "Alignment"} <= set(ob)


def test_control_characters_are_cleaned_before_signing() -> None:
    assert jsonld.clean_text("a\tb\r\nc\x00") == "a b\nc "
    with pytest.raises(jsonld.CanonicalizationError):
        jsonld.canonize({"@context": [jsonld.VC_V2], "name": "tab\there"})


# ---------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------


def test_status_list_encoding_follows_the_spec() -> None:
    bits = status.empty()
    assert len(bits) * 8 == status.MIN_ENTRIES == 131072
    bits = status.set_bit(bits, 0)
    bits = status.set_bit(bits, 7)
    bits = status.set_bit(bits, 9)
    bits = status.set_bit(bits, 131071)
    # Index 0 is the left-most (most significant) bit of the first byte.
    assert bits[:2] == bytes([0b1000_0001, 0b0100_0000]) and bits[-1] == 0x01
    encoded = status.encode(bits)
    assert encoded.startswith("u") and "=" not in encoded
    assert gzip.decompress(b64url_decode(encoded[1:])) == bits  # multibase base64url of GZIP
    assert status.decode(encoded) == bits
    assert [i for i in range(16) if status.get_bit(bits, i)] == [0, 7, 9]
    assert not status.get_bit(status.set_bit(bits, 9, False), 9)
    with pytest.raises(status.StatusListError):
        status.decode(status.encode(bytes(100)))  # below the 16 KiB minimum
    with pytest.raises(status.StatusListError):
        status.decode("z" + encoded[1:])
    with pytest.raises(status.StatusListError):
        status.get_bit(bits, 131072)


def test_base58_and_multikey() -> None:
    assert multibase.b58encode(b"hello world") == "StV1DL6CwTryKyV"
    assert multibase.b58encode(b"\0\0\x01") == "112"
    assert multibase.b58decode("112") == b"\0\0\x01"
    assert multibase.b58encode(b"") == ""
    for data in (bytes(range(64)), b"\0" * 5 + b"\xff" * 30):
        assert multibase.b58decode(multibase.b58encode(data)) == data
    raw = bytes(range(32))
    key = multibase.ed25519_multikey(raw)
    assert key.startswith("z6Mk") and multibase.ed25519_from_multikey(key) == raw
    with pytest.raises(multibase.EncodingError):
        multibase.b58decode("0OIl")


def test_did_web_identifiers() -> None:
    from hocvu.credentials import did

    assert did.did_web("http://127.0.0.1:8000") == "did:web:127.0.0.1%3A8000"
    assert did.did_web("https://hocvu.gov.vn/") == "did:web:hocvu.gov.vn"
    assert did.document_url("did:web:hocvu.gov.vn") == "https://hocvu.gov.vn/.well-known/did.json"
    assert (
        did.document_url("did:web:127.0.0.1%3A8000")
        == "https://127.0.0.1:8000/.well-known/did.json"
    )


def test_issuer_did_follows_public_url(issued: Any, settings: Any) -> None:
    from hocvu.credentials import services

    settings.PUBLIC_URL = "https://hocvu.gov.vn"
    assert services.issuer_did() == "did:web:hocvu.gov.vn"
    # A credential issued under the old address keeps the identifier it was signed under.
    assert services.verify(issued.jwt).status == "valid"
    assert services.verify(str(issued.id)).status == "valid"


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------


def test_verify_credential_command_offline(issued: Any, tmp_path: Any) -> None:
    from hocvu.credentials import services

    did_file = tmp_path / "did.json"
    did_file.write_text(json.dumps(services.did_document()))
    list_file = tmp_path / "status.json"
    list_file.write_text(json.dumps(services.status_list_credential(issued.status_list)))
    files = {
        "c.jwt": issued.jwt.encode(),
        "c.json": json.dumps(issued.document, ensure_ascii=False).encode(),
        "c.pdf": _node_pdf(issued),
    }
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        out = io.StringIO()
        call_command(
            "verify_credential",
            str(path),
            "--did-document",
            str(did_file),
            "--status-list",
            str(list_file),
            "--json",
            stdout=out,
        )
        result = json.loads(out.getvalue())
        assert result["status"] == "valid", (name, result)
        assert "revocation status list" in result["checks"]
        assert result["subject_name"] == "Đặng Thị Mai"
    # Without a status list it still verifies the signature, and says what it did not check.
    out = io.StringIO()
    call_command(
        "verify_credential", str(tmp_path / "c.jwt"), "--did-document", str(did_file), stdout=out
    )
    assert out.getvalue().startswith("VALID") and "not checked" in out.getvalue()
    # Revoked: exit status 1.
    services.revoke_credential(issued, reason="test")
    issued.status_list.refresh_from_db()
    list_file.write_text(json.dumps(services.status_list_credential(issued.status_list)))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "verify_credential",
            str(tmp_path / "c.pdf"),
            "--did-document",
            str(did_file),
            "--status-list",
            str(list_file),
            stdout=out,
        )
    assert exit_info.value.code == 1
    assert out.getvalue().startswith("REVOKED")
    # With the database instead of files.
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_credential", str(tmp_path / "c.json"), stdout=out)
    assert out.getvalue().startswith("REVOKED")
