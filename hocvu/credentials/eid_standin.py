"""A stand-in national e-ID server for tests and the demo (a real HTTP process).

Run ``python -m hocvu.credentials.eid_standin --port 8765`` (``--port 0`` picks a free
port). The first line written to standard output is ``listening on http://host:port``.
It implements the contract of ``docs/eid-contract.md`` and keeps everything in memory:

* ``POST /oauth/token``: client credentials in HTTP Basic, ``grant_type=client_credentials``;
* ``POST /v1/credentials`` and ``POST /v1/credentials/<id>/revocation`` with a bearer token
  and an ``Idempotency-Key``: the same key with the same body answers the first answer again
  and stores nothing; the same key with another body answers 409.

Test controls (not part of the contract):

* ``GET /_received``: what was stored (credentials, revocations) and request counts;
* ``POST /_fail`` ``{"status": 503, "count": 5}``: the next ``count`` requests fail with
  ``status``; ``"after_store": true`` stores first and then fails (an answer lost on the
  way back); ``"drop": true`` closes the connection without any answer;
* ``POST /_expire_tokens``: every issued token becomes invalid (the client must refresh);
* ``POST /_reset``: forget everything.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import re
import secrets
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

REQUIRED_ISSUE_FIELDS = ("credential_id", "holder_name", "achievement", "issued_at", "vc_jwt")
REVOCATION_PATH = re.compile(r"^/v1/credentials/([0-9A-Za-z-]{1,64})/revocation$")


class State:
    """Everything the stand-in remembers, behind one lock."""

    def __init__(self, client_id: str, client_secret: str, token_ttl: int) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.tokens: dict[str, float] = {}
        self.credentials: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []
        self.revocations: list[dict[str, Any]] = []
        self.replies: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self.fail: dict[str, Any] = {"count": 0}
        self.requests = 0
        self.failed = 0
        self.replayed = 0
        self.tokens_issued = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "credentials": list(self.received),
            "revocations": list(self.revocations),
            "requests": self.requests,
            "failed": self.failed,
            "replayed": self.replayed,
            "tokens_issued": self.tokens_issued,
        }


class Handler(BaseHTTPRequestHandler):
    server_version = "eid-standin/1"
    protocol_version = "HTTP/1.1"
    state: State  # set on the subclass made by ``serve``

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read /_received instead

    # -- plumbing -------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, 1_000_000)) if length > 0 else b""

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)

    def _take_failure(self) -> dict[str, Any] | None:
        """Consume one planned failure, if any."""
        with self.state.lock:
            plan = self.state.fail
            if plan.get("count", 0) <= 0:
                return None
            plan["count"] -= 1
            self.state.failed += 1
            return dict(plan)

    def _fail_now(self, plan: dict[str, Any]) -> None:
        if plan.get("drop"):
            self._drop()
            return
        status = int(plan.get("status", 503))
        headers = {"Retry-After": str(plan["retry_after"])} if plan.get("retry_after") else {}
        self._send(status, {"error": "unavailable", "detail": "simulated failure"}, headers)

    def _bearer_ok(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        with self.state.lock:
            expires = self.state.tokens.get(header[7:].strip())
        return expires is not None and expires > time.monotonic()

    # -- routes ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path == "/_received":
            with self.state.lock:
                self._send(200, self.state.snapshot())
            return
        if self.path == "/healthz":
            self._send(200, {"status": "ok"})
            return
        self._send(404, {"error": "not_found"})

    def do_POST(self) -> None:
        raw = self._body()
        if self.path.startswith("/_"):
            self._control(raw)
            return
        with self.state.lock:
            self.state.requests += 1
        plan = self._take_failure()
        if plan and not plan.get("after_store"):
            self._fail_now(plan)
            return
        if self.path == "/oauth/token":
            status, body = self._token(raw)
        elif self.path == "/v1/credentials" or REVOCATION_PATH.match(self.path):
            status, body = self._api(raw)
        else:
            status, body = 404, {"error": "not_found"}
        if plan:  # the work is done, but the answer is lost
            self._fail_now(plan)
            return
        self._send(status, body)

    def _control(self, raw: bytes) -> None:
        try:
            data = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": "bad_json"})
            return
        with self.state.lock:
            if self.path == "/_fail":
                self.state.fail = {"status": 503, "count": 1, **data}
            elif self.path == "/_reset":
                self.state.reset()
            elif self.path == "/_expire_tokens":
                self.state.tokens.clear()
            else:
                self._send(404, {"error": "not_found"})
                return
        self._send(200, {"ok": True})

    def _token(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        header = self.headers.get("Authorization", "")
        try:
            decoded = base64.b64decode(header.removeprefix("Basic "), validate=True).decode()
            client_id, _, secret = decoded.partition(":")
        except ValueError:
            return 401, {"error": "invalid_client"}
        ok = secrets.compare_digest(
            unquote(client_id).encode(), self.state.client_id.encode()
        ) and secrets.compare_digest(unquote(secret).encode(), self.state.client_secret.encode())
        if not header.startswith("Basic ") or not ok:
            return 401, {"error": "invalid_client"}
        form = parse_qs(raw.decode("utf-8", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type"}
        token = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens[token] = time.monotonic() + self.state.token_ttl
            self.state.tokens_issued += 1
        return 200, {
            "access_token": token,
            "token_type": "Bearer",  # a token type, not a password  # nosec B105
            "expires_in": self.state.token_ttl,
        }

    def _api(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        if not self._bearer_ok():
            return 401, {"error": "invalid_token"}
        key = self.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 255:
            return 400, {"error": "idempotency_key_required"}
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {"error": "bad_json"}
        if not isinstance(body, dict):
            return 400, {"error": "bad_json"}
        fingerprint = hashlib.sha256(
            (self.path + "\n" + json.dumps(body, sort_keys=True)).encode()
        ).hexdigest()
        with self.state.lock:
            seen = self.state.replies.get(key)
            if seen is not None:
                if seen[0] != fingerprint:
                    return 409, {
                        "error": "idempotency_conflict",
                        "detail": "this Idempotency-Key was used with another request",
                    }
                self.state.replayed += 1
                return seen[1], seen[2]
            status, reply = self._apply(body)
            if status < 500:
                self.state.replies[key] = (fingerprint, status, reply)
            return status, reply

    def _apply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Store an issue or a revocation (the lock is held)."""
        match = REVOCATION_PATH.match(self.path)
        if match:
            credential_id = match.group(1)
            record = self.state.credentials.get(credential_id)
            if record is None:
                return 404, {"error": "unknown_credential"}
            record["revoked"] = True
            self.state.revocations.append({"credential_id": credential_id, **body})
            return 200, {"id": record["eid_id"], "status": "revoked"}
        missing = [name for name in REQUIRED_ISSUE_FIELDS if not body.get(name)]
        if missing:
            return 422, {"error": "invalid", "detail": f"missing: {', '.join(missing)}"}
        if "citizen_id" in body or "national_id" in body:
            return 422, {"error": "invalid", "detail": "send citizen_id_hash, never the number"}
        record = {"eid_id": str(uuid.uuid4()), "revoked": False, **body}
        self.state.credentials[str(body["credential_id"])] = record
        self.state.received.append(record)
        return 201, {"id": record["eid_id"], "status": "stored"}


def serve(
    host: str, port: int, *, client_id: str, client_secret: str, token_ttl: int
) -> ThreadingHTTPServer:
    state = State(client_id, client_secret, token_ttl)
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stand-in national e-ID server (in memory).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--client-id", default="hocvu")
    parser.add_argument("--client-secret", default="hocvu-standin-secret")
    parser.add_argument("--token-ttl", type=int, default=600, help="token lifetime, seconds")
    args = parser.parse_args(argv)
    server = serve(
        args.host,
        args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl=args.token_ttl,
    )
    print(f"listening on http://{args.host}:{server.server_port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
