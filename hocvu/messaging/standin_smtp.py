"""A stand-in SMTP server for tests and the demo (a real process, built on aiosmtpd).

Run ``python -m hocvu.messaging.standin_smtp --port 8025 --store var/mails.jsonl``
(``--port 0`` picks a free port). The first line on standard output is
``listening on smtp://host:port``. Every accepted mail is appended to the store as one JSON
line: ``{"mail_from", "rcpt_tos", "subject", "message_id", "body", "received_at"}``.

While the file given by ``--down-file`` exists, every mail is refused with ``421`` (the
server is "down" for a while; senders must keep the mail and try later). To refuse
connections outright, stop the process.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class Store:
    def __init__(self, path: Path | None, down_file: Path | None) -> None:
        self.path = path
        self.down_file = down_file
        self.lock = threading.Lock()

    def down(self) -> bool:
        return bool(self.down_file and self.down_file.exists())

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=True)
        with self.lock:
            if self.path is None:
                print(line, flush=True)
                return
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")


class Handler:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.store.down():
            return "421 4.3.2 Service not available, try later"
        if address.endswith("@invalid.example"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.store.down():
            return "421 4.3.2 Service not available, try later"
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        part = parsed.get_body(("plain",)) if parsed.is_multipart() else parsed
        body = part.get_content() if part is not None else ""
        self.store.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "subject": str(parsed.get("Subject", "")),
                "message_id": str(parsed.get("Message-ID", "")),
                "body": body,
                "received_at": datetime.now(UTC).isoformat(),
            }
        )
        return "250 Message accepted for delivery"


async def _serve(host: str, port: int, store: Store) -> None:
    loop = asyncio.get_running_loop()
    handler = Handler(store)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="standin.local", decode_data=False), host, port
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on smtp://{host}:{bound}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stand-in SMTP server (stores mails).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025, help="0 picks a free port")
    parser.add_argument("--store", type=Path, help="JSON-lines file (default: standard output)")
    parser.add_argument("--down-file", type=Path, help="refuse mail while this file exists")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port, Store(args.store, args.down_file)))
    except KeyboardInterrupt:
        pass
    finally:
        sys.stdout.flush()


if __name__ == "__main__":
    main()
