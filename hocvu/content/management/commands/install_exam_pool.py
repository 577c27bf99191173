"""Load (or refresh) the secure exam pool into the installed program's framework."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hocvu.content import services


class Command(BaseCommand):
    help = (
        "Install the secure exam items (X- codes) from HOCVU_EXAM_POOL_DIR, or --dir, or the "
        "shipped content/data/exam; idempotent, all or nothing."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dir", dest="directory", default="", help="a directory of area-*.toml exam files"
        )

    def handle(self, *args: Any, directory: str, **options: Any) -> None:
        program = services.default_program()
        if program is None:
            raise CommandError("no program is installed yet: run seed_demo (or install one)")
        try:
            report = services.install_exam_pool(
                program.framework_version, directory=Path(directory) if directory else None
            )
        except services.CurriculumError as exc:
            raise CommandError(f"nothing installed: {exc}") from exc
        self.stdout.write(
            f"Secure exam pool from {report.directory}: {report.items} items "
            f"({report.created} new, {report.updated} updated, {report.unchanged} unchanged)"
        )
