"""Report every finding of the bank linter on the shipped bank (both pools)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hocvu.content import linter, services


class Command(BaseCommand):
    help = "Lint the shipped item bank (learning and secure exam pools); exit 1 on findings."

    def handle(self, *args: Any, **options: Any) -> None:
        items = linter.shipped_bank(services.CURRICULUM, services.EXAM)
        found = linter.lint(items, media=[p.name for p in services.MEDIA.glob("*")])
        for finding in found:
            self.stdout.write(str(finding))
        counts = linter.summary(found)
        self.stdout.write(
            f"{len(items)} items, {len(found)} findings"
            + ("".join(f"\n  {check}: {n}" for check, n in sorted(counts.items())))
        )
        if found:
            raise CommandError("the bank has findings")
