"""Deliver the outbox: e-mail, SMS, Zalo and every registered outbox (the e-ID push)."""

from __future__ import annotations

import json
import logging
import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hocvu.messaging.delivery import deliver_all

logger = logging.getLogger(__name__)


def _progress(counts: dict[str, Any]) -> int:
    """Messages handled in a round (sent, retried or buried), nested counts included."""
    total = 0
    for key, value in counts.items():
        if isinstance(value, dict):
            total += _progress(value)
        elif key in ("sent", "retry", "dead"):
            total += int(value)
    return total


class Command(BaseCommand):
    help = (
        "Send due messages (e-mail, SMS, Zalo, e-ID). Failed messages are retried later "
        "with growing delays; use --loop to keep running."
    )

    def round(self, limit: int) -> dict[str, Any]:
        return deliver_all(limit)

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="messages per round")
        parser.add_argument("--loop", action="store_true", help="keep running until stopped")
        parser.add_argument(
            "--interval", type=float, default=15.0, help="seconds between rounds with --loop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = False

        def _stop(signum: int, frame: Any) -> None:
            nonlocal stop
            stop = True

        if options["loop"]:
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        limit = max(1, options["limit"])
        while True:
            try:
                counts = self.round(limit)
            except Exception as error:  # e.g. the database restarting: try again next round
                if not options["loop"]:
                    raise
                logger.exception("delivery round failed")
                counts = {"error": 1}
                self.stderr.write(f"round failed: {type(error).__name__}: {error}")
            else:
                self.stdout.write(json.dumps(counts, sort_keys=True))
            if not options["loop"] or stop:
                return
            # A full round means more are due: go on at once; otherwise wait.
            busy = _progress(counts) >= limit
            waited = 0.0
            while not busy and not stop and waited < options["interval"]:
                time.sleep(0.25)
                waited += 0.25
            if stop:
                return
