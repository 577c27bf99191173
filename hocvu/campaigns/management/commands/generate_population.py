"""``manage.py generate_population --people N --seed S [--since 2025-09-01]``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hocvu.campaigns.generator import COMMUNES_TOTAL, ensure_campaigns, generate


class Command(BaseCommand):
    help = (
        "Create a national population with a campaign history, written straight into the "
        "progress tables (no answers or signed certificates: see hocvu/campaigns/generator.py)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--people", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--since", type=date.fromisoformat, default=date(2025, 9, 1))
        parser.add_argument("--communes", type=int, default=COMMUNES_TOTAL)
        parser.add_argument(
            "--campaigns", action="store_true", help="also create the NA and councils campaigns"
        )

    def handle(
        self, *args: Any, people: int, seed: int, since: date, communes: int, campaigns: bool,
        **options: Any,
    ) -> None:  # fmt: skip
        if not 0 < people <= 5_000_000:
            raise CommandError("--people must be between 1 and 5,000,000")
        if not 34 <= communes <= 20_000:
            raise CommandError("--communes must be between 34 and 20,000")
        try:
            report = generate(
                people=people, seed=seed, since=since, communes=communes, stdout=self.stdout
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        if campaigns:
            ensure_campaigns(since=since)
        self.stdout.write(
            f"{report.people:,} people, {report.units:,} units, {report.unit_days:,} unit-day "
            f"rows in {report.seconds:.1f} s"
        )
