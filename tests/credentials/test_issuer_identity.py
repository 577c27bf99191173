"""A certificate keeps the issuer identifier it was signed under, and every property of it
is signed.

* After ``PUBLIC_URL`` changes (a domain move) or the key rotates, a certificate issued
  before still verifies as valid, and as revoked once revoked — never "unknown issuer";
  the old host's DID document still answers.
* A credential with any property added, removed or changed fails, at the top level and in
  ``credentialSubject``, through the Data Integrity path, the JWT path and the stored one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from hocvu.credentials.multibase import b64url_decode, b64url_encode
from tests.credentials.test_vc import issued  # noqa: F401  (fixture)

NEW_URL = "https://hocvu.gov.vn"


def test_a_domain_move_keeps_valid_and_revoked_certificates(issued: Any, settings: Any) -> None:  # noqa: F811
    from hocvu.credentials import services

    old_did = services.issuer_did()
    settings.PUBLIC_URL = NEW_URL
    assert services.issuer_did() == "did:web:hocvu.gov.vn" != old_did
    services.rotate_key()
    for form in (str(issued.id), issued.jwt, issued.document):
        result = services.verify(form)
        assert result.status == "valid", (form, result)
        assert result.issuer == old_did
    # Certificates issued from now on carry the new identifier; both verify.
    from hocvu.identity.services import create_person

    newer = services.issue_credential(
        create_person(username="binh", full_name="Lê Văn Bình", unit=None, password="x-2026-bnh"),
        issued.achievement,
    )
    assert newer.document["issuer"]["id"] == "did:web:hocvu.gov.vn"
    assert newer.document["credentialStatus"]["statusListCredential"].startswith(NEW_URL)
    assert services.verify(str(newer.id)).status == "valid"
    # Revocation is seen through the status list under the old address too.
    services.revoke_credential(issued, reason="Cấp nhầm")
    for form in (str(issued.id), issued.jwt, issued.document):
        assert services.verify(form).status == "revoked", form
    assert services.verify(str(newer.id)).status == "valid"
    # The public page says the same.
    page = Client().get(f"/verify/{issued.id}/")
    assert page.status_code == 200 and 'data-status="revoked"' in page.content.decode()


def test_the_old_host_still_answers_for_its_did(issued: Any, settings: Any) -> None:  # noqa: F811
    from hocvu.credentials import services

    old_did = services.issuer_did()
    settings.PUBLIC_URL = NEW_URL
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    old = json.loads(client.get("/.well-known/did.json", HTTP_HOST="127.0.0.1:8000").content)
    new = json.loads(client.get("/.well-known/did.json", HTTP_HOST="hocvu.gov.vn").content)
    assert old["id"] == old_did and new["id"] == "did:web:hocvu.gov.vn"
    method = issued.document["proof"]["verificationMethod"]
    assert method in old["assertionMethod"]
    # A host we never signed under gets the current document, not a DID of its own.
    other = json.loads(client.get("/.well-known/did.json", HTTP_HOST="evil.example").content)
    assert other["id"] == "did:web:hocvu.gov.vn"


def test_a_did_we_never_used_is_an_unknown_issuer(issued: Any) -> None:  # noqa: F811
    from hocvu.credentials import services

    header, payload, signature = issued.jwt.split(".")
    head = json.loads(b64url_decode(header))
    head["kid"] = head["kid"].replace(services.issuer_did(), "did:web:evil.example")
    forged = f"{b64url_encode(json.dumps(head).encode())}.{payload}.{signature}"
    assert services.verify(forged).status == "unknown_issuer"
    doc = copy.deepcopy(issued.document)
    doc["proof"]["verificationMethod"] = head["kid"]
    assert services.verify(doc).status == "unknown_issuer"


def _change(path: tuple[Any, ...], action: str, value: Any = None) -> Callable[[Any], None]:
    def apply(doc: Any) -> None:
        target = doc
        for step in path[:-1]:
            target = target[step]
        if action == "set":
            target[path[-1]] = value
        elif action == "del":
            del target[path[-1]]
        elif action == "append":
            target[path[-1]].append(value)
        elif action == "reverse":
            target[path[-1]].reverse()

    return apply


S = ("credentialSubject",)
CHANGES: dict[str, Callable[[Any], None]] = {
    "top: added text": _change(("foo",), "set", "bar"),
    "top: added null": _change(("foo",), "set", None),
    "top: added keyword": _change(("@foo",), "set", "bar"),
    "top: added description": _change(("description",), "set", "Xuất sắc"),
    "top: validUntil null": _change(("validUntil",), "set", None),
    "top: type repeated": _change(("type",), "append", "OpenBadgeCredential"),
    "top: type reordered": _change(("type",), "reverse"),
    "top: inline context": _change(("@context",), "append", {"foo": "https://x.example/foo"}),
    "top: name removed": _change(("name",), "del"),
    "top: name changed": _change(("name",), "set", "Chứng chỉ khác"),
    "status: added": _change(("credentialStatus", "foo"), "set", "bar"),
    "subject: added text": _change((*S, "foo"), "set", "bar"),
    "subject: added null": _change((*S, "foo"), "set", None),
    "subject: added name": _change((*S, "name"), "set", "Nguyễn Văn Giả"),
    "subject: id changed": _change(
        (*S, "id"), "set", "urn:uuid:00000000-0000-4000-8000-0000000000aa"
    ),
    "subject: id removed": _change((*S, "id"), "del"),
    "subject: identifier repeated": lambda d: d["credentialSubject"]["identifier"].append(
        copy.deepcopy(d["credentialSubject"]["identifier"][0])
    ),
    "subject: identifier removed": _change((*S, "identifier"), "del"),
    "subject: achievement tag repeated": lambda d: d["credentialSubject"]["achievement"][
        "tag"
    ].append(d["credentialSubject"]["achievement"]["tag"][0]),
    "subject: achievement added image": _change(
        (*S, "achievement", "image"), "set", {"id": "https://x.example/a.png", "type": "Image"}
    ),
    "subject: alignment added null": _change((*S, "achievement", "alignment", 0, "x"), "set", None),
}


@pytest.mark.parametrize("what", list(CHANGES))
def test_any_added_removed_or_changed_property_fails(issued: Any, what: str) -> None:  # noqa: F811
    from hocvu.credentials import services, vc

    doc = copy.deepcopy(issued.document)
    CHANGES[what](doc)
    # The platform's own check (it also holds the issued document).
    assert services.verify(doc).status in {"tampered", "invalid"}, what
    # A third party's check, from the published DID document and status list only.
    offline = vc.DocumentResolver(
        services.did_document(), [services.status_list_credential(issued.status_list)]
    )
    if what != "top: type reordered":  # same JSON-LD graph: only the stored copy tells
        assert services.verify(doc, resolver=offline).status in {"tampered", "invalid"}, what
    # The JWT path: the same change in the token's payload breaks its signature.
    header, payload, signature = issued.jwt.split(".")
    claims = json.loads(b64url_decode(payload))
    changed = {**{k: v for k, v in claims.items() if k in ("iss", "jti", "sub", "nbf")}}
    changed.update({k: v for k, v in doc.items() if k != "proof"})
    token = (
        f"{header}.{b64url_encode(json.dumps(changed, ensure_ascii=False).encode())}.{signature}"
    )
    assert services.verify(token).status in {"tampered", "invalid"}, what
    assert services.verify(token, resolver=offline).status in {"tampered", "invalid"}, what


def test_the_issued_document_passes_the_whole_document_check(issued: Any) -> None:  # noqa: F811
    from hocvu.credentials import services, vc

    vc.check_whole_document(issued.document)
    offline = vc.DocumentResolver(
        services.did_document(), [services.status_list_credential(issued.status_list)]
    )
    assert services.verify(issued.document, resolver=offline).status == "valid"
    assert services.verify(issued.jwt, resolver=offline).status == "valid"


def test_after_a_domain_move_third_parties_still_see_validity_and_revocation(
    issued: Any,  # noqa: F811
    settings: Any,
) -> None:
    """A verifier elsewhere resolves the old DID at the old host (still pointed here) and
    fetches the old status list address: both answer under the old identifier."""
    from hocvu.credentials import services, vc

    old_did = services.issuer_did()
    old_list_url = issued.document["credentialStatus"]["statusListCredential"]
    settings.PUBLIC_URL = NEW_URL
    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    did_doc = json.loads(client.get("/.well-known/did.json", HTTP_HOST="127.0.0.1:8000").content)
    path = old_list_url.split("127.0.0.1:8000", 1)[1]
    listed = json.loads(client.get(path, HTTP_HOST="127.0.0.1:8000").content)
    assert listed["issuer"] == old_did and listed["id"] == old_list_url
    offline = vc.DocumentResolver(did_doc, [listed])
    assert services.verify(issued.document, resolver=offline).status == "valid"
    services.revoke_credential(issued, reason="Cấp nhầm")
    listed = json.loads(client.get(path, HTTP_HOST="127.0.0.1:8000").content)
    offline = vc.DocumentResolver(did_doc, [listed])
    assert services.verify(issued.document, resolver=offline).status == "revoked"
    assert services.verify(issued.jwt, resolver=offline).status == "revoked"
    # The new host serves the list under the new identifier, for new certificates.
    current = json.loads(client.get(path, HTTP_HOST="hocvu.gov.vn").content)
    assert current["issuer"] == "did:web:hocvu.gov.vn" and current["id"].startswith(NEW_URL)
