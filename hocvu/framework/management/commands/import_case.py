"""Read a CASE 1.1 CFPackage (JSON) into a new draft framework version."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hocvu.framework import case, services


class Command(BaseCommand):
    help = (
        "Import a CASE 1.1 CFPackage (JSON, as written by export_case) as a new draft version "
        "of its framework. All or nothing: a bad file changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="the package file ('-' for standard input)")
        parser.add_argument(
            "--publish", action="store_true", help="publish the new version at once"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["file"]
        try:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            raise CommandError(f"{name}: {exc.strerror}") from exc
        try:
            with transaction.atomic():
                version = case.import_package(raw)
                if options["publish"]:
                    version = services.publish(version)
        except (case.CaseError, services.DefinitionError) as exc:
            raise CommandError(f"{name}: {exc}") from exc
        state = "published" if version.is_published else "draft"
        self.stdout.write(
            f"{version.framework.code}: {version} — version {version.number}, {state} "
            f"({version.uuid})"
        )
