"""A stand-in SMS/Zalo gateway for tests and the demo (a real HTTP process).

Run ``python -m hocvu.messaging.standin_gateway --port 8798 --token T`` (``--port 0``
picks a free port). The first line on standard output is ``listening on http://host:port``.
It implements the gateway contract of docs/messaging.md, in memory:

* ``POST /v1/messages`` with ``Authorization: Bearer <token>`` and an ``Idempotency-Key``:
  the same key with the same body answers the first answer again and stores nothing; the
  same key with another body answers 409.

Test controls (not part of the contract):

* ``GET /_received``: the stored messages and request counts;
* ``POST /_down`` ``{"down": true}``: every request answers 503 until ``{"down": false}``;
* ``POST /_fail`` ``{"status": 503, "count": 2}``: the next ``count`` requests fail;
* ``POST /_delay`` ``{"seconds": 0.02}``: answer every message that late (slow gateway);
* ``POST /_reset``: forget everything.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PHONE = re.compile(r"^\+[0-9]{8,15}$")
MAX_BODY = 64 * 1024


class State:
    def __init__(self, token: str) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.replies: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self.fail: dict[str, Any] = {"count": 0}
        self.down = False
        self.delay = 0.0
        self.requests = 0
        self.replayed = 0


class Handler(BaseHTTPRequestHandler):
    state: State
    server_version = "hocvu-gateway-standin/1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("too large")
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw.decode("utf-8")) if raw else {}

    def do_GET(self) -> None:
        if self.path == "/_received":
            with self.state.lock:
                self._reply(
                    200,
                    {
                        "messages": list(self.state.messages),
                        "requests": self.state.requests,
                        "replayed": self.state.replayed,
                    },
                )
            return
        self._reply(404, {"error": "not_found"})

    def do_POST(self) -> None:
        try:
            body = self._json()
        except (ValueError, UnicodeDecodeError):
            self._reply(400, {"error": "bad_json"})
            return
        if self.path.startswith("/_"):
            self._control(body if isinstance(body, dict) else {})
            return
        with self.state.lock:
            self.state.requests += 1
            if self.state.down:
                self._reply(503, {"error": "unavailable"})
                return
            if self.state.fail.get("count", 0) > 0:
                self.state.fail["count"] -= 1
                self._reply(int(self.state.fail.get("status", 503)), {"error": "injected"})
                return
        if self.path != "/v1/messages":
            self._reply(404, {"error": "not_found"})
            return
        status, reply = self._api(body)
        if self.state.delay:
            time.sleep(self.state.delay)
        self._reply(status, reply)

    def _control(self, body: dict[str, Any]) -> None:
        with self.state.lock:
            if self.path == "/_reset":
                self.state.reset()
            elif self.path == "/_down":
                self.state.down = bool(body.get("down", True))
            elif self.path == "/_delay":
                self.state.delay = min(5.0, max(0.0, float(body.get("seconds", 0))))
            elif self.path == "/_fail":
                self.state.fail = {
                    "count": int(body.get("count", 1)),
                    "status": int(body.get("status", 503)),
                }
            else:
                self._reply(404, {"error": "not_found"})
                return
        self._reply(200, {"ok": True})

    def _api(self, body: Any) -> tuple[int, dict[str, Any]]:
        auth = self.headers.get("Authorization", "")
        if not hmac.compare_digest(auth.encode(), f"Bearer {self.state.token}".encode()):
            return 401, {"error": "invalid_token"}
        key = self.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 255:
            return 400, {"error": "idempotency_key_required"}
        if not isinstance(body, dict):
            return 400, {"error": "bad_json"}
        fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with self.state.lock:
            seen = self.state.replies.get(key)
            if seen is not None:
                if seen[0] != fingerprint:
                    return 409, {"error": "idempotency_conflict"}
                self.state.replayed += 1
                return seen[1], seen[2]
            status, reply = self._store(body)
            self.state.replies[key] = (fingerprint, status, reply)
            return status, reply

    def _store(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("channel") not in ("sms", "zalo"):
            return 422, {"error": "invalid", "detail": "channel must be sms or zalo"}
        if not PHONE.match(str(body.get("to", ""))):
            return 422, {"error": "invalid", "detail": "to must be +<digits>"}
        if not body.get("text") and not body.get("template"):
            return 422, {"error": "invalid", "detail": "text or template required"}
        record = {"gateway_id": str(uuid.uuid4()), **body}
        self.state.messages.append(record)
        return 201, {"id": record["gateway_id"], "status": "accepted"}


def serve(host: str, port: int, *, token: str) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"state": State(token)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stand-in SMS/Zalo gateway (in memory).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8798, help="0 picks a free port")
    parser.add_argument("--token", default="hocvu-gateway-standin")
    args = parser.parse_args(argv)
    server = serve(args.host, args.port, token=args.token)
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
