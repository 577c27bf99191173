"""``manage.py restore FILE``: bring back database, media and keys from a backup, then run
the drill (every certificate verifies, the audit chains hold, the signing keys decrypt).

Stop the web and worker processes first. Exit status 1 when the drill finds a problem, 2
when the keys in force differ from the backup's (they are written to ``restored-keys.env``;
restart with them and run ``manage.py restore --check``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hocvu.audit import services as audit
from hocvu.web.backup import BackupError, drill, restore_backup


class Command(BaseCommand):
    help = "Restore a backup archive, then check certificates, audit chains and keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?", help="the archive to restore")
        parser.add_argument(
            "--force", action="store_true", help="overwrite a database that holds people"
        )
        parser.add_argument(
            "--check", action="store_true", help="only run the drill on the database in use"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["check"]:
            if options["file"] is None:
                raise CommandError("name the backup archive to restore")
            try:
                restored = restore_backup(options["file"], force=options["force"])
            except BackupError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"restored the backup of {restored.manifest['created_at']}")
            if not restored.keys_match:
                written = ", ".join(str(p) for p in restored.keys_written)
                self.stderr.write(
                    "The keys in force are not the backup's: they were written to "
                    f"{written}. Start the platform with them, then run "
                    "'manage.py restore --check'."
                )
                sys.exit(2)
        report = drill()
        for problem in report.problems:
            self.stderr.write(problem)
        if report.problems:
            raise CommandError(f"drill failed: {len(report.problems)} problem(s)")
        if not options["check"]:
            audit.record("platform.restore", object_type="backup", data={})
        self.stdout.write(
            self.style.SUCCESS(
                f"drill passed: {report.certificates} certificates verify, "
                f"{report.audit_events} audit events chain, {report.signing_keys} signing keys"
            )
        )
