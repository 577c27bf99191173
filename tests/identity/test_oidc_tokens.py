"""ID token checks of the national e-ID login, one forged or stale token at a time."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from hocvu.identity.oidc import LEEWAY, MAX_TOKEN_AGE, OidcError, validate_id_token

ISSUER = "https://eid.example.gov.vn"
CLIENT = "hocvu"
NONCE = "n-0123456789"
NOW = 1_800_000_000

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256", "use": "sig"})
PROVIDER_KEYS = KeySet.import_key_set({"keys": [KEY.as_dict(private=False)]})


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "s-1",
        "aud": CLIENT,
        "exp": NOW + 300,
        "iat": NOW - 5,
        "nonce": NONCE,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _token(claims: dict[str, Any], key: Any = KEY, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key)


def _check(token: str, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "keys": PROVIDER_KEYS,
        "issuer": ISSUER,
        "client_id": CLIENT,
        "nonce": NONCE,
        "now": NOW,
    }
    options.update(kwargs)
    return validate_id_token(token, **options)


def test_it_accepts_a_good_token() -> None:
    assert _check(_token(_claims()))["sub"] == "s-1"
    assert _check(_token(_claims(aud=[CLIENT, "x"], azp=CLIENT)))["sub"] == "s-1"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(iss="https://evil.example"), "id_token"),
        (_claims(aud="someone-else"), "id_token"),
        (_claims(aud=[CLIENT, "someone-else"]), "id_token"),  # no azp
        (_claims(azp="someone-else"), "id_token"),
        (_claims(exp=NOW - LEEWAY - 1), "id_token"),
        (_claims(iat=NOW + LEEWAY + 60), "id_token"),
        (_claims(iat=NOW - MAX_TOKEN_AGE - LEEWAY - 1), "id_token"),
        (_claims(nonce="another"), "nonce"),
        (_claims(nonce=None), "nonce"),
        (_claims(exp=None), "id_token"),
        (_claims(iat=None), "id_token"),
        (_claims(sub=None), "id_token"),
    ],
)
def test_it_refuses_wrong_claims(claims: dict[str, Any], reason: str) -> None:
    with pytest.raises(OidcError) as refused:
        _check(_token(claims))
    assert refused.value.reason == reason


def test_it_refuses_another_key() -> None:
    with pytest.raises(OidcError, match="signature"):
        _check(_token(_claims(), key=OTHER_KEY))


def test_it_refuses_a_changed_payload() -> None:
    header, _payload, signature = _token(_claims()).split(".")
    forged = base64.urlsafe_b64encode(json.dumps(_claims(sub="s-2")).encode()).rstrip(b"=")
    with pytest.raises(OidcError, match="signature"):
        _check(f"{header}.{forged.decode()}.{signature}")


def test_it_refuses_alg_none() -> None:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    unsigned = f"{part({'alg': 'none'})}.{part(_claims())}."
    with pytest.raises(OidcError):
        _check(unsigned)


def test_it_refuses_a_token_signed_with_a_shared_secret() -> None:
    # HS256 with a key the attacker knows, even if the key set held such a key.
    secret = OctKey.import_key("client-secret-known-to-many-0123456789")
    keys = KeySet([*PROVIDER_KEYS.keys, secret])
    with pytest.raises(OidcError):
        _check(_token(_claims(), key=secret, alg="HS256"), keys=keys)


def test_it_accepts_es256_from_the_key_set() -> None:
    ec = ECKey.generate_key("P-256", parameters={"kid": "e1", "alg": "ES256"})
    keys = KeySet.import_key_set({"keys": [ec.as_dict(private=False)]})
    token = jwt.encode({"alg": "ES256", "kid": "e1"}, _claims(), ec)
    assert _check(token, keys=keys)["nonce"] == NONCE


def test_it_refuses_garbage() -> None:
    for junk in ["", "a.b.c", "x" * 5000, "..", "eyJhbGciOiJSUzI1NiJ9.e30"]:
        with pytest.raises(OidcError):
            _check(junk)


def test_clock_is_real_by_default() -> None:
    claims = _claims(exp=int(time.time()) + 300, iat=int(time.time()))
    token = _token(claims)
    assert (
        validate_id_token(token, keys=PROVIDER_KEYS, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)[
            "sub"
        ]
        == "s-1"
    )
