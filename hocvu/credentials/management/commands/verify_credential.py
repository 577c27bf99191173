"""Verify a certificate file: a PDF certificate, a VC-JWT or a JSON-LD credential.

With ``--did-document`` the check is fully offline: the issuer's keys come from that file (a
copy of ``/.well-known/did.json``) and revocation from ``--status-list`` files (copies of the
status list credentials the certificate points to); no database is read. Without it, the keys
and status lists of this installation's database are used.

Exit status: 0 when the certificate is valid, 1 otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hocvu.credentials.status import StatusListError
from hocvu.credentials.vc import DocumentResolver


class Command(BaseCommand):
    help = "Verify a certificate (PDF, VC-JWT or JSON-LD credential file), offline if asked."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="certificate PDF, .jwt or .json file ('-' for stdin)")
        parser.add_argument(
            "--did-document",
            help="the issuer's DID document (did.json): verify without the database",
        )
        parser.add_argument(
            "--status-list",
            action="append",
            default=[],
            help="a status list credential (JSON) to check revocation against; repeatable",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        from hocvu.credentials.services import verify

        source = options["file"]
        if source == "-":
            import sys

            data = sys.stdin.buffer.read()
        else:
            try:
                data = Path(source).read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read {source}: {exc}") from exc

        resolver = None
        if options["did_document"]:
            try:
                did_doc = json.loads(Path(options["did_document"]).read_text(encoding="utf-8"))
                lists = [
                    json.loads(Path(p).read_text(encoding="utf-8")) for p in options["status_list"]
                ]
                resolver = DocumentResolver(did_doc, lists)
            except (OSError, ValueError, StatusListError) as exc:
                raise CommandError(f"cannot use the given documents: {exc}") from exc
        elif options["status_list"]:
            raise CommandError("--status-list needs --did-document (offline verification)")

        result = verify(data, resolver=resolver)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "status": result.status,
                        "reason": result.reason,
                        "credential_id": result.credential_id,
                        "subject_name": result.subject_name,
                        "achievement_name": result.achievement_name,
                        "issued_at": result.issued_at.isoformat() if result.issued_at else None,
                        "issuer": result.issuer,
                        "key_id": result.key_id,
                        "checks": list(result.checks),
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            self.stdout.write(f"{result.status.upper()}: {result.reason}")
            for label, value in (
                ("certificate", result.credential_id),
                ("holder", result.subject_name),
                ("achievement", result.achievement_name),
                ("issued", result.issued_at.isoformat() if result.issued_at else ""),
                ("issuer", result.issuer),
                ("key", result.key_id),
                ("checked", ", ".join(result.checks)),
            ):
                if value:
                    self.stdout.write(f"  {label}: {value}")
        if not result.ok:
            raise SystemExit(1)
