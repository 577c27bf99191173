"""Spaced review of practised competences or items, scheduled with FSRS.

A thin wrapper around the ``fsrs`` package (FSRS-6, the Free Spaced Repetition
Scheduler; Ye, Su & Cao, 2022; Ye et al., 2023): it does not reimplement the scheduler.
It adds:

* :func:`rating_for` -- maps a scored practice answer and its response time to an FSRS
  :class:`~fsrs.Rating` (wrong -> Again; right but slow -> Hard; right -> Good; right and
  fast -> Easy);
* :class:`ReviewScheduler` -- creates and reviews :class:`ReviewCard` objects with a
  deterministic scheduler (fuzzing off by default, so the same answers give the same
  due dates);
* JSON-able dicts for cards (:meth:`ReviewCard.to_dict` / :meth:`ReviewCard.from_dict`)
  and :func:`due` to list the cards due at a time.

All datetimes must be timezone-aware UTC, as FSRS requires.

References
----------
Ye, J., Su, J., & Cao, Y. (2022). A stochastic shortest path algorithm for optimizing
spaced repetition scheduling. *Proceedings of KDD 2022*, 4381-4390.

Ye, J. et al. (2023). Optimizing spaced repetition schedule by capturing the dynamics of
memory. *IEEE Transactions on Knowledge and Data Engineering*, 35(10), 10085-10097.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fsrs import Card, Rating, Scheduler

__all__ = ["ReviewCard", "ReviewScheduler", "card_id_for", "due", "rating_for"]


def rating_for(
    correct: bool | int,
    response_seconds: float | None = None,
    *,
    fast_seconds: float = 10.0,
    slow_seconds: float = 45.0,
) -> Rating:
    """Map a practice answer to an FSRS rating.

    Parameters
    ----------
    correct : bool or {0, 1}
    response_seconds : float, optional
        Time to answer; ``None`` when unknown (then a correct answer is ``Good``).
    fast_seconds, slow_seconds : float
        A correct answer in at most ``fast_seconds`` is ``Easy``; one taking more than
        ``slow_seconds`` is ``Hard``.

    Returns
    -------
    fsrs.Rating
        ``Again`` for a wrong answer, else ``Hard``, ``Good`` or ``Easy``.
    """
    if isinstance(correct, bool):
        u = correct
    elif isinstance(correct, int) and correct in (0, 1):
        u = bool(correct)
    else:
        raise ValueError(f"correct must be a bool or 0/1, got {correct!r}")
    if not (0 <= fast_seconds <= slow_seconds):
        raise ValueError("need 0 <= fast_seconds <= slow_seconds")
    if response_seconds is not None and not (
        math.isfinite(response_seconds) and response_seconds >= 0
    ):
        raise ValueError("response_seconds must be a non-negative number")
    if not u:
        return Rating.Again
    if response_seconds is None:
        return Rating.Good
    if response_seconds <= fast_seconds:
        return Rating.Easy
    if response_seconds > slow_seconds:
        return Rating.Hard
    return Rating.Good


def card_id_for(key: str) -> int:
    """A stable positive integer id for FSRS derived from ``key``."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:6], "big") + 1


def _utc(now: datetime) -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware (UTC)")
    return now.astimezone(UTC)


@dataclass(frozen=True)
class ReviewCard:
    """A review card for one key (a competence code or an item id).

    ``card`` is the FSRS card; treat it as read-only (the scheduler returns new cards).
    """

    key: str
    card: Card

    @property
    def due(self) -> datetime:
        """When the next review is due (UTC)."""
        d: datetime = self.card.due
        return d

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: the key and FSRS's own card dict."""
        return {"key": self.key, "card": self.card.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReviewCard:
        """Inverse of :meth:`to_dict`."""
        try:
            key = data["key"]
            card = Card.from_dict(data["card"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid review card: {exc}") from exc
        if not isinstance(key, str) or not key:
            raise ValueError("review card key must be a non-empty string")
        return cls(key=key, card=card)


class ReviewScheduler:
    """Schedule reviews with FSRS.

    Parameters
    ----------
    desired_retention : float
        Target probability of recall at the due date (FSRS default 0.9).
    maximum_interval : int
        Longest interval in days.
    enable_fuzzing : bool
        FSRS interval fuzzing; off by default for reproducible schedules.
    same_day_steps : bool
        FSRS's default learning steps bring a card back after 1 and 10 minutes. A daily
        review of work skills wants none: off by default, so the first review of a card
        comes a day or more later.
    fast_seconds, slow_seconds : float
        Passed to :func:`rating_for`.
    """

    def __init__(
        self,
        *,
        desired_retention: float = 0.9,
        maximum_interval: int = 365,
        enable_fuzzing: bool = False,
        same_day_steps: bool = False,
        fast_seconds: float = 10.0,
        slow_seconds: float = 45.0,
    ) -> None:
        if not 0 < desired_retention < 1:
            raise ValueError("desired_retention must be in (0, 1)")
        if same_day_steps:
            self._scheduler = Scheduler(
                desired_retention=desired_retention,
                maximum_interval=maximum_interval,
                enable_fuzzing=enable_fuzzing,
            )
        else:
            self._scheduler = Scheduler(
                desired_retention=desired_retention,
                maximum_interval=maximum_interval,
                enable_fuzzing=enable_fuzzing,
                learning_steps=(),
                relearning_steps=(),
            )
        self.fast_seconds = fast_seconds
        self.slow_seconds = slow_seconds

    def new_card(self, key: str, now: datetime) -> ReviewCard:
        """A new card for ``key``, due at ``now``."""
        if not isinstance(key, str) or not key:
            raise ValueError("key must be a non-empty string")
        return ReviewCard(key=key, card=Card(card_id=card_id_for(key), due=_utc(now)))

    def review(
        self,
        card: ReviewCard,
        correct: bool | int,
        now: datetime,
        response_seconds: float | None = None,
    ) -> ReviewCard:
        """Record a practice answer and return the rescheduled card."""
        rating = rating_for(
            correct,
            response_seconds,
            fast_seconds=self.fast_seconds,
            slow_seconds=self.slow_seconds,
        )
        updated, _log = self._scheduler.review_card(card.card, rating, review_datetime=_utc(now))
        return ReviewCard(key=card.key, card=updated)

    def retrievability(self, card: ReviewCard, now: datetime) -> float:
        """FSRS probability of recall at ``now``."""
        r: float = self._scheduler.get_card_retrievability(card.card, current_datetime=_utc(now))
        return r


def due(cards: Iterable[ReviewCard], now: datetime) -> list[ReviewCard]:
    """Cards due at or before ``now``, most overdue first."""
    t = _utc(now)
    return sorted((c for c in cards if c.due <= t), key=lambda c: (c.due, c.key))
