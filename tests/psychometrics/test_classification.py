"""Tests of level decisions (hocvu.psychometrics.classification)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from hocvu.psychometrics.cat import CATConfig, ItemBank
from hocvu.psychometrics.classification import (
    DEFAULT_CUTS,
    LEVEL_CUTS,
    LEVEL_NAMES_VI,
    decide_level,
    level_of,
    level_probabilities,
    level_weights,
    simulate_classification,
    sprt_decide,
    validate_cuts,
)
from hocvu.psychometrics.irt import prob


def test_cuts_and_levels() -> None:
    assert validate_cuts([0, 1]) == (0.0, 1.0)
    for bad in ([], [1.0, 1.0], [2.0, 1.0], [float("nan")]):
        with pytest.raises(ValueError):
            validate_cuts(bad)
    assert len(LEVEL_NAMES_VI) == len(DEFAULT_CUTS) + 1
    assert [level_of(t) for t in (-3.0, -0.5, 0.0, 0.5, 1.49, 1.5, 4.0)] == [1, 2, 2, 3, 3, 4, 4]


def test_level_weights_and_probabilities() -> None:
    grid = np.linspace(-4, 4, 61)
    w = level_weights(grid)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    # A posterior concentrated near theta = 2 is almost surely level 4.
    lp = -0.5 * ((grid - 2.0) / 0.2) ** 2
    p = level_probabilities(w, lp)
    assert p.shape == (4,)
    assert abs(p.sum() - 1) < 1e-12
    assert decide_level(p, 0.95) == 4
    # The mass of a standard normal in each level matches the normal CDF closely.
    p = level_probabilities(w, -0.5 * grid**2)
    edges = ndtr(np.array([-np.inf, *DEFAULT_CUTS, np.inf]))
    np.testing.assert_allclose(p, np.diff(edges), atol=0.01)
    assert decide_level([0.3, 0.3, 0.2, 0.2], 0.9) is None
    with pytest.raises(ValueError):
        decide_level(p, 0.3)
    with pytest.raises(ValueError):
        level_weights(np.array([0.0, -1.0]))


def test_sprt_decides_after_enough_evidence() -> None:
    rng = np.random.default_rng(0)
    n = 200
    a = rng.uniform(1.0, 2.0, n)
    b = rng.normal(0.5, 1.0, n)
    c = np.zeros(n)
    for theta, expected in ((-1.5, 1), (0.0, 2), (1.0, 3), (2.5, 4)):
        u = (rng.random(n) < prob(theta, a, b, c)).astype(int)
        assert sprt_decide(a, b, c, u) == expected
        assert sprt_decide(a[:2], b[:2], c[:2], u[:2]) is None
    with pytest.raises(ValueError):
        sprt_decide(a[:2], b[:2], c[:2], [0, 2])
    with pytest.raises(ValueError):
        sprt_decide(a[:2], b[:2], c[:2], [0, 1], alpha=0.7)


@pytest.fixture(scope="module")
def bank() -> ItemBank:
    rng = np.random.default_rng(2)
    n = 300
    return ItemBank.create(
        [f"q{i}" for i in range(n)],
        rng.uniform(0.8, 2.0, n),
        rng.normal(0.3, 1.2, n),
        np.zeros(n),
        ["1.1"] * n,
        np.ones(n),
    )


def test_confidence_rule_accuracy_on_simulated_learners(bank: ItemBank) -> None:
    """With a 0.90 confidence rule and at most 30 items, at least 85 % are placed right."""
    cfg = CATConfig(max_length=30, min_length=1, se_target=None, level_confidence=0.9)
    report = simulate_classification(
        bank,
        n_learners=300,
        config=cfg,
        seed=1,
        true_thetas=lambda r, k: r.standard_normal(k),
    )
    assert report.accuracy >= 0.85
    assert report.consistency >= 0.70
    assert report.mean_length <= 30
    assert 0 < report.decided_share <= 1
    assert sum(map(sum, report.confusion)) == 300


def test_higher_confidence_costs_items_and_gains_accuracy(bank: ItemBank) -> None:
    def run(conf: float) -> tuple[float, float]:
        cfg = CATConfig(max_length=40, min_length=1, se_target=None, level_confidence=conf)
        r = simulate_classification(bank, n_learners=150, config=cfg, seed=4)
        return r.accuracy, r.mean_length

    acc_lo, len_lo = run(0.7)
    acc_hi, len_hi = run(0.95)
    assert len_hi > len_lo
    assert acc_hi >= acc_lo - 0.02


def test_simulate_classification_validation(bank: ItemBank) -> None:
    with pytest.raises(ValueError):
        simulate_classification(bank, n_learners=0)


def test_level_cuts_are_defined_once() -> None:
    # Five bands 0|1|2|3|4 for the platform; the four-level classification drops the
    # "not yet basic" cut and shares the other three.
    assert LEVEL_CUTS == (-1.5, -0.5, 0.5, 1.5)
    assert LEVEL_CUTS[1:] == DEFAULT_CUTS
    assert validate_cuts(LEVEL_CUTS) == LEVEL_CUTS
    assert [level_of(c) for c in LEVEL_CUTS] == [1, 2, 3, 4]
