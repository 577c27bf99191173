"""``manage.py rebuild_progress [--aggregates-only]``: recompute progress from the sources."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from hocvu.campaigns.rebuild import rebuild


class Command(BaseCommand):
    help = (
        "Recompute every person's status from the source tables and every unit's daily "
        "totals from the statuses (repair; see hocvu/campaigns/rebuild.py)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--aggregates-only",
            action="store_true",
            help="keep the status rows, recompute only the unit totals (generated populations)",
        )

    def handle(self, *args: Any, aggregates_only: bool, **options: Any) -> None:
        start = time.perf_counter()
        counts = rebuild(aggregates_only=aggregates_only)
        self.stdout.write(
            f"{counts['people']} people counted, {counts['unit_days']} unit-day rows "
            f"in {time.perf_counter() - start:.1f} s"
        )
