"""Bock-Aitkin EM calibration: recovery, gradients, standard errors, anchors, bad input.

Recovery tolerances are about three times the Monte Carlo error of the estimates for
the stated design (checked against the reported standard errors), so they fail on a
real bias but not on sampling noise.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics import irt
from hocvu.psychometrics._em_items import (
    _from_working,
    _gradient_and_fisher,
    _objective,
    _spec,
    _to_working,
)
from hocvu.psychometrics.calibration import (
    ConvergenceWarning,
    DegenerateItemWarning,
    ItemCalibrator,
    Priors,
    calibrate,
)
from hocvu.psychometrics.irt import FloatArray
from hocvu.psychometrics.simulate import (
    SimulatedBank,
    simulate_bank,
    simulate_responses,
    simulate_sparse_responses,
    to_triples,
)

#: The shared 2PL data set: the simulated bank and its complete persons x items 0/1 matrix.
Data = tuple[SimulatedBank, NDArray[np.int8]]


def rmse(x: ArrayLike, y: ArrayLike) -> float:
    return float(np.sqrt(np.mean((np.asarray(x) - np.asarray(y)) ** 2)))


@pytest.fixture(scope="module")
def data_2pl() -> Data:
    rng = np.random.default_rng(2024)
    bank = simulate_bank(20, rng=rng)
    x = simulate_responses(rng.standard_normal(2000), bank, rng=rng)
    return bank, x


def test_2pl_recovery_complete_data(data_2pl: Data) -> None:
    # 2,000 persons x 20 items: RMSE(b) < 0.15, RMSE(a) < 0.2.
    bank, x = data_2pl
    est = calibrate(*to_triples(x))
    assert est.converged and est.model == "2pl"
    assert rmse(est.b, bank.b) < 0.15
    assert rmse(est.a, bank.a) < 0.2
    assert np.all(est.c == 0) and np.all(est.se_c == 0)
    assert np.all(est.flags == "ok")
    # Reported SEs are in line with the actual errors.
    assert 0.5 < rmse(est.b, bank.b) / np.sqrt(np.mean(est.se_b**2)) < 2.0
    # EM never decreases the marginal log-likelihood.
    assert np.all(np.diff(est.history) > -1e-6)


def test_2pl_recovery_sparse_data() -> None:
    # 6,000 persons each see 15 of 60 items (1,500 responses per item).
    rng = np.random.default_rng(7)
    bank = simulate_bank(60, rng=rng)
    p, i, s = simulate_sparse_responses(rng.standard_normal(6000), bank, 15, rng=rng)
    est = calibrate(p, i, s, n_jobs=2, block_size=1000)
    assert est.converged
    assert rmse(est.b, bank.b) < 0.15
    assert rmse(est.a, bank.a) < 0.15


def test_3pl_recovery_with_priors() -> None:
    # 4,000 persons x 30 items (log a ~ N(0.2, 0.25^2), c ~ Beta(5, 17)). The 3PL is
    # weakly identified: over seeds RMSE(b) is 0.12-0.27, RMSE(a) 0.12-0.19 and RMSE(c)
    # 0.04-0.07, matching the reported standard errors; the bounds leave headroom.
    rng = np.random.default_rng(3)
    bank = simulate_bank(30, "3pl", rng=rng, log_a=(0.2, 0.25))
    x = simulate_responses(rng.standard_normal(4000), bank, rng=rng)
    est = calibrate(*to_triples(x), model="3pl")
    assert est.converged
    assert rmse(est.b, bank.b) < 0.35
    assert rmse(est.a, bank.a) < 0.3
    assert rmse(est.c, bank.c) < 0.1
    assert 0.5 < rmse(est.b, bank.b) / np.sqrt(np.mean(est.se_b**2)) < 2.0
    assert np.all((est.c > 0) & (est.c < 0.5)) and np.all(est.se_c > 0)


def test_rasch_is_the_2pl_with_common_unit_slope() -> None:
    rng = np.random.default_rng(9)
    bank = simulate_bank(15, "rasch", rng=rng)
    assert np.all(bank.a == 1)
    x = simulate_responses(1.3 * rng.standard_normal(3000), bank, rng=rng)
    triples = to_triples(x)
    rasch = calibrate(*triples, model="rasch")
    assert np.all(rasch.a == 1) and np.all(rasch.se_a == 0)
    assert rasch.latent_sd == pytest.approx(1.3, abs=0.08)
    assert rmse(rasch.b, bank.b) < 0.1
    # The same data under the 2PL (standard-normal metric, no prior on a): slopes near
    # the Rasch latent SD and difficulties equal to the Rasch ones divided by it.
    free = calibrate(*triples, model="2pl", priors=Priors(log_a_sd=None))
    assert np.mean(free.a) == pytest.approx(rasch.latent_sd, abs=0.06)
    assert rmse(free.b, rasch.b / rasch.latent_sd) < 0.05
    assert free.loglik >= rasch.loglik - 1e-6  # nested models


def test_fixed_parameter_calibration_puts_pilot_items_on_operational_scale() -> None:
    # Operational items (known parameters) anchor the scale; the sample comes from a
    # population with mean 0.5 and SD 1.2 on that scale. Each person answers 20 of 30
    # anchors and 5 of 12 pilot items.
    rng = np.random.default_rng(42)
    n = 5000
    bank = simulate_bank(42, rng=rng)
    theta = 0.5 + 1.2 * rng.standard_normal(n)
    op = SimulatedBank("2pl", bank.a[:30], bank.b[:30], bank.c[:30])
    pilot = SimulatedBank("2pl", bank.a[30:], bank.b[30:], bank.c[30:])
    p1, i1, s1 = simulate_sparse_responses(theta, op, 20, rng=rng)
    p2, i2, s2 = simulate_sparse_responses(theta, pilot, 5, rng=rng)
    person = np.concatenate([p1, p2])
    item = np.concatenate([i1, i2 + 30])
    score = np.concatenate([s1, s2])
    fixed = {j: (bank.a[j], bank.b[j]) for j in range(30)}
    est = calibrate(person, item, score, fixed=fixed)
    assert est.converged
    np.testing.assert_array_equal(est.a[:30], bank.a[:30])
    assert np.all(est.fixed[:30]) and np.all(est.flags[:30] == "fixed")
    assert np.all(est.se_a[:30] == 0)
    assert est.latent_mean == pytest.approx(0.5, abs=0.06)
    assert est.latent_sd == pytest.approx(1.2, abs=0.06)
    assert rmse(est.b[30:], bank.b[30:]) < 0.15
    assert rmse(est.a[30:], bank.a[30:]) < 0.15
    # Without anchors the scale would be the sample's own: visibly different.
    free = calibrate(person, item, score)
    assert rmse(free.b[30:], bank.b[30:]) > 0.3


def test_m_step_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    grid = np.linspace(-5, 5, 41)
    spec = _spec("3pl", 2)
    xi = np.array([[1.2, -0.4, 0.15], [0.7, 0.9, 0.25]])
    free = np.ones_like(xi, dtype=bool)
    r = rng.uniform(0, 20, size=(41, 2, 2))
    priors = Priors(b_sd=2.0)
    obj, grad, _ = _gradient_and_fisher(xi, r, grid, spec, free, priors)
    u0 = _to_working(xi, spec, free)
    h = 1e-6
    for k in range(3):
        e = np.zeros_like(u0)
        e[:, k] = h
        f_plus = _objective(_from_working(u0 + e, spec, free), r, grid, spec, free, priors)
        f_minus = _objective(_from_working(u0 - e, spec, free), r, grid, spec, free, priors)
        np.testing.assert_allclose(grad[:, k], (f_plus - f_minus) / (2 * h), rtol=1e-6)
    np.testing.assert_allclose(obj, _objective(xi, r, grid, spec, free, priors))


def _marginal_loglik(x: FloatArray, a: FloatArray, b: FloatArray, grid: FloatArray) -> float:
    """Brute-force marginal log-likelihood of a complete 0/1 matrix on the EM grid."""
    lw = -0.5 * grid**2
    lw -= np.log(np.exp(lw).sum())
    lp, lq = irt.log_prob(grid[:, None], a, b)
    ll = x @ lp.T + (1 - x) @ lq.T + lw
    m = ll.max(axis=1, keepdims=True)
    return float(np.sum(np.log(np.exp(ll - m).sum(axis=1)) + m[:, 0]))


def test_standard_errors_equal_inverse_observed_information(data_2pl: Data) -> None:
    # Louis's identity gives the exact Hessian of the marginal log-likelihood; compare
    # one item's block with a finite-difference Hessian (no prior, so nothing else
    # enters the information).
    _, responses = data_2pl
    x = responses[:600, :8].astype(float)
    est = calibrate(*to_triples(x.astype(int)), priors=Priors(log_a_sd=None), tol=1e-7)
    grid = np.linspace(-5, 5, 41)
    j, h = 3, 1e-3

    def f(da: float, db: float) -> float:
        a, b = est.a.copy(), est.b.copy()
        a[j] += da
        b[j] += db
        return _marginal_loglik(x, a, b, grid)

    assert f(0, 0) == pytest.approx(est.loglik, rel=1e-10)
    f0 = f(0, 0)
    haa = (f(h, 0) - 2 * f0 + f(-h, 0)) / h**2
    hbb = (f(0, h) - 2 * f0 + f(0, -h)) / h**2
    hab = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h**2)
    cov = np.linalg.inv(-np.array([[haa, hab], [hab, hbb]]))
    assert est.se_a[j] == pytest.approx(np.sqrt(cov[0, 0]), rel=2e-3)
    assert est.se_b[j] == pytest.approx(np.sqrt(cov[1, 1]), rel=2e-3)


def test_degenerate_items_warn_and_get_nan() -> None:
    rng = np.random.default_rng(5)
    bank = simulate_bank(10, rng=rng)
    x = simulate_responses(rng.standard_normal(800), bank, rng=rng)
    x[:, 2] = 1
    x[:, 6] = 0
    with pytest.warns(DegenerateItemWarning, match=r"2 \(all_correct\).*6 \(all_incorrect\)"):
        est = calibrate(*to_triples(x), n_items=12)
    assert est.flags[2] == "all_correct" and est.flags[6] == "all_incorrect"
    assert est.flags[10] == "no_responses" and est.flags[11] == "no_responses"
    for j in (2, 6, 10, 11):
        assert np.isnan(est.a[j]) and np.isnan(est.b[j]) and np.isnan(est.se_b[j])
    ok = est.flags == "ok"
    assert ok.sum() == 8
    assert np.all(np.isfinite(est.a[ok])) and rmse(est.b[ok], bank.b[ok[:10]]) < 0.2


def test_float32_threads_and_blocks_agree(data_2pl: Data) -> None:
    _, x = data_2pl
    triples = to_triples(x)
    ref = calibrate(*triples, n_jobs=1)
    other = calibrate(*triples, dtype="float32", n_jobs=2, block_size=300)
    np.testing.assert_allclose(other.a, ref.a, atol=2e-3)
    np.testing.assert_allclose(other.b, ref.b, atol=2e-3)
    np.testing.assert_allclose(other.se_b, ref.se_b, rtol=1e-2)
    again = calibrate(*triples, n_jobs=2, block_size=300)
    np.testing.assert_allclose(again.b, ref.b, atol=1e-9)


def test_person_indices_need_not_be_contiguous(data_2pl: Data) -> None:
    _, x = data_2pl
    p, i, s = to_triples(x)
    ref = calibrate(p, i, s)
    shifted = calibrate(p * 7 + 3, i, s)
    np.testing.assert_allclose(shifted.b, ref.b, atol=1e-10)


def test_convergence_warning() -> None:
    rng = np.random.default_rng(0)
    bank = simulate_bank(5, rng=rng)
    x = simulate_responses(rng.standard_normal(300), bank, rng=rng)
    with pytest.warns(ConvergenceWarning):
        est = calibrate(*to_triples(x), max_iter=1)
    assert not est.converged and est.n_iter == 1


GOOD = (np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([1, 0, 0, 1]))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0, 1], [0, 1, 1], [1, 0]), {}, "same length"),
        (([0, 1], [0, 1], [1, 2]), {}, "0 or 1"),
        (([0, 1], [0, 1], [1.0, np.nan]), {}, "NaN"),
        (([], [], []), {}, "empty"),
        (([0, -1], [0, 1], [1, 0]), {}, "negative"),
        (([0, 1], [0, -2], [1, 0]), {}, "negative"),
        (([0, 1, 2], [0, 1, 0], [1, 1, 1]), {}, "every response is correct"),
        (([0, 1, 2], [0, 1, 0], [0, 0, 0]), {}, "scored 0"),
        ((*GOOD,), {"n_items": 1}, "out of range"),
        ((*GOOD,), {"model": "4pl"}, "model must be one of"),
        ((*GOOD,), {"fixed": {5: (1.0, 0.0)}}, "out of range"),
        ((*GOOD,), {"fixed": {0: (-1.0, 0.0)}}, "positive"),
        ((*GOOD,), {"fixed": {0: (1.0, 0.0, 0.2)}}, "c only for the 3PL"),
        ((*GOOD,), {"fixed": {0: (1.0, 0.0), 1: (1.0, 0.5)}}, "no item can be estimated"),
        ((*GOOD,), {"tol": 0}, "tol"),
        ((*GOOD,), {"priors": Priors(log_a_sd=-1.0)}, "log_a_sd"),
        ((*GOOD,), {"quad_range": (2.0, -2.0)}, "quad_range"),
        (([0.5, 1], [0, 1], [1, 0]), {}, "whole numbers"),
        (([[0, 1]], [[0, 1]], [[1, 0]]), {}, "one-dimensional"),
    ],
)
def test_bad_input_raises_clear_value_error(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateItemWarning)
        with pytest.raises(ValueError, match=message):
            calibrate(*args, **kwargs)


def test_estimator_fit_sets_learned_attributes_and_equals_calibrate(data_2pl: Data) -> None:
    _, x = data_2pl
    triples = to_triples(x)
    est = ItemCalibrator("2pl", n_quad=31)
    assert not hasattr(est, "a_")  # the constructor only stores settings
    with pytest.raises(AttributeError, match="not fitted"):
        est.item_parameters()
    assert est.fit(*triples) is est
    ref = calibrate(*triples, n_quad=31)
    got = est.item_parameters()
    for name in ("a", "b", "c", "se_a", "se_b", "se_c", "n_responses"):
        np.testing.assert_array_equal(getattr(got, name), getattr(ref, name))
        np.testing.assert_array_equal(getattr(est, name + "_"), getattr(ref, name))
    assert (est.n_iter_, est.converged_, est.loglik_, est.history_) == (
        ref.n_iter,
        ref.converged,
        ref.loglik,
        ref.history,
    )
    assert est.model_ == "2pl" and est.latent_mean_ == 0.0 and est.latent_sd_ == 1.0


def test_estimator_warnings_point_at_the_caller(data_2pl: Data) -> None:
    _, x = data_2pl
    p, i, s = to_triples(x)
    for run in (
        lambda: calibrate(p, i, s, n_items=x.shape[1] + 1, max_iter=2),
        lambda: ItemCalibrator(max_iter=2).fit(p, i, s, n_items=x.shape[1] + 1),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run()
        kinds = {w.category for w in caught}
        assert kinds == {DegenerateItemWarning, ConvergenceWarning}
        assert {w.filename for w in caught} == {__file__}
