"""Import a roster from the command line, with the same checks and scope as the web page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from hocvu.identity import access
from hocvu.identity.models import User
from hocvu.roster import services
from hocvu.roster.messages import render
from hocvu.roster.models import Decision
from hocvu.roster.reading import MAX_FILE_BYTES
from hocvu.roster.report import problem_csv


class Command(BaseCommand):
    help = (
        "Check a roster file (.xlsx or .csv) and, with --commit, store it: exit status 0 when "
        "the file has no errors (and was stored), 1 when it has errors (nothing is stored)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", required=True, help="code of the unit the roster fills")
        parser.add_argument("--as", dest="username", required=True, help="importing manager")
        parser.add_argument("--commit", action="store_true", help="store when there is no error")
        parser.add_argument("--report", type=Path, help="write row,column,level,message CSV")
        parser.add_argument(
            "--duplicates",
            choices=[Decision.SKIP, Decision.CREATE],
            default=Decision.SKIP,
            help="what to do with rows whose name and date of birth match another person",
        )
        parser.add_argument("--language", default="vi", help="language of the messages")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options["language"])
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['username']!r}", returncode=2)
        unit = access.units_for(user, services.PERMISSION).filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(
                f"{user.username} does not manage people in a unit {options['unit']!r}",
                returncode=2,
            )
        path: Path = options["file"]
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                data = path.open("rb").read(MAX_FILE_BYTES + 1)
            else:
                data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}", returncode=2) from exc
        if options["commit"]:
            outcome = services.import_file(
                data, path.name, actor=user, unit=unit, on_duplicate=options["duplicates"]
            )
            report = outcome.report
        else:
            report = services.validate(data, actor=user, unit=unit)
            outcome = services.Outcome(committed=False, report=report)
        assert report is not None
        problems = list(report.problems())
        if options["report"]:
            lines = ((p.row, p.column, p.level, render(p.code, p.params)) for p in problems)
            options["report"].write_bytes(problem_csv(lines))
        for p in problems:
            if p.level == "error":
                where = f"{p.row}:{p.column}" if p.row else "file"
                self.stderr.write(f"{where}: {render(p.code, p.params)}")
        rows = len(report.rows)
        if report.has_errors:
            errors = sum(1 for p in problems if p.level == "error")
            self.stderr.write(f"{errors} errors in {rows} rows; nothing was stored.")
            raise CommandError("the file has errors", returncode=1)
        if outcome.committed:
            self.stdout.write(
                f"{rows} rows: {outcome.created} created, {outcome.updated} updated, "
                f"{outcome.unchanged} unchanged, {outcome.skipped} skipped."
            )
        else:
            self.stdout.write(f"{rows} rows, no errors (not stored: add --commit).")
