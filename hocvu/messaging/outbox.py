"""The one delivery mechanism for every outbox table (messages and the e-ID push).

A row is *claimed* before it is sent: its status becomes ``sending`` and its
``next_attempt_at`` moves one lease ahead, so other workers skip it; a worker that dies
mid-send leaves a ``sending`` row whose lease runs out and which is then claimed again
(receivers deduplicate on the row's idempotency key). The claim is a compare-and-set on
(status, next_attempt_at), so two workers never both win a row, on PostgreSQL (where
``SELECT ... FOR UPDATE SKIP LOCKED`` also keeps them from waiting on each other) and on
SQLite alike.

A failure that may heal schedules the next attempt after ``1 min x 2^(n-1)`` (capped at 6
hours, drawn from [80 %, 100 %] of that so workers that failed together spread out); after
:data:`MAX_ATTEMPTS` attempts, or at once for a failure that retrying cannot fix, the row
is *dead* until an operator retries it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from hocvu.messaging.models import OutboxRow, OutboxStatus

logger = logging.getLogger(__name__)

#: Delay before the second attempt; it doubles with every failure up to MAX_DELAY.
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
#: Each delay is drawn uniformly from [JITTER x delay, delay].
JITTER = 0.8
#: After this many failed attempts a row is dead; with the delays above the last attempt
#: comes at least 50 hours (at most ~63 hours) after the first.
MAX_ATTEMPTS = 19
#: A claimed row is invisible to other workers for this long.
LEASE = timedelta(minutes=5)

Row = TypeVar("Row", bound=OutboxRow)


class DeliveryError(Exception):
    """Sending failed; ``retryable`` says whether trying again later may help."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class RetryableError(DeliveryError):
    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, retryable=True, **kwargs)


class PermanentError(DeliveryError):
    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, retryable=False, **kwargs)


class Deferred(Exception):
    """Not now and not a failure (e.g. waiting for another message): no attempt counted."""

    def __init__(self, delay: timedelta = BASE_DELAY) -> None:
        super().__init__(f"deferred by {delay}")
        self.delay = delay


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4... minutes, capped, with jitter."""
    exponent = min(max(0, attempts - 1), 32)
    delay = min(BASE_DELAY.total_seconds() * (2**exponent), MAX_DELAY.total_seconds())
    factor = (rng or random).uniform(JITTER, 1.0)
    return timedelta(seconds=delay * factor)


def due(model: type[Row], now: datetime) -> models.QuerySet[Row]:
    """Rows a worker may take now: pending and due, or sending with an expired lease."""
    return model._default_manager.filter(
        Q(status=OutboxStatus.PENDING) | Q(status=OutboxStatus.SENDING),
        next_attempt_at__lte=now,
    )


def claim(
    model: type[Row],
    limit: int,
    now: datetime,
    *,
    ids: Iterable[int] | None = None,
    where: Q | None = None,
) -> list[Row]:
    """Take up to ``limit`` due rows for this worker and hide them from others for LEASE."""
    with transaction.atomic():
        rows = due(model, now)
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        if where is not None:
            rows = rows.filter(where)
        rows = rows.order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        candidates = list(rows[: max(0, limit)])
        claimed = []
        for row in candidates:
            won = model._default_manager.filter(
                pk=row.pk, status=row.status, next_attempt_at=row.next_attempt_at
            ).update(status=OutboxStatus.SENDING, next_attempt_at=now + LEASE)
            if won:
                row.status, row.next_attempt_at = OutboxStatus.SENDING, now + LEASE
                claimed.append(row)
    return claimed


def succeed(model: type[Row], row: Row) -> None:
    model._default_manager.filter(pk=row.pk).update(
        status=OutboxStatus.SENT, attempts=row.attempts + 1, sent_at=timezone.now(), last_error=""
    )


def defer(model: type[Row], row: Row, until: datetime) -> None:
    model._default_manager.filter(pk=row.pk).update(
        status=OutboxStatus.PENDING, next_attempt_at=until
    )


def fail(
    model: type[Row],
    row: Row,
    error: DeliveryError,
    now: datetime,
    rng: random.Random | None = None,
) -> str:
    """Count a failed attempt: schedule the next one, or bury the row. Returns the outcome."""
    attempts = row.attempts + 1
    text = str(error)[:2000]
    if not error.retryable or attempts >= MAX_ATTEMPTS:
        model._default_manager.filter(pk=row.pk).update(
            status=OutboxStatus.DEAD, attempts=attempts, last_error=text, next_attempt_at=now
        )
        logger.warning(
            "%s %s is dead after %d attempts: %s", model.__name__, row.pk, attempts, text
        )
        return "dead"
    delay = backoff(attempts, rng)
    if error.retry_after:
        delay = max(delay, min(timedelta(seconds=error.retry_after), MAX_DELAY))
    model._default_manager.filter(pk=row.pk).update(
        status=OutboxStatus.PENDING, attempts=attempts, last_error=text, next_attempt_at=now + delay
    )
    return "retry"


def process(
    model: type[Row],
    send: Callable[[Row], object],
    *,
    limit: int = 100,
    now: datetime | None = None,
    ids: Iterable[int] | None = None,
    where: Q | None = None,
    rng: random.Random | None = None,
    reload: Callable[[Row], Row] | None = None,
) -> dict[str, int]:
    """Claim due rows and ``send`` each; count sent / retry / dead / deferred.

    ``send`` returns on success and raises :class:`DeliveryError` (or :class:`Deferred`);
    any other exception is a defect, counted as a retryable failure so the row ends up dead
    rather than looping forever.
    """
    counts = {"sent": 0, "retry": 0, "dead": 0, "deferred": 0}
    now = now or timezone.now()
    for row in claim(model, limit, now, ids=ids, where=where):
        if reload is not None:
            row = reload(row)
        try:
            send(row)
        except Deferred as wait:
            defer(model, row, now + wait.delay)
            counts["deferred"] += 1
            continue
        except DeliveryError as error:
            counts[fail(model, row, error, now, rng)] += 1
            continue
        except Exception as error:
            logger.exception("%s %s could not be sent", model.__name__, row.pk)
            failure = RetryableError(f"{type(error).__name__}: {error}")
            counts[fail(model, row, failure, now, rng)] += 1
            continue
        succeed(model, row)
        counts["sent"] += 1
    return counts


def requeue(model: type[OutboxRow], ids: list[int]) -> dict[str, int]:
    """Put rows back at the head of the queue with a fresh attempt count (operator retry).

    The idempotency key is kept, so a receiver still recognises a message it already has.
    """
    now = timezone.now()
    changed = (
        model._default_manager.filter(pk__in=ids)
        .exclude(status=OutboxStatus.SENT)
        .update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now)
    )
    return {"requeued": changed}
