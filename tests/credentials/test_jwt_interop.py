"""The VC-JWT as Open Badges 3.0 §8.2 profiles it, accepted by independent JWT libraries.

* PyJWT (Python; knows the ``alg`` name ``EdDSA`` only) and joserfc (Python) check the
  signature and the registered claims;
* did-jwt-vc (Node; resolves the issuer from ``iss`` through a DID resolver and refuses a
  token without it) and jose (Node, in ``node/verify.mjs``, with the §8.2 header and claim
  rules) run offline from the pinned lockfile in ``node/``.

Tokens issued before the profile (``typ`` ``vc+jwt``, ``cty`` ``vc``, ``alg`` ``Ed25519``,
no claims) keep verifying; a token whose claims disagree with its credential does not.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jwt as jose_jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import OKPKey

from hocvu.credentials.multibase import b64url_decode, b64url_encode, ed25519_from_multikey
from tests.credentials.test_third_party import _run_node, node  # noqa: F401  (fixture)
from tests.credentials.test_vc import issued  # noqa: F401  (fixture)

CLAIMS = ("iss", "jti", "sub", "nbf", "exp")


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def _public_key(credential: Any) -> Ed25519PublicKey:
    raw = ed25519_from_multikey(credential.key.public_key_multibase)
    return Ed25519PublicKey.from_public_bytes(raw)


def _sign(credential: Any, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A token signed with our own key (what a bug in the issuer would produce)."""
    from hocvu.credentials import services

    private = services._private_key(credential.key)
    signing_input = (
        b64url_encode(json.dumps(header, ensure_ascii=False).encode())
        + "."
        + b64url_encode(json.dumps(payload, ensure_ascii=False).encode())
    )
    return signing_input + "." + b64url_encode(private.sign(signing_input.encode("ascii")))


@pytest.fixture
def expiring(issued: Any) -> Any:  # noqa: F811
    """A second certificate, valid for two years (its JWT has ``exp``)."""
    from hocvu.credentials import services
    from hocvu.identity.services import create_person

    other = create_person(
        username="lan", full_name="Trần Thị Lan", unit=None, password="mat-khau-2026-lan"
    )
    return services.issue_credential(
        other, issued.achievement, valid_until=datetime.now(UTC) + timedelta(days=730)
    )


def test_the_header_and_claims_follow_open_badges_8_2(issued: Any, expiring: Any) -> None:  # noqa: F811
    for credential in (issued, expiring):
        header, payload = _parts(credential.jwt)
        document = credential.document
        # §8.2: alg, kid (dereferenceable), typ "JWT"; additional JOSE headers not allowed.
        assert header == {
            "alg": "EdDSA",
            "kid": document["proof"]["verificationMethod"],
            "typ": "JWT",
        }
        assert payload["iss"] == document["issuer"]["id"]
        assert payload["jti"] == document["id"]
        assert payload["sub"] == document["credentialSubject"]["id"]
        assert payload["sub"].startswith("urn:uuid:")
        assert payload["nbf"] == int(credential.issued_at.timestamp())
        if credential.valid_until is None:
            assert "exp" not in payload
        else:
            assert payload["exp"] == int(credential.valid_until.timestamp())
        # VC-JOSE-COSE: the payload is the credential itself, never a vc claim.
        assert "vc" not in payload and "vp" not in payload
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        assert {k: v for k, v in payload.items() if k not in CLAIMS} == unsecured
    # Each certificate names its holder with a fresh identifier: nothing links the two.
    assert (
        issued.document["credentialSubject"]["id"] != expiring.document["credentialSubject"]["id"]
    )


def test_pyjwt_accepts_the_token_and_its_claims(issued: Any, expiring: Any) -> None:  # noqa: F811
    for credential in (issued, expiring):
        claims = pyjwt.decode(
            credential.jwt,
            key=_public_key(credential),
            algorithms=["EdDSA"],
            options={"require": ["iss", "jti", "sub", "nbf"], "verify_aud": False},
            issuer=credential.document["issuer"]["id"],
        )
        assert claims["jti"] == f"urn:uuid:{credential.id}"
        assert claims["credentialSubject"]["achievement"]["name"].startswith("Kỹ năng số")
    _header, payload = _parts(issued.jwt)
    forged = b64url_encode(json.dumps({**payload, "name": "x"}).encode())
    h, _p, s = issued.jwt.split(".")
    with pytest.raises(pyjwt.InvalidSignatureError):
        pyjwt.decode(
            f"{h}.{forged}.{s}",
            key=_public_key(issued),
            algorithms=["EdDSA"],
            options={"verify_aud": False},
        )


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_joserfc_validates_the_registered_claims(issued: Any) -> None:  # noqa: F811
    raw = ed25519_from_multikey(issued.key.public_key_multibase)
    key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)})
    token = jose_jwt.decode(issued.jwt, key, algorithms=["EdDSA"])
    assert token.header["typ"] == "JWT"
    registry = jose_jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issued.document["issuer"]["id"]},
        jti={"essential": True, "value": issued.document["id"]},
        sub={"essential": True, "value": issued.document["credentialSubject"]["id"]},
        nbf={"essential": True},
    )
    registry.validate(token.claims)
    h, _p, s = issued.jwt.split(".")
    changed = b64url_encode(json.dumps({**token.claims, "jti": "urn:uuid:x"}).encode())
    with pytest.raises(BadSignatureError):
        jose_jwt.decode(f"{h}.{changed}.{s}", key, algorithms=["EdDSA"])


def test_did_jwt_vc_and_jose_accept_the_token(
    issued: Any,  # noqa: F811
    expiring: Any,
    node: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    from hocvu.credentials import services

    h, _p, s = issued.jwt.split(".")
    _header, payload = _parts(issued.jwt)
    forged = f"{h}.{b64url_encode(json.dumps({**payload, 'name': 'x'}).encode())}.{s}"
    no_iss = _sign(issued, _parts(issued.jwt)[0], {k: v for k, v in payload.items() if k != "iss"})
    cases = [
        {"name": "didjwt", "didJwtVc": issued.jwt},
        {"name": "didjwt_expiring", "didJwtVc": expiring.jwt},
        {"name": "didjwt_forged", "didJwtVc": forged},
        {"name": "didjwt_no_iss", "didJwtVc": no_iss},
        {"name": "jose", "jwt": issued.jwt},
        {"name": "jose_expiring", "jwt": expiring.jwt},
        {"name": "jose_no_iss", "jwt": no_iss},
    ]
    out = _run_node(node, tmp_path, cases)
    for name, credential in (("didjwt", issued), ("didjwt_expiring", expiring)):
        assert out[name]["verified"] is True, out[name]
        assert out[name]["issuer"] == services.issuer_did()
        assert out[name]["kid"] == credential.document["proof"]["verificationMethod"]
        assert out[name]["credentialId"] == f"urn:uuid:{credential.id}"
    assert out["didjwt_forged"]["verified"] is False
    assert out["didjwt_no_iss"]["verified"] is False  # did-jwt needs iss to find the key
    for name in ("jose", "jose_expiring"):
        assert out[name] == {
            "verified": True,
            "typ": "JWT",
            "alg": "EdDSA",
            "credentialId": out[name]["credentialId"],
            "errors": [],
        }, out[name]
    assert out["jose_no_iss"]["verified"] is False
    assert any("iss" in e for e in out["jose_no_iss"]["errors"])


def test_tokens_issued_before_the_profile_still_verify(issued: Any) -> None:  # noqa: F811
    from hocvu.credentials import services

    unsecured = {k: v for k, v in issued.document.items() if k != "proof"}
    kid = issued.document["proof"]["verificationMethod"]
    legacy = _sign(issued, {"alg": "Ed25519", "kid": kid, "typ": "vc+jwt", "cty": "vc"}, unsecured)
    assert services.verify(legacy).status == "valid"
    # The same credential with claims that restate it is also fine under the old header.
    _header, payload = _parts(issued.jwt)
    assert services.verify(_sign(issued, _header, payload)).status == "valid"


CLAIM_CHANGES: dict[str, Any] = {
    "iss of another issuer": lambda p: p.update(iss="did:web:gia-mao.example"),
    "jti of another certificate": lambda p: p.update(jti="urn:uuid:0000"),
    "sub of someone else": lambda p: p.update(sub="urn:uuid:1111"),
    "nbf earlier": lambda p: p.update(nbf=p["nbf"] - 86400),
    "exp added": lambda p: p.update(exp=p["nbf"] + 86400),
    "iss missing": lambda p: p.pop("iss"),
    "jti missing": lambda p: p.pop("jti"),
    "sub missing": lambda p: p.pop("sub"),
    "nbf missing": lambda p: p.pop("nbf"),
    "vc claim": lambda p: p.update(vc={"type": ["VerifiableCredential"]}),
}


@pytest.mark.parametrize("what", list(CLAIM_CHANGES))
def test_claims_that_disagree_with_the_credential_fail(issued: Any, what: str) -> None:  # noqa: F811
    """Even signed by our own key, a token whose claims do not restate its credential (or
    lack one §8.2 requires) is not accepted."""
    from hocvu.credentials import services

    header, payload = _parts(issued.jwt)
    CLAIM_CHANGES[what](payload)
    result = services.verify(_sign(issued, header, payload))
    assert result.status in {"tampered", "invalid"}, (what, result)


HEADER_CHANGES: dict[str, Any] = {
    "cty with typ JWT": lambda h: h.update(cty="vc"),
    "jwk": lambda h: h.update(jwk={"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}),
    "typ vc-ld+jwt": lambda h: h.update(typ="vc-ld+jwt"),
    "alg none": lambda h: h.update(alg="none"),
}


@pytest.mark.parametrize("what", list(HEADER_CHANGES))
def test_headers_outside_the_profile_fail(issued: Any, what: str) -> None:  # noqa: F811
    from hocvu.credentials import services

    header, payload = _parts(issued.jwt)
    HEADER_CHANGES[what](header)
    assert services.verify(_sign(issued, header, payload)).status == "tampered"
