"""Background jobs of campaigns (run by the ``django_tasks`` database worker)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django_tasks import task

from hocvu.campaigns import reminders


@task()
def send_reminders() -> dict[str, Any]:
    """Enqueue today's deadline and stall reminders (idempotent: run it daily, or twice)."""
    return asdict(reminders.send_reminders())
