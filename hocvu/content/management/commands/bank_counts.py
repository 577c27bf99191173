"""Print (or write into docs/item-bank.md) the items per competence x level and pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from hocvu.content import counts, services

DOC = Path(settings.BASE_DIR) / "docs" / "item-bank.md"
FRAMEWORK = Path(settings.BASE_DIR) / "hocvu" / "framework" / "data" / "default_framework.toml"


class Command(BaseCommand):
    help = "Items per competence x level in the learning and the shipped secure exam pool."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--write", action="store_true", help=f"update the table in {DOC}")

    def handle(self, *args: Any, write: bool, **options: Any) -> None:
        table = counts.counts_table(
            counts.shipped_counts(services.CURRICULUM, services.EXAM, FRAMEWORK)
        )
        if write:
            DOC.write_text(
                counts.replace_section(DOC.read_text(encoding="utf-8"), table), encoding="utf-8"
            )
            self.stdout.write(f"Updated {DOC.name}")
        else:
            self.stdout.write(table)
