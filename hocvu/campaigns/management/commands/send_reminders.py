"""``manage.py send_reminders [--today YYYY-MM-DD] [--enqueue]``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand

from hocvu.campaigns import reminders, tasks


class Command(BaseCommand):
    help = "Enqueue the campaigns' deadline and stall reminders due today (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", type=date.fromisoformat, default=None)
        parser.add_argument(
            "--enqueue", action="store_true", help="run as a background task instead of now"
        )

    def handle(self, *args: Any, today: date | None, enqueue: bool, **options: Any) -> None:
        if enqueue:
            result = tasks.send_reminders.enqueue()
            self.stdout.write(f"enqueued task {result.id}")
            return
        sent = reminders.send_reminders(today)
        self.stdout.write(
            f"{len(sent.campaigns)} active campaigns: {sent.deadline} deadline and "
            f"{sent.stall} stall reminders, {sent.unreachable} people unreachable, "
            f"{sent.rejected} addresses rejected"
        )
