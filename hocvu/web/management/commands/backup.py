"""``manage.py backup FILE``: database, keys and media in one owner-only archive
(hocvu/web/backup.py; docs/operations.md, Backups)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hocvu.audit import services as audit
from hocvu.web.backup import BackupError, make_backup


class Command(BaseCommand):
    help = "Write a backup archive (database, keys, media), readable by its owner only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the archive to write, e.g. hocvu.tar.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["file"]
        try:
            manifest = make_backup(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        audit.record(
            "platform.backup",
            object_type="backup",
            data={"vendor": manifest["vendor"], "files": len(manifest["files"])},
        )
        self.stdout.write(
            f"backup written: {target} ({manifest['vendor']} database, "
            f"{len(manifest['files']) - 2} media files, keys)"
        )
