"""Tests of FSRS review scheduling (hocvu.psychometrics.review)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Rating

from hocvu.psychometrics.review import ReviewCard, ReviewScheduler, due, rating_for

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_rating_mapping() -> None:
    assert rating_for(False, 3.0) is Rating.Again
    assert rating_for(0) is Rating.Again
    assert rating_for(True) is Rating.Good
    assert rating_for(True, 5.0) is Rating.Easy
    assert rating_for(1, 20.0) is Rating.Good
    assert rating_for(True, 90.0) is Rating.Hard
    with pytest.raises(ValueError):
        rating_for(2)
    with pytest.raises(ValueError):
        rating_for(True, -1.0)
    with pytest.raises(ValueError):
        rating_for(True, 1.0, fast_seconds=10, slow_seconds=5)


def test_schedule_round_trip_through_json() -> None:
    sched = ReviewScheduler()
    card = sched.new_card("2.3", T0)
    assert card.due == T0
    card = sched.review(card, True, T0, response_seconds=20)
    assert card.due > T0
    # Serialize, restore, continue: identical to continuing without the round trip.
    restored = ReviewCard.from_dict(json.loads(json.dumps(card.to_dict())))
    assert restored.to_dict() == card.to_dict()
    a = sched.review(card, True, card.due, response_seconds=20)
    b = sched.review(restored, True, restored.due, response_seconds=20)
    assert a.to_dict() == b.to_dict()
    assert a.due - card.due > timedelta(days=1)  # graduated: intervals grow


def test_wrong_answers_come_back_sooner() -> None:
    sched = ReviewScheduler()
    card = sched.new_card("1.1", T0)
    for _ in range(3):
        card = sched.review(card, True, card.due, response_seconds=20)
    now = card.due
    good = sched.review(card, True, now, response_seconds=20)
    again = sched.review(card, False, now, response_seconds=20)
    assert again.due < good.due
    assert 0 < sched.retrievability(good, good.due) <= 1


def test_due_lists_overdue_cards_first() -> None:
    sched = ReviewScheduler()
    cards = [sched.new_card(k, T0 + timedelta(hours=h)) for k, h in (("a", 5), ("b", 1), ("c", 30))]
    result = due(cards, T0 + timedelta(hours=6))
    assert [c.key for c in result] == ["b", "a"]
    assert due(cards, T0) == []


def test_errors() -> None:
    sched = ReviewScheduler()
    with pytest.raises(ValueError):
        sched.new_card("x", datetime(2026, 1, 1))  # naive datetime
    with pytest.raises(ValueError):
        sched.new_card("", T0)
    with pytest.raises(ValueError):
        ReviewCard.from_dict({"key": "x"})
    with pytest.raises(ValueError):
        ReviewScheduler(desired_retention=1.5)
