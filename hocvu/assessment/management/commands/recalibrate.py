"""Recalibrate the item bank from learners' answers (see ``hocvu.assessment.calibration``)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hocvu.assessment.tasks import recalibrate_bank
from hocvu.content.services import default_program
from hocvu.framework.models import FrameworkVersion


class Command(BaseCommand):
    help = (
        "Refresh item statistics and calibrate pilot and provisional items from placement "
        "answers, holding calibrated operational items fixed. Enqueues a background task "
        "unless --now is given."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> Any:
        # Django's own --version (print Django's version) gives way to ours.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--version", type=int, help="framework version id (default: the program's version)"
        )
        parser.add_argument(
            "--min-n",
            type=int,
            dest="min_n",
            help="responses a free item needs before it is calibrated (default 200)",
        )
        parser.add_argument("--now", action="store_true", help="run here instead of enqueuing")

    def handle(self, *args: Any, **options: Any) -> None:
        version_id: int | None = options["version"]
        if version_id is None:
            program = default_program()
            if program is None:
                raise CommandError("no program installed; pass --version")
            version_id = program.framework_version_id
        elif not FrameworkVersion.objects.filter(pk=version_id).exists():
            raise CommandError(f"no framework version {version_id}")
        min_n: int | None = options["min_n"]
        if min_n is not None and min_n < 1:
            raise CommandError("--min-n must be at least 1")
        if options["now"]:
            report = recalibrate_bank.call(version_id, min_n)
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            result = recalibrate_bank.enqueue(version_id, min_n)
            self.stdout.write(f"enqueued task {result.id}")
