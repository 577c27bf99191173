"""Tests of online mastery estimates (hocvu.psychometrics.mastery)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hocvu.psychometrics.mastery import (
    MasteryState,
    decay,
    initial_state,
    mastery_probability,
    update,
)


def test_answers_move_the_estimate_in_the_right_direction() -> None:
    s = initial_state("2.3")
    up = update(s, True, a=1.5, b=0.0)
    down = update(s, False, a=1.5, b=0.0)
    assert up.mean > s.mean > down.mean
    assert up.sd < s.sd and down.sd < s.sd
    assert (up.n_answers, up.n_correct) == (1, 1)
    assert (down.n_answers, down.n_correct) == (1, 0)
    # A guessable item says less than a non-guessable one when answered right.
    guess = update(s, True, a=1.5, b=0.0, c=0.25)
    assert 0 < guess.mean - s.mean < up.mean - s.mean


def test_posterior_matches_grid_computation() -> None:
    s = MasteryState("1.1", mean=0.3, sd=0.8)
    new = update(s, True, a=1.2, b=0.5, c=0.1)
    grid = np.linspace(-6, 6, 4001)
    prior = np.exp(-0.5 * ((grid - 0.3) / 0.8) ** 2)
    like = 0.1 + 0.9 / (1 + np.exp(-1.2 * (grid - 0.5)))
    post = prior * like / (prior * like).sum()
    mean = (post * grid).sum()
    sd = np.sqrt((post * (grid - mean) ** 2).sum())
    assert abs(new.mean - mean) < 1e-6
    assert abs(new.sd - sd) < 1e-6


def test_estimate_converges_to_true_ability() -> None:
    rng = np.random.default_rng(3)
    for true in (-1.0, 1.2):
        s = initial_state("3.1")
        for _ in range(150):
            a, b = rng.uniform(0.8, 2.0), rng.normal(true, 0.7)
            p = 1 / (1 + np.exp(-a * (true - b)))
            s = update(s, bool(rng.random() < p), a=a, b=b)
        assert abs(s.mean - true) < 3 * s.sd + 0.1
        assert s.sd < 0.3
    assert mastery_probability(s, 0.5) > 0.9


def test_decay_and_mastery_probability() -> None:
    s = MasteryState("4.1", mean=1.0, sd=0.2)
    later = decay(s, days=30, drift_per_day=0.01)
    assert later.mean == s.mean and later.sd > s.sd
    assert abs(later.sd - np.sqrt(0.04 + 0.3)) < 1e-12
    assert mastery_probability(s, 0.5) > mastery_probability(later, 0.5) > 0.5
    assert abs(mastery_probability(s, 1.0) - 0.5) < 1e-12


def test_json_round_trip_and_errors() -> None:
    s = update(initial_state("5.2", mean=0.4), True, a=1.0, b=0.2)
    assert MasteryState.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    with pytest.raises(ValueError):
        MasteryState.from_dict({"competence": "1.1"})
    with pytest.raises(ValueError):
        update(s, 2)
    with pytest.raises(ValueError):
        update(s, True, a=float("nan"))
    with pytest.raises(ValueError):
        update(s, True, a=-1.0)
    with pytest.raises(ValueError):
        update(s, True, c=1.0)
    with pytest.raises(ValueError):
        MasteryState("1.1", sd=0.0)
    with pytest.raises(ValueError):
        decay(s, days=-1)
