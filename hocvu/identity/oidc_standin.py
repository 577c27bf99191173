"""A stand-in national e-ID provider in Python, for ``make demo`` where Node.js is missing.

The tests use the certified ``oidc-provider`` (scripts/oidc-standin/provider.mjs); this file
takes the same command line and does the same for the demo: discovery, JWKS, the
authorization code flow with PKCE (S256 only), ID tokens signed RS256 with ``nonce``,
userinfo with the national ID number claim, and RP-initiated logout. Everything is in
memory. The first line written to standard output is ``listening on http://host:port``.

    python -m hocvu.identity.oidc_standin --port 8797 --accounts accounts.json \\
        --redirect-uri http://127.0.0.1:8000/eid/callback/ \\
        --post-logout-redirect-uri http://127.0.0.1:8000/
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CODE_TTL = 60
TOKEN_TTL = 600
COOKIE = "standin_session"


@dataclass
class State:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    post_logout_uris: list[str]
    accounts: dict[str, dict[str, str]]
    id_claim: str
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(
            2048, parameters={"kid": "standin-py-1", "alg": "RS256", "use": "sig"}
        )
    )
    lock: threading.Lock = field(default_factory=threading.Lock)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    xsrf: dict[str, str] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/me",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/session/end",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", self.id_claim],
            "claims_supported": ["sub", "name", self.id_claim],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "authorization_response_iss_parameter_supported": True,
        }


def _page(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    ).encode()


def _hidden(params: dict[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )


class Handler(BaseHTTPRequestHandler):
    server_version = "oidc-standin-py/1"
    state: State  # set on the subclass made by ``serve``

    def log_message(self, format: str, *args: Any) -> None:
        return

    # -- plumbing ------------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _html(
        self, status: int, title: str, body: str, headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, _page(title, body), "text/html; charset=utf-8", headers)

    def _redirect(self, url: str, headers: dict[str, str] | None = None) -> None:
        self._send(303, b"", "text/plain", {"Location": url, **(headers or {})})

    def _form(self) -> dict[str, str]:
        length = min(int(self.headers.get("Content-Length") or 0), 100_000)
        return dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace")))

    def _session_sub(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        morsel = cookie.get(COOKIE)
        with self.state.lock:
            return self.state.sessions.get(morsel.value) if morsel else None

    # -- routes --------------------------------------------------------------------------
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query))
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, self.state.metadata())
        elif parts.path == "/jwks":
            self._json(200, {"keys": [self.state.key.as_dict(private=False)]})
        elif parts.path == "/auth":
            self._authorize(query)
        elif parts.path == "/me":
            self._userinfo()
        elif parts.path == "/session/end":
            self._end_session(query)
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/auth/login":
            form = self._form()
            sub = form.pop("sub", "")
            if sub not in self.state.accounts:
                self._html(400, "Lỗi", "<p>Không có tài khoản này.</p>")
                return
            session = secrets.token_urlsafe(24)
            with self.state.lock:
                self.state.sessions[session] = sub
            cookie = f"{COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"
            self._authorize(form, sub=sub, headers={"Set-Cookie": cookie})
        elif path == "/token":
            self._token(self._form())
        elif path == "/session/end/confirm":
            self._end_session_confirm(self._form())
        else:
            self._json(404, {"error": "not_found"})

    def _authorize(
        self, params: dict[str, str], sub: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        state = self.state
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != state.client_id or redirect_uri not in state.redirect_uris:
            self._html(400, "Lỗi", "<p>Ứng dụng hoặc địa chỉ quay lại không được đăng ký.</p>")
            return
        problem = ""
        if params.get("response_type") != "code":
            problem = "unsupported_response_type"
        elif "openid" not in params.get("scope", "").split():
            problem = "invalid_scope"
        elif params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            problem = "invalid_request"
        if problem:
            answer = {"error": problem, "state": params.get("state", ""), "iss": state.issuer}
            self._redirect(f"{redirect_uri}?{urlencode(answer)}", headers)
            return
        sub = sub or self._session_sub()
        if sub is None:
            buttons = "".join(
                f'<button type="submit" name="sub" value="{html.escape(key)}">'
                f"{html.escape(account['name'])} ({html.escape(account['national_id'])})</button>"
                for key, account in state.accounts.items()
            )
            self._html(
                200,
                "Định danh điện tử (máy chủ thay thế)",
                "<p>Máy chủ thay thế để thử: chọn người đăng nhập.</p>"
                f'<form method="post" action="/auth/login">{_hidden(params)}{buttons}</form>',
            )
            return
        code = secrets.token_urlsafe(32)
        with state.lock:
            state.codes[code] = {
                "sub": sub,
                "redirect_uri": redirect_uri,
                "nonce": params.get("nonce", ""),
                "challenge": params["code_challenge"],
                "expires": time.time() + CODE_TTL,
            }
        answer = {"code": code, "state": params.get("state", ""), "iss": state.issuer}
        self._redirect(f"{redirect_uri}?{urlencode(answer)}", headers)

    def _token(self, form: dict[str, str]) -> None:
        state = self.state
        expected = base64.b64encode(f"{state.client_id}:{state.client_secret}".encode()).decode()
        given = (self.headers.get("Authorization") or "").removeprefix("Basic ")
        if not hmac.compare_digest(given, expected):
            self._json(401, {"error": "invalid_client"})
            return
        with state.lock:
            grant = state.codes.pop(form.get("code", ""), None)  # a code serves once
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or grant["expires"] < time.time()
            or grant["redirect_uri"] != form.get("redirect_uri")
            or not hmac.compare_digest(challenge, grant["challenge"])
        ):
            self._json(400, {"error": "invalid_grant"})
            return
        now = int(time.time())
        claims = {
            "iss": state.issuer,
            "sub": grant["sub"],
            "aud": state.client_id,
            "iat": now,
            "exp": now + TOKEN_TTL,
            "auth_time": now,
        }
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode({"alg": "RS256", "kid": "standin-py-1"}, claims, state.key)
        access_token = secrets.token_urlsafe(32)
        with state.lock:
            state.tokens[access_token] = (grant["sub"], now + TOKEN_TTL)
        self._json(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",  # a token type, not a password  # nosec B105
                "expires_in": TOKEN_TTL,
                "id_token": id_token,
                "scope": "openid",
            },
        )

    def _userinfo(self) -> None:
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        with self.state.lock:
            found = self.state.tokens.get(token)
        if found is None or found[1] < time.time():
            self._json(401, {"error": "invalid_token"})
            return
        account = self.state.accounts[found[0]]
        self._json(
            200,
            {
                "sub": found[0],
                "name": account["name"],
                self.state.id_claim: account["national_id"],
            },
        )

    def _end_session(self, params: dict[str, str]) -> None:
        xsrf = secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.xsrf[xsrf] = params.get("post_logout_redirect_uri", "")
        form = _hidden({"xsrf": xsrf, "state": params.get("state", "")})
        self._html(
            200,
            "Đăng xuất khỏi định danh điện tử",
            f'<form id="op.logoutForm" method="post" action="/session/end/confirm">{form}'
            '<button autofocus type="submit" name="logout" value="yes">Đăng xuất</button>'
            "</form>",
        )

    def _end_session_confirm(self, form: dict[str, str]) -> None:
        with self.state.lock:
            target = self.state.xsrf.pop(form.get("xsrf", ""), None)
        if target is None:
            self._html(400, "Lỗi", "<p>Yêu cầu đăng xuất không hợp lệ.</p>")
            return
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        morsel = cookie.get(COOKIE)
        if form.get("logout") == "yes" and morsel is not None:
            with self.state.lock:
                self.state.sessions.pop(morsel.value, None)
        expired = f"{COOKIE}=; Path=/; Max-Age=0"
        if target in self.state.post_logout_uris:
            query = urlencode({"state": form["state"]}) if form.get("state") else ""
            self._redirect(f"{target}?{query}" if query else target, {"Set-Cookie": expired})
        else:
            self._html(200, "Đã đăng xuất", "<p>Bạn đã đăng xuất.</p>", {"Set-Cookie": expired})


def serve(
    *,
    host: str,
    port: int,
    client_id: str,
    client_secret: str,
    redirect_uris: list[str],
    post_logout_uris: list[str],
    accounts: list[dict[str, str]],
    id_claim: str = "national_id",
) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), BaseHTTPRequestHandler)
    state = State(
        issuer=f"http://{host}:{server.server_port}",
        client_id=client_id,
        client_secret=client_secret,
        redirect_uris=redirect_uris,
        post_logout_uris=post_logout_uris,
        accounts={account["sub"]: account for account in accounts},
        id_claim=id_claim,
    )
    server.RequestHandlerClass = type("BoundHandler", (Handler,), {"state": state})
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stand-in national e-ID OpenID provider.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--client-id", default="hocvu")
    parser.add_argument("--client-secret", default="hocvu-standin-secret")
    parser.add_argument("--redirect-uri", action="append", default=[])
    parser.add_argument("--post-logout-redirect-uri", action="append", default=[])
    parser.add_argument("--accounts", required=True, type=Path)
    parser.add_argument("--id-claim", default="national_id")
    args = parser.parse_args(argv)
    server = serve(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uri,
        post_logout_uris=args.post_logout_redirect_uri,
        accounts=json.loads(args.accounts.read_text(encoding="utf-8")),
        id_claim=args.id_claim,
    )
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
