"""EAP and MAP ability estimation against brute-force numerical integration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import integrate, optimize

from hocvu.psychometrics import grm, irt
from hocvu.psychometrics.estimation import (
    AbilityEstimate,
    estimate_abilities,
    estimate_ability,
)

A = np.array([1.2, 0.8, 1.5, 1.0, 2.0])
B = np.array([-1.0, -0.2, 0.3, 0.9, 1.4])
C = np.array([0.2, 0.15, 0.25, 0.1, 0.2])
THR = np.array([[-1.2, 0.0, 1.1], [-0.4, 0.6, np.nan], [-0.8, 0.2, 1.6]])
A_GRM = np.array([1.1, 0.7, 1.6])


def _loglik(theta: float, x: NDArray[np.int_], c: bool) -> float:
    return float(irt.log_likelihood(theta, x, A, B, C if c else 0.0))


def _log_post(theta: float, x: NDArray[np.int_], c: bool, mu: float, sd: float) -> float:
    return _loglik(theta, x, c) - 0.5 * ((theta - mu) / sd) ** 2


def _brute_eap(log_post: Callable[[float], float], mu: float, sd: float) -> tuple[float, float]:
    lo, hi = mu - 10 * sd, mu + 10 * sd
    peak = max(log_post(t) for t in np.linspace(lo, hi, 2001))

    def dens(t: float) -> float:
        density: float = np.exp(log_post(t) - peak)
        return density

    z = integrate.quad(dens, lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
    m = integrate.quad(lambda t: t * dens(t), lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0] / z
    v = integrate.quad(lambda t: (t - m) ** 2 * dens(t), lo, hi, epsrel=1e-12, limit=200)[0] / z
    return m, np.sqrt(v)


@pytest.mark.parametrize("three_pl", [False, True])
@pytest.mark.parametrize(
    ("x", "mu", "sd"),
    [([1, 0, 1, 1, 0], 0.0, 1.0), ([1, 1, 1, 1, 1], 0.5, 1.5), ([0, 0, 0, 0, 0], -0.3, 0.8)],
)
def test_eap_matches_numerical_integration(
    three_pl: bool, x: list[int], mu: float, sd: float
) -> None:
    est = estimate_ability(x, A, B, C if three_pl else None, "eap", mu, sd)
    m, s = _brute_eap(lambda t: _log_post(t, np.array(x), three_pl, mu, sd), mu, sd)
    assert isinstance(est, AbilityEstimate) and est.method == "eap"
    assert est.theta == pytest.approx(m, abs=1e-6)
    assert est.se == pytest.approx(s, abs=1e-6)


@pytest.mark.parametrize("three_pl", [False, True])
@pytest.mark.parametrize("x", [[1, 0, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 0, 0, 0]])
def test_map_matches_numerical_optimum_and_curvature(three_pl: bool, x: list[int]) -> None:
    xs = np.array(x)
    est = estimate_ability(xs, A, B, C if three_pl else None, method="map")

    def neg(t: float) -> float:
        return -_log_post(t, xs, three_pl, 0.0, 1.0)

    res = optimize.minimize_scalar(neg, bounds=(-6, 6), method="bounded", options={"xatol": 1e-10})
    assert est.theta == pytest.approx(res.x, abs=1e-6)
    h = 1e-4
    curv = (neg(est.theta + h) - 2 * neg(est.theta) + neg(est.theta - h)) / h**2
    assert est.se == pytest.approx(1 / np.sqrt(curv), rel=1e-4)


def test_2pl_map_se_is_inverse_root_of_test_information_plus_prior() -> None:
    est = estimate_ability([1, 0, 1, 0, 1], A, B, method="map", prior_sd=2.0)
    info = irt.test_information(est.theta, A, B) + 1 / 4
    assert est.se == pytest.approx(1 / np.sqrt(info), rel=1e-8)


def test_grm_eap_and_map_against_brute_force() -> None:
    x = np.array([2, 1, 3])

    def log_post(t: float) -> float:
        return float(grm.log_likelihood(t, x, A_GRM, THR)) - 0.5 * t * t

    eap = estimate_ability(x, A_GRM, THR)
    m, s = _brute_eap(log_post, 0.0, 1.0)
    assert eap.theta == pytest.approx(m, abs=1e-6)
    assert eap.se == pytest.approx(s, abs=1e-6)
    mode = estimate_ability(x, A_GRM, THR, method="map")
    res = optimize.minimize_scalar(lambda t: -log_post(t), bounds=(-6, 6), method="bounded")
    assert mode.theta == pytest.approx(res.x, abs=1e-5)


def test_prior_dominates_with_little_information() -> None:
    est = estimate_ability([1], [0.05], [0.0], prior_mean=1.0, prior_sd=0.5)
    assert est.theta == pytest.approx(1.0, abs=0.01)
    assert est.se == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("method", ["eap", "map"])
def test_batch_equals_one_by_one(method: str) -> None:
    rng = np.random.default_rng(4)
    n_items, n_persons = 12, 40
    a = np.exp(rng.normal(0, 0.3, n_items))
    b = rng.normal(0, 1, n_items)
    c = rng.uniform(0, 0.25, n_items)
    persons: list[int] = []
    items: list[int] = []
    scores: list[int] = []
    for pid in range(n_persons - 1):  # the last person answers nothing
        seen = rng.choice(n_items, size=rng.integers(1, 8), replace=False)
        persons += [pid] * seen.size
        items += list(seen)
        scores += list(rng.integers(0, 2, seen.size))
    person, item, score = map(np.array, (persons, items, scores))
    batch = estimate_abilities(
        person, item, score, a, b, c, method, 0.2, 1.1, n_persons=n_persons, n_jobs=2
    )
    assert batch.theta.shape == (n_persons,) and batch.method == method
    for pid in range(n_persons - 1):
        sel = person == pid
        one = estimate_ability(
            score[sel], a[item[sel]], b[item[sel]], c[item[sel]], method, 0.2, 1.1
        )
        assert batch.theta[pid] == pytest.approx(one.theta, abs=1e-7)
        assert batch.se[pid] == pytest.approx(one.se, abs=1e-7)
        assert batch.n_responses[pid] == sel.sum()
    assert batch.theta[-1] == 0.2 and batch.se[-1] == 1.1 and batch.n_responses[-1] == 0


def test_batch_grm() -> None:
    person = np.array([0, 0, 1, 1, 1])
    item = np.array([0, 2, 0, 1, 2])
    score = np.array([3, 2, 0, 2, 1])
    batch = estimate_abilities(person, item, score, A_GRM, THR, method="map")
    one = estimate_ability(score[2:], A_GRM, THR, method="map")
    assert batch.theta[1] == pytest.approx(one.theta, abs=1e-7)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1, 0], A, B), {}, "2 entries but the item parameters describe 5"),
        (([], [], []), {}, "empty"),
        (([1, 0, 1, 2, 0], A, B), {}, "0 or 1"),
        (([1, 0, 1, np.nan, 0], A, B), {}, "NaN"),
        (([1, 0, 1, 1, 0], A, B), {"method": "mle"}, "method"),
        (([1, 0, 1, 1, 0], A, B), {"prior_sd": 0.0}, "prior_sd"),
        (([1, 0, 1, 1, 0], A, B), {"prior_mean": np.nan}, "prior_mean"),
        (([1, 0, 1, 1, 0], -A, B), {}, "positive"),
        (([1, 0, 1, 1, 0], A, B, np.full(5, 1.2)), {}, r"\[0, 1\)"),
        (([1, 0, 1, 1, 0], A, np.r_[B[:4], np.nan]), {}, "NaN"),
        (([1, 0, 1, 1, 0], A, B[:4]), {}, "same length"),
        (([1, 3, 1], A_GRM, THR), {}, "categories"),
        (([1, 1, 1], A_GRM, THR, np.zeros(3)), {}, "c is not used"),
    ],
)
def test_bad_input_single(args: tuple[Any, ...], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        estimate_ability(*args, **kwargs)


@pytest.mark.parametrize(
    ("triples", "kwargs", "message"),
    [
        (([0, 1], [0, 5], [1, 0]), {}, "out of range"),
        (([0, -1], [0, 1], [1, 0]), {}, "negative"),
        (([0, 1], [0, 1], [1]), {}, "same length"),
        (([0, 3], [0, 1], [1, 0]), {"n_persons": 2}, "n_persons"),
        (([], [], []), {}, "empty"),
    ],
)
def test_bad_input_batch(
    triples: tuple[list[int], list[int], list[int]], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        estimate_abilities(*triples, A, B, **kwargs)
