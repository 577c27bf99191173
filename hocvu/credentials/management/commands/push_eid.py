"""Deliver the e-ID outbox (see ``hocvu.credentials.eid`` and docs/eid-contract.md)."""

from __future__ import annotations

import json
import logging
import signal
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from hocvu.credentials import eid

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send due certificates and revocations to the national e-ID platform. Failed "
        "messages are retried later with growing delays; use --loop to keep running."
    )

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
        while True:
            try:
                counts = eid.process_outbox(limit=max(1, options["limit"]))
            except Exception as error:  # e.g. the database restarting: try again next round
                if not options["loop"]:
                    raise
                logger.exception("e-ID push round failed")
                counts = {"error": 1}
                self.stderr.write(f"round failed: {type(error).__name__}: {error}")
            else:
                self.stdout.write(json.dumps(counts, sort_keys=True))
            if not options["loop"] or stop:
                return
            # A full round means more are due: go on at once; otherwise wait.
            busy = sum(counts.get(k, 0) for k in ("sent", "retry", "dead")) >= options["limit"]
            waited = 0.0
            while not busy and not stop and waited < options["interval"]:
                time.sleep(0.5)
                waited += 0.5
            if stop:
                return
