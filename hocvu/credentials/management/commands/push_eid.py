"""Deliver the e-ID outbox only (``deliver_messages`` delivers it along with the rest)."""

from __future__ import annotations

from typing import Any

from hocvu.credentials import eid
from hocvu.messaging.management.commands import deliver_messages


class Command(deliver_messages.Command):
    help = (
        "Send due certificates and revocations to the national e-ID platform. Failed "
        "messages are retried later with growing delays; use --loop to keep running."
    )

    def round(self, limit: int) -> dict[str, Any]:
        return eid.process_outbox(limit=limit)
