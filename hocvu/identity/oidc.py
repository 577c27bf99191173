"""National e-ID login: an OpenID Connect relying party (authorization code flow with PKCE).

The provider is found by discovery from ``HOCVU_OIDC_ISSUER``. A login attempt keeps its
``state``, ``nonce`` and PKCE verifier in the session, for one use only. The ID token is
checked against the provider's JWKS with an algorithm allowlist, then ``iss``, ``aud``
(and ``azp``), ``exp``, ``iat`` and ``nonce``. The person is the roster record whose
national ID number matches the ``HOCVU_OIDC_ID_CLAIM`` claim, found through the keyed blind
index; nobody is ever matched by name and no account is created here
(docs/national-eid-login.md).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hocvu.audit import services as audit
from hocvu.identity import services
from hocvu.identity.models import User

# Asymmetric algorithms only: a key from the provider's JWKS, never the client secret.
ID_TOKEN_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
#: Seconds of clock difference tolerated with the provider.
LEEWAY = 60
#: An ID token issued longer ago than this is refused even if it has not expired.
MAX_TOKEN_AGE = 600
#: A login started longer ago than this is refused at the callback.
PENDING_TTL = 600
#: Login attempts kept at once in one session (several tabs); the oldest are dropped.
MAX_PENDING = 5
SESSION_PENDING = "oidc_pending"
SESSION_LOGOUT = "oidc_logout"
_METADATA_TTL = 3600
_TIMEOUT = 10.0
_MAX_RESPONSE = 1_000_000


class OidcError(Exception):
    """The login through the provider failed; ``reason`` is a short code for the audit log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Config:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    id_claim: str

    @classmethod
    def from_settings(cls) -> Config | None:
        """The provider's settings, or ``None`` when the national e-ID login is off."""
        issuer = getattr(settings, "HOCVU_OIDC_ISSUER", "")
        client_id = getattr(settings, "HOCVU_OIDC_CLIENT_ID", "")
        if not issuer or not client_id:
            return None
        scopes = getattr(settings, "HOCVU_OIDC_SCOPES", "") or "openid"
        if "openid" not in scopes.split():
            scopes = f"openid {scopes}"
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=getattr(settings, "HOCVU_OIDC_CLIENT_SECRET", ""),
            scopes=scopes,
            id_claim=getattr(settings, "HOCVU_OIDC_ID_CLAIM", "") or "national_id",
        )


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""


@dataclass(frozen=True)
class Pending:
    """One login in progress, kept in the session until its callback."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str
    next_url: str
    started: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "nonce": self.nonce,
            "verifier": self.verifier,
            "redirect_uri": self.redirect_uri,
            "next_url": self.next_url,
            "started": self.started,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pending:
        return cls(
            state=str(data["state"]),
            nonce=str(data["nonce"]),
            verifier=str(data["verifier"]),
            redirect_uri=str(data["redirect_uri"]),
            next_url=str(data.get("next_url", "")),
            started=float(data["started"]),
        )


def _http_json(
    url: str, *, headers: dict[str, str] | None = None, data: bytes | None = None
) -> dict[str, Any]:
    if urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        raise OidcError("provider", f"unsupported URL {url!r}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=data,
        headers={"Accept": "application/json", **(headers or {})},
        method="POST" if data is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as answer:  # noqa: S310 - checked  # nosec B310
            body = answer.read(_MAX_RESPONSE + 1)
    except urllib.error.HTTPError as error:
        detail = error.read(2000).decode("utf-8", "replace")
        raise OidcError("provider", f"HTTP {error.code} from {url}: {detail}") from None
    except (urllib.error.URLError, HTTPException, OSError, TimeoutError) as error:
        raise OidcError("provider", f"{url}: {error}") from None
    if len(body) > _MAX_RESPONSE:
        raise OidcError("provider", f"answer too large from {url}")
    try:
        found = json.loads(body)
    except ValueError:
        raise OidcError("provider", f"not JSON from {url}") from None
    if not isinstance(found, dict):
        raise OidcError("provider", f"not a JSON object from {url}")
    return found


def metadata(config: Config) -> Metadata:
    """The provider's discovery document (cached for an hour)."""
    key = f"oidc:metadata:{config.issuer}"
    found = cache.get(key)
    if isinstance(found, Metadata):
        return found
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    data = _http_json(url)
    # OpenID Connect Discovery 1.0, section 4.3: the issuer must be the one we asked.
    if data.get("issuer") != config.issuer:
        raise OidcError("discovery", f"issuer {data.get('issuer')!r} != {config.issuer!r}")
    try:
        found = Metadata(
            issuer=config.issuer,
            authorization_endpoint=str(data["authorization_endpoint"]),
            token_endpoint=str(data["token_endpoint"]),
            jwks_uri=str(data["jwks_uri"]),
            userinfo_endpoint=str(data.get("userinfo_endpoint") or ""),
            end_session_endpoint=str(data.get("end_session_endpoint") or ""),
        )
    except KeyError as missing:
        raise OidcError("discovery", f"no {missing} in the discovery document") from None
    cache.set(key, found, _METADATA_TTL)
    return found


def provider_keys(meta: Metadata, *, refresh: bool = False) -> KeySet:
    """The provider's signing keys; ``refresh`` fetches them again (the provider rotated)."""
    key = f"oidc:jwks:{meta.jwks_uri}"
    data = None if refresh else cache.get(key)
    if not isinstance(data, dict):
        data = _http_json(meta.jwks_uri)
        cache.set(key, data, _METADATA_TTL)
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]  # JSON checked by joserfc
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise OidcError("jwks", str(error)) from None


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636, section 4.2)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def begin(config: Config, *, redirect_uri: str, next_url: str = "") -> tuple[Pending, str]:
    """Start a login: the values to keep in the session and the provider URL to go to."""
    meta = metadata(config)
    pending = Pending(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),
        redirect_uri=redirect_uri,
        next_url=next_url,
        started=time.time(),
    )
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": redirect_uri,
            "scope": config.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": code_challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in meta.authorization_endpoint else "?"
    return pending, f"{meta.authorization_endpoint}{separator}{query}"


def remember(session: Any, pending: Pending) -> None:
    """Keep ``pending`` in the session (a few at most, for several tabs)."""
    kept: dict[str, Any] = dict(session.get(SESSION_PENDING) or {})
    kept[pending.state] = pending.as_dict()
    newest = sorted(kept.values(), key=lambda item: float(item.get("started", 0)))[-MAX_PENDING:]
    session[SESSION_PENDING] = {item["state"]: item for item in newest}


def take(session: Any, state: str) -> Pending:
    """Remove and return the login started with ``state``: each state serves once."""
    kept: dict[str, Any] = dict(session.get(SESSION_PENDING) or {})
    if not kept:
        # Nothing was started in this browser: noise (a reload, a bot), not worth an audit row.
        raise OidcError("no_login", "no login in progress")
    data = kept.pop(state, None) if state else None
    session[SESSION_PENDING] = kept
    if not isinstance(data, dict):
        raise OidcError("state", "no login in progress with this state")
    # Sessions may live in a signed cookie, which a browser can send again after its state
    # was taken: the spent states are also remembered on the (shared) cache.
    spent = "oidc:spent:" + hashlib.sha256(state.encode()).hexdigest()
    if not cache.add(spent, True, PENDING_TTL * 2):
        raise OidcError("state", "this state was already used")
    pending = Pending.from_dict(data)
    if time.time() - pending.started > PENDING_TTL:
        raise OidcError("state", "the login started too long ago")
    return pending


def validate_id_token(
    token: str,
    *,
    keys: KeySet,
    issuer: str,
    client_id: str,
    nonce: str,
    now: int | None = None,
) -> dict[str, Any]:
    """The claims of ``token`` once its signature and claims are checked; else OidcError."""
    try:
        decoded = jwt.decode(token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise OidcError("id_token", f"signature: {error}") from None
    claims: dict[str, Any] = dict(decoded.claims)
    moment = int(time.time()) if now is None else now
    registry = jwt.JWTClaimsRegistry(
        now=moment,
        leeway=LEEWAY,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        raise OidcError("nonce" if "nonce" in str(error) else "id_token", str(error)) from None
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise OidcError("id_token", "several audiences and azp is not this client")
    if "azp" in claims and claims["azp"] != client_id:
        raise OidcError("id_token", "azp is not this client")
    iat = claims["iat"]
    if not isinstance(iat, int) or moment - iat > MAX_TOKEN_AGE + LEEWAY:
        raise OidcError("id_token", "issued too long ago")
    return claims


def _exchange(config: Config, meta: Metadata, pending: Pending, code: str) -> dict[str, Any]:
    credentials = (
        f"{urllib.parse.quote(config.client_id, safe='')}:"
        f"{urllib.parse.quote(config.client_secret, safe='')}"
    )
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": pending.redirect_uri,
            "code_verifier": pending.verifier,
        }
    ).encode()
    basic = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
    headers = {"Authorization": basic, "Content-Type": "application/x-www-form-urlencoded"}
    try:
        return _http_json(meta.token_endpoint, headers=headers, data=body)
    except OidcError as error:
        raise OidcError("code", error.detail) from None


def _userinfo(meta: Metadata, access_token: str, subject: str) -> dict[str, Any]:
    if not meta.userinfo_endpoint or not access_token:
        raise OidcError("claims", "no userinfo endpoint or no access token")
    data = _http_json(meta.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
    # OpenID Connect Core 1.0, section 5.3.2: the answer is about the ID token's subject.
    if data.get("sub") != subject:
        raise OidcError("claims", "userinfo is about another subject")
    return data


def finish(config: Config, pending: Pending, code: str) -> tuple[dict[str, Any], str]:
    """Exchange ``code``, check the ID token; return the person's claims and the ID token to
    send back at logout (``id_token_hint``): "" when the token carries the national ID number,
    which the session table must never hold in clear."""
    meta = metadata(config)
    tokens = _exchange(config, meta, pending, code)
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("id_token", "the token answer has no ID token")
    kwargs: dict[str, Any] = {
        "issuer": meta.issuer,
        "client_id": config.client_id,
        "nonce": pending.nonce,
    }
    try:
        claims = validate_id_token(id_token, keys=provider_keys(meta), **kwargs)
    except OidcError as error:
        if error.reason != "id_token" or "signature" not in str(error):
            raise
        # A key we do not know yet: the provider may have rotated its keys.
        claims = validate_id_token(id_token, keys=provider_keys(meta, refresh=True), **kwargs)
    if config.id_claim in claims:
        return claims, ""
    access_token = tokens.get("access_token")
    extra = _userinfo(meta, access_token if isinstance(access_token, str) else "", claims["sub"])
    return {**extra, **claims}, id_token


def match_person(config: Config, claims: dict[str, Any]) -> User:
    """The active roster record with the claimed national ID number; else OidcError."""
    value = claims.get(config.id_claim)
    if not isinstance(value, str) or not value:
        raise OidcError("no_national_id", f"no {config.id_claim} claim")
    try:
        person = services.find_by_national_id(value)
    except services.InvalidNationalId:
        raise OidcError("invalid_national_id") from None
    if person is None:
        raise OidcError("unknown_person")
    if not person.is_active:
        raise OidcError("inactive")
    return person


def logout_url(config: Config, *, id_token_hint: str, post_logout_redirect_uri: str) -> str:
    """Where to end the provider's session (RP-initiated logout), or "" when it offers none."""
    try:
        meta = metadata(config)
    except OidcError:
        return ""
    if not meta.end_session_endpoint:
        return ""
    params = {"client_id": config.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    if id_token_hint:
        params["id_token_hint"] = id_token_hint
    separator = "&" if "?" in meta.end_session_endpoint else "?"
    return f"{meta.end_session_endpoint}{separator}{urllib.parse.urlencode(params)}"


def record_login(person: User) -> None:
    """Audit a login through the national e-ID (the ID number never goes in the log)."""
    audit.record(
        "auth.eid_login",
        actor=person,
        obj=person,
        unit_path=person.unit.path if person.unit is not None else "",
        data={},
    )


def record_refusal(reason: str, *, national_id: object = None) -> None:
    """Audit a refused national e-ID login; an unknown number only as its keyed blind index,
    so that an administrator can later see it was the person they then added."""
    data: dict[str, Any] = {"reason": reason}
    if reason == "unknown_person" and isinstance(national_id, str):
        data["national_id_index"] = services.national_id_index(national_id)
    audit.record("auth.eid_refused", object_type="identity.user", data=data)
