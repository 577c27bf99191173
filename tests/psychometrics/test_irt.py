"""Dichotomous response functions: closed forms and analytic derivatives."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from hocvu.psychometrics import irt
from hocvu.psychometrics.irt import FloatArray

THETA = np.linspace(-3, 3, 13)
A, B, C = 1.4, 0.3, 0.2


def test_prob_closed_form_values() -> None:
    for t in (-2.0, 0.3, 1.7):
        expected = C + (1 - C) / (1 + math.exp(-A * (t - B)))
        assert irt.prob(t, A, B, C) == pytest.approx(expected, rel=1e-14)
    # At theta = b the curve is halfway between c and 1.
    assert irt.prob(B, A, B, C) == pytest.approx(C + (1 - C) / 2)


def test_rasch_is_2pl_with_unit_discrimination() -> None:
    b = np.array([-1.0, 0.0, 0.8])
    t = THETA[:, None]
    rasch = np.exp(t - b) / (1 + np.exp(t - b))
    np.testing.assert_allclose(irt.prob(t, 1.0, b), rasch, rtol=1e-13)
    np.testing.assert_allclose(irt.information(t, 1.0, b), rasch * (1 - rasch), rtol=1e-10)


def test_information_closed_forms() -> None:
    # 2PL: a^2 P Q, maximal a^2 / 4 at theta = b.
    assert irt.information(B, A, B) == pytest.approx(A**2 / 4)
    # 3PL: maximum at b + log((1 + sqrt(1 + 8c)) / 2) / a (Lord, 1980, eq. 10-4).
    grid = np.linspace(-1, 2, 300001)
    info = irt.information(grid, A, B, C)
    t_max = B + math.log((1 + math.sqrt(1 + 8 * C)) / 2) / A
    assert grid[np.argmax(info)] == pytest.approx(t_max, abs=1e-4)


def test_information_equals_fisher_information_of_bernoulli() -> None:
    p, dp, _ = irt.dprob_dtheta(THETA, A, B, C)
    np.testing.assert_allclose(irt.information(THETA, A, B, C), dp**2 / (p * (1 - p)), rtol=1e-9)


def test_test_information_sums_items() -> None:
    a = np.array([0.8, 1.2, 2.0])
    b = np.array([-1.0, 0.0, 1.0])
    c = np.array([0.0, 0.1, 0.25])
    total = irt.test_information(THETA, a, b, c)
    assert total.shape == THETA.shape
    np.testing.assert_allclose(total, irt.information(THETA[:, None], a, b, c).sum(axis=1))
    assert np.ndim(irt.test_information(0.0, a, b, c)) == 0


def test_log_likelihood_matches_explicit_sum() -> None:
    a = np.array([0.8, 1.2, 2.0])
    b = np.array([-1.0, 0.0, 1.0])
    x = np.array([1, 0, 1])
    expected = [
        sum(
            math.log(irt.prob(t, a[j], b[j]) if x[j] else 1 - irt.prob(t, a[j], b[j]))
            for j in range(3)
        )
        for t in THETA
    ]
    np.testing.assert_allclose(irt.log_likelihood(THETA, x, a, b), expected, rtol=1e-12)


def _num_grad(f: Callable[[FloatArray], FloatArray], x: FloatArray, h: float = 1e-6) -> FloatArray:
    out = []
    for k in range(len(x)):
        e = np.zeros(len(x))
        e[k] = h
        out.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(out, axis=-1)


def test_prob_gradient_matches_finite_differences() -> None:
    x0 = np.array([A, B, C])
    num = _num_grad(lambda v: irt.prob(THETA, v[0], v[1], v[2]), x0)
    np.testing.assert_allclose(irt.prob_gradient(THETA, A, B, C), num, atol=1e-8)


def test_prob_hessian_matches_finite_differences() -> None:
    x0 = np.array([A, B, C])
    num = _num_grad(lambda v: irt.prob_gradient(THETA, v[0], v[1], v[2]), x0, h=1e-5)
    hess = irt.prob_hessian(THETA, A, B, C)
    np.testing.assert_allclose(hess, num, atol=1e-7)
    np.testing.assert_allclose(hess, np.swapaxes(hess, -1, -2))


def test_theta_derivatives_match_finite_differences() -> None:
    h = 1e-5
    p, d1, d2 = irt.dprob_dtheta(THETA, A, B, C)
    np.testing.assert_allclose(p, irt.prob(THETA, A, B, C))
    num1 = (irt.prob(THETA + h, A, B, C) - irt.prob(THETA - h, A, B, C)) / (2 * h)
    num2 = (irt.dprob_dtheta(THETA + h, A, B, C)[1] - irt.dprob_dtheta(THETA - h, A, B, C)[1]) / (
        2 * h
    )
    np.testing.assert_allclose(d1, num1, atol=1e-9)
    np.testing.assert_allclose(d2, num2, atol=1e-8)


def test_extreme_abilities_stay_finite() -> None:
    lp, lq = irt.log_prob(np.array([-1e4, 1e4]), 2.0, 0.0)
    assert np.all(np.isfinite(lp)) and np.all(np.isfinite(lq))
    assert np.all(np.isfinite(irt.information(np.array([-1e4, 1e4]), 2.0, 0.0, 0.2)))
