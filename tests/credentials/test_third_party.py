"""Independent verifiers accept what we issue and reject what was changed.

* Digital Bazaar's VC library in Node (``@digitalbazaar/vc`` with the ``eddsa-rdfc-2022``
  cryptosuite and ``@digitalbazaar/vc-bitstring-status-list``), the verifier behind many
  wallets and the W3C test suites, with a document loader that serves our bundled contexts,
  our DID document and our status list credential and nothing else;
* ``jose`` (Node) and ``joserfc`` (Python) for the VC-JWT (more JWT libraries in
  ``test_jwt_interop.py``).

The Node packages are pinned in ``node/package-lock.json`` and installed with ``npm ci`` when
missing; the Node tests skip only when node or npm are not installed.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hocvu.credentials import jsonld
from hocvu.credentials.multibase import b64url_encode, ed25519_from_multikey
from tests.credentials.test_vc import issued  # noqa: F401  (fixture)
from tests.node_packages import install

NODE_DIR = Path(__file__).resolve().parent / "node"


@pytest.fixture(scope="session")
def node() -> str:
    return install(NODE_DIR, "the third-party verifier")


def _run_node(node: str, tmp_path: Path, cases: list[dict[str, Any]]) -> dict[str, Any]:
    from hocvu.credentials import services
    from hocvu.credentials.models import StatusList

    documents: dict[str, Any] = {url: jsonld.bundled(url) for url in jsonld.FILES}
    for status_list in StatusList.objects.all():
        published = services.status_list_credential(status_list)
        documents[published["id"]] = published
    payload = {"documents": documents, "didDocument": services.did_document(), "cases": cases}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [node, str(NODE_DIR / "verify.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_digital_bazaar_verifier_accepts_ours_and_rejects_tampering(
    issued: Any,  # noqa: F811
    node: str,
    tmp_path: Path,
) -> None:
    from hocvu.credentials import services

    renamed = copy.deepcopy(issued.document)
    renamed["credentialSubject"]["identifier"][0]["identityHash"] = "Nguyễn Văn Giả"
    relevel = copy.deepcopy(issued.document)
    relevel["credentialSubject"]["achievement"]["name"] = "mức 4"
    h, _p, s = issued.jwt.split(".")
    forged_jwt = f"{h}.{b64url_encode(b'{}')}.{s}"
    cases = [
        {"name": "issued", "credential": issued.document},
        {"name": "renamed", "credential": renamed},
        {"name": "relevel", "credential": relevel},
        {"name": "jwt", "jwt": issued.jwt},
        {"name": "forged_jwt", "jwt": forged_jwt},
    ]
    out = _run_node(node, tmp_path, cases)
    assert out["issued"] == {"verified": True, "revoked": False, "errors": []}
    for name in ("renamed", "relevel"):
        assert out[name]["verified"] is False
        assert any("signature" in e.lower() for e in out[name]["errors"]), out[name]
    assert out["jwt"]["verified"] is True
    assert out["jwt"]["alg"] == "EdDSA" and out["jwt"]["typ"] == "JWT", out["jwt"]
    assert out["jwt"]["credentialId"] == f"urn:uuid:{issued.id}"
    assert out["forged_jwt"]["verified"] is False

    # Rotation: an earlier credential still verifies; revocation is seen through the
    # status list credential (whose own proof and issuer the library checks).
    services.rotate_key()
    services.revoke_credential(issued, reason="test")
    out = _run_node(node, tmp_path, [{"name": "issued", "credential": issued.document}])
    assert out["issued"]["revoked"] is True, out


def test_joserfc_verifies_our_vc_jwt(issued: Any) -> None:  # noqa: F811
    from joserfc import jws
    from joserfc.errors import BadSignatureError
    from joserfc.jwk import OKPKey

    raw = ed25519_from_multikey(issued.key.public_key_multibase)
    key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(raw)})
    token = jws.deserialize_compact(issued.jwt, key, algorithms=["EdDSA"])
    assert token.headers()["typ"] == "JWT"
    assert token.headers()["kid"] == issued.document["proof"]["verificationMethod"]
    claims = json.loads(token.payload)
    credential = {k: v for k, v in claims.items() if k not in {"iss", "jti", "sub", "nbf"}}
    assert credential == {k: v for k, v in issued.document.items() if k != "proof"}
    h, _p, s = issued.jwt.split(".")
    with pytest.raises(BadSignatureError):
        jws.deserialize_compact(
            f"{h}.{b64url_encode(json.dumps({**claims, 'name': 'x'}).encode())}.{s}",
            key,
            algorithms=["EdDSA"],
        )
