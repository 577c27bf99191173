"""Write a framework version as a CASE 1.1 CFPackage (JSON)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hocvu.framework import case, services
from hocvu.framework.models import FrameworkVersion


class Command(BaseCommand):
    help = (
        "Export a framework version as a CASE 1.1 CFPackage (JSON). By default the newest "
        "published version; --label picks another version (drafts included)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--framework", help="framework code (default: any framework)")
        parser.add_argument("--label", help="version label, e.g. 1.0 (default: newest published)")
        parser.add_argument(
            "-o", "--output", help="file to write (default: standard output)", metavar="FILE"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code: str | None = options["framework"]
        label: str | None = options["label"]
        version: FrameworkVersion | None
        if label:
            versions = FrameworkVersion.objects.filter(label=label)
            if code:
                versions = versions.filter(framework__code=code)
            if versions.values("framework").distinct().count() > 1:
                raise CommandError(f"several frameworks have a version {label}; add --framework")
            version = versions.order_by("-number").first()
        else:
            version = services.current_version(code)
        if version is None:
            wanted = f"version {label}" if label else "published version"
            raise CommandError(f"no {wanted}" + (f" of framework {code}" if code else ""))
        text = case.dumps(case.export_package(version))
        output: str | None = options["output"]
        if output and output != "-":
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"{version} → {output}")
        else:
            self.stdout.write(text, ending="")
