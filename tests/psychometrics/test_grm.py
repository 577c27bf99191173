"""Graded response model: probabilities, information, derivatives and calibration."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from hocvu.psychometrics import grm, irt
from hocvu.psychometrics.calibration import calibrate
from hocvu.psychometrics.irt import FloatArray
from hocvu.psychometrics.simulate import simulate_bank, simulate_responses, to_triples

THETA = np.linspace(-3, 3, 11)
A = np.array([1.3, 0.7])
THR = np.array([[-1.0, 0.2, 1.5], [-0.5, 0.5, np.nan]])  # second item: 3 categories


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_category_probabilities_closed_form() -> None:
    t = 0.4
    p = grm.category_prob(t, A, THR)
    assert p.shape == (2, 4)
    s = [_logistic(1.3 * (t - b)) for b in (-1.0, 0.2, 1.5)]
    expected = [1 - s[0], s[0] - s[1], s[1] - s[2], s[2]]
    np.testing.assert_allclose(p[0], expected, rtol=1e-13)
    # Padded item: the fourth category is impossible.
    assert p[1, 3] == 0.0
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)


def test_two_categories_reduce_to_2pl() -> None:
    a, b = np.array([0.9, 1.6]), np.array([-0.3, 0.8])
    p = grm.category_prob(THETA, a, b[:, None])
    np.testing.assert_allclose(p[..., 1], irt.prob(THETA[:, None], a, b), rtol=1e-13)
    np.testing.assert_allclose(
        grm.information(THETA, a, b[:, None]), irt.information(THETA[:, None], a, b), rtol=1e-9
    )


def test_padding_equals_shorter_item() -> None:
    full = grm.category_prob(THETA, A[1:], THR[1:, :2])
    padded = grm.category_prob(THETA, A[1:], THR[1:])
    np.testing.assert_allclose(padded[..., :3], full)
    np.testing.assert_allclose(
        grm.information(THETA, A[1:], THR[1:]), grm.information(THETA, A[1:], THR[1:, :2])
    )


def test_information_matches_numerical_derivatives() -> None:
    h = 1e-5
    p = grm.category_prob(THETA, A, THR)
    dp = (grm.category_prob(THETA + h, A, THR) - grm.category_prob(THETA - h, A, THR)) / (2 * h)
    num = np.where(p > 0, dp**2 / np.where(p > 0, p, 1), 0).sum(-1)
    np.testing.assert_allclose(grm.information(THETA, A, THR), num, rtol=1e-6)
    np.testing.assert_allclose(grm.test_information(THETA, A, THR), num.sum(-1), rtol=1e-6)


def test_expected_score_and_likelihood() -> None:
    p = grm.category_prob(THETA, A, THR)
    np.testing.assert_allclose(grm.expected_score(THETA, A, THR), (p * np.arange(4)).sum(-1))
    x = np.array([2, 1])
    np.testing.assert_allclose(
        grm.log_likelihood(THETA, x, A, THR), np.log(p[:, 0, 2]) + np.log(p[:, 1, 1])
    )


def test_theta_derivatives_match_finite_differences() -> None:
    h = 1e-5
    _, d1, d2 = grm.dcategory_dtheta(THETA, A, THR)
    num1 = (grm.category_prob(THETA + h, A, THR) - grm.category_prob(THETA - h, A, THR)) / (2 * h)
    num2 = (
        grm.dcategory_dtheta(THETA + h, A, THR)[1] - grm.dcategory_dtheta(THETA - h, A, THR)[1]
    ) / (2 * h)
    np.testing.assert_allclose(d1, num1, atol=1e-8)
    np.testing.assert_allclose(d2, num2, atol=1e-7)


def _params_fd(fn: Callable[[FloatArray, FloatArray], FloatArray], h: float) -> FloatArray:
    """Central differences of fn(a, thr) w.r.t. (a, b_1..b_3) of item 0."""
    cols = []
    for k in range(4):
        a_p, a_m, t_p, t_m = A.copy(), A.copy(), THR.copy(), THR.copy()
        if k == 0:
            a_p[0] += h
            a_m[0] -= h
        else:
            t_p[0, k - 1] += h
            t_m[0, k - 1] -= h
        cols.append((fn(a_p, t_p) - fn(a_m, t_m))[:, 0] / (2 * h))
    return np.stack(cols, axis=-1)


def test_parameter_gradient_and_hessian_match_finite_differences() -> None:
    g = grm.category_prob_gradient(THETA, A, THR)
    num = _params_fd(lambda a, t: grm.category_prob(THETA, a, t), 1e-6)
    np.testing.assert_allclose(g[:, 0], num, atol=1e-8)
    h = grm.category_prob_hessian(THETA, A, THR)
    num2 = _params_fd(lambda a, t: grm.category_prob_gradient(THETA, a, t), 1e-5)
    np.testing.assert_allclose(h[:, 0], num2, atol=1e-7)
    # No derivative with respect to a padding threshold.
    assert np.all(g[:, 1, :, 3] == 0)


def test_grm_calibration_recovers_parameters() -> None:
    # 1,500 persons x 12 four-category items; tolerances about 3 x the Monte Carlo SE.
    rng = np.random.default_rng(11)
    bank = simulate_bank(12, "grm", rng=rng, n_categories=4)
    x = simulate_responses(rng.standard_normal(1500), bank, rng=rng)
    est = calibrate(*to_triples(x), model="grm")
    assert est.converged
    assert np.sqrt(np.mean((est.a - bank.a) ** 2)) < 0.15
    assert np.sqrt(np.mean((est.b - bank.b) ** 2)) < 0.15
    assert np.all(est.se_b > 0) and np.all(est.se_a > 0)


def test_grm_calibration_with_fewer_categories_on_some_items() -> None:
    rng = np.random.default_rng(5)
    bank = simulate_bank(8, "grm", rng=rng, n_categories=3)
    x = simulate_responses(rng.standard_normal(1200), bank, rng=rng)
    x[:, 0] = np.minimum(x[:, 0], 1)  # item 0 is dichotomous
    est = calibrate(*to_triples(x), model="grm")
    assert np.isnan(est.b[0, 1]) and np.isfinite(est.b[0, 0])
    assert np.isnan(est.se_b[0, 1])
    assert np.all(np.isfinite(est.b[1:]))


@pytest.mark.parametrize("bad", [np.array([[0.5, 0.1]]), np.array([[np.nan, 0.1]])])
def test_bad_thresholds_rejected(bad: FloatArray) -> None:
    from hocvu.psychometrics.estimation import estimate_ability

    with pytest.raises(ValueError, match="threshold"):
        estimate_ability([1], [1.0], bad)


def test_grm_item_with_unused_middle_category_is_flagged() -> None:
    from hocvu.psychometrics.calibration import DegenerateItemWarning

    rng = np.random.default_rng(8)
    bank = simulate_bank(6, "grm", rng=rng, n_categories=3)
    x = simulate_responses(rng.standard_normal(800), bank, rng=rng)
    x[:, 2] = np.where(x[:, 2] == 1, 2, x[:, 2])  # nobody scores 1 on item 2
    with pytest.warns(DegenerateItemWarning, match="empty_category"):
        est = calibrate(*to_triples(x), model="grm")
    assert est.flags[2] == "empty_category"
    assert np.all(np.isnan(est.b[2])) and np.isnan(est.a[2])
    assert np.all(est.flags[[0, 1, 3, 4, 5]] == "ok")
