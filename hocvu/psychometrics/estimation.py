"""Ability estimation: expected a posteriori (EAP) and maximum a posteriori (MAP).

Both estimators combine the likelihood of the observed responses with a normal prior
``N(prior_mean, prior_sd^2)`` on ``theta``:

* **EAP** (Bock & Mislevy, 1982): the posterior mean, computed on a fixed grid of
  ``n_quad`` equally spaced points spanning ``prior_mean +/- 6 prior_sd``; the standard
  error is the posterior standard deviation. Always finite, even for all-correct or
  all-wrong patterns, and needs no iteration.
* **MAP** (Samejima, 1969; Mislevy & Bock, 1990): the posterior mode, found by Fisher
  scoring with step halving, started from the EAP estimate (which keeps the 3PL, whose
  posterior may be multimodal, on the main mode). The standard error is
  ``1 / sqrt(-d^2 log posterior / d theta^2)`` at the mode (observed information plus
  ``1 / prior_sd^2``); if the observed curvature is not positive the expected (test)
  information is used instead.

Dichotomous items use ``(a, b, c)`` (``c=None`` is the 2PL); passing a two-dimensional
``b`` of shape ``(n_items, n_categories - 1)`` selects the graded response model with
``b`` as thresholds (see :mod:`hocvu.psychometrics.grm`).

References
----------
Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a
microcomputer environment. *Applied Psychological Measurement*, 6(4), 431-444.

Mislevy, R. J., & Bock, R. D. (1990). *BILOG 3: Item analysis and test scoring with
binary logistic models*. Scientific Software.

Samejima, F. (1969). Estimation of latent ability using a response pattern of graded
scores. *Psychometrika Monograph Supplement*, 34(4, Pt. 2), No. 17.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from hocvu.psychometrics import grm, irt
from hocvu.psychometrics._quadrature import (
    P_FLOOR,
    Bank,
    Block,
    build_design,
    check_n_quad,
    log_table,
    map_blocks,
    normal_log_weights,
    posterior_block,
)
from hocvu.psychometrics._validation import (
    IntArray,
    check_dichotomous_params,
    check_finite,
    check_grm_params,
    check_positive,
    check_triples,
)
from hocvu.psychometrics.irt import FloatArray

__all__ = ["AbilityEstimate", "AbilityEstimates", "estimate_abilities", "estimate_ability"]

Method = Literal["eap", "map"]


@dataclass(frozen=True)
class AbilityEstimate:
    """Ability estimate of one person.

    Attributes
    ----------
    theta : float
        Point estimate on the logistic ``theta`` metric.
    se : float
        Standard error (posterior SD for EAP, inverse root curvature for MAP).
    method : str
        ``"eap"`` or ``"map"``.
    n_responses : int
        Number of responses used.
    """

    theta: float
    se: float
    method: str
    n_responses: int


@dataclass(frozen=True)
class AbilityEstimates:
    """Ability estimates of many persons.

    Attributes
    ----------
    theta, se : ndarray, shape ``(n_persons,)``
        Estimates and standard errors; persons without responses get the prior mean
        and the prior SD.
    method : str
        ``"eap"`` or ``"map"``.
    n_responses : ndarray of int, shape ``(n_persons,)``
    """

    theta: FloatArray
    se: FloatArray
    method: str
    n_responses: IntArray


# --------------------------------------------------------------------------------------
# Item parameters
# --------------------------------------------------------------------------------------


def _make_bank(a: ArrayLike, b: ArrayLike, c: ArrayLike | None) -> Bank:
    b_arr = np.asarray(b, dtype=np.float64)
    if b_arr.ndim == 2:
        if c is not None:
            raise ValueError("c is not used by the graded response model (2-D b); pass c=None")
        a_, t_ = check_grm_params(a, b_arr)
        return Bank(a_, t_, np.zeros_like(a_), True)
    a_, b_, c_ = check_dichotomous_params(a, b_arr, c)
    return Bank(a_, b_, c_, False)


# --------------------------------------------------------------------------------------
# Single person
# --------------------------------------------------------------------------------------


def _check_prior(prior_mean: float, prior_sd: float) -> tuple[float, float]:
    return check_finite(prior_mean, "prior_mean"), check_positive(prior_sd, "prior_sd")


def _check_method(method: str) -> Method:
    m = str(method).lower()
    if m == "eap":
        return "eap"
    if m == "map":
        return "map"
    raise ValueError(f"method must be 'eap' or 'map'; got {method!r}")


def _grid(prior_mean: float, prior_sd: float, n_quad: int, span: float = 6.0) -> FloatArray:
    check_n_quad(n_quad)
    return prior_mean + prior_sd * np.linspace(-span, span, n_quad)


def _obs_derivatives(
    bank: Bank, theta: FloatArray, items: IntArray, scores: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per observation: ``log P_x``, its first two theta derivatives, item information."""
    if bank.grm:
        p, d1, d2 = grm.dcategory_dtheta(theta, bank.a[items], bank.b[items], paired=True)
        info = np.asarray((d1**2 / np.maximum(p, P_FLOOR)).sum(axis=-1), dtype=np.float64)
        idx = scores[:, None]
        px = np.take_along_axis(p, idx, axis=1)[:, 0]
        dx = np.take_along_axis(d1, idx, axis=1)[:, 0]
        d2x = np.take_along_axis(d2, idx, axis=1)[:, 0]
    else:
        a, b, c = bank.a[items], bank.b[items], bank.c[items]
        p1, dp, d2p = irt.dprob_dtheta(theta, a, b, c)
        right = scores == 1
        px = np.where(right, p1, 1.0 - p1)
        dx = np.where(right, dp, -dp)
        d2x = np.where(right, d2p, -d2p)
        info = irt.information(theta, a, b, c)
    px = np.clip(px, P_FLOOR, 1.0)
    g = dx / px
    return np.log(px), g, d2x / px - g * g, info


def _validate_single(responses: ArrayLike, bank: Bank) -> tuple[IntArray, IntArray]:
    x = np.asarray(responses)
    if x.ndim != 1:
        raise ValueError(f"responses must be one-dimensional; got shape {x.shape}")
    if x.size == 0:
        raise ValueError("responses is empty: at least one response is required")
    if x.size != bank.n_items:
        raise ValueError(
            f"responses has {x.size} entries but the item parameters describe {bank.n_items} items"
        )
    items = np.arange(x.size, dtype=np.int64)
    _, _, s = check_triples(
        np.zeros(x.size, dtype=np.int64),
        items,
        x,
        max_score=int(bank.item_max_score().max()),
        dichotomous=not bank.grm,
        score_name="responses",
    )
    if bank.grm and np.any(s > bank.item_max_score()):
        raise ValueError("a score exceeds the number of categories of its item")
    return items, s


def estimate_ability(
    responses: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike | None = None,
    method: str = "eap",
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    *,
    n_quad: int = 81,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> AbilityEstimate:
    """Estimate one person's ability from responses to known items.

    Parameters
    ----------
    responses : array_like of int, shape ``(m,)``
        Scores on the ``m`` administered items: 0/1 for dichotomous items, ``0..K-1``
        for graded items.
    a : array_like, shape ``(m,)``
        Discriminations.
    b : array_like, shape ``(m,)`` or ``(m, K - 1)``
        Difficulties, or GRM thresholds (two-dimensional ``b`` selects the GRM).
    c : array_like, shape ``(m,)``, optional
        Lower asymptotes (3PL); ``None`` means 0.
    method : {"eap", "map"}
        Posterior mean or posterior mode.
    prior_mean, prior_sd : float
        Normal prior on ``theta``.
    n_quad : int
        Grid points for EAP (spanning ``prior_mean +/- 6 prior_sd``).
    max_iter, tol : int, float
        Fisher-scoring limits for MAP (convergence when the step is below ``tol``).

    Returns
    -------
    AbilityEstimate

    Raises
    ------
    ValueError
        For empty or mismatched input, NaN, or scores outside the item's range.

    Examples
    --------
    >>> est = estimate_ability([1, 0, 1], a=[1.2, 0.8, 1.0], b=[-0.5, 0.3, 1.1])
    >>> round(est.theta, 3), round(est.se, 3)
    (0.512, 0.793)
    """
    meth = _check_method(method)
    mu, sd = _check_prior(prior_mean, prior_sd)
    bank = _make_bank(a, b, c)
    items, scores = _validate_single(responses, bank)

    grid = _grid(mu, sd, n_quad)
    if bank.grm:
        ll = grm.log_likelihood(grid, scores, bank.a, bank.b)
    else:
        ll = irt.log_likelihood(grid, scores, bank.a, bank.b, bank.c)
    lp = ll + normal_log_weights(grid, mu, sd)
    w = np.exp(lp - lp.max())
    w /= w.sum()
    eap = float(w @ grid)
    eap_sd = float(np.sqrt(max(w @ (grid - eap) ** 2, 0.0)))
    if meth == "eap":
        return AbilityEstimate(eap, eap_sd, "eap", int(scores.size))

    theta, se = _map_newton(
        bank,
        np.array([eap]),
        np.zeros(items.size, dtype=np.int64),
        items,
        scores,
        mu,
        sd,
        max_iter,
        tol,
    )
    return AbilityEstimate(float(theta[0]), float(se[0]), "map", int(scores.size))


def _map_newton(
    bank: Bank,
    start: FloatArray,
    rows: IntArray,
    items: IntArray,
    scores: IntArray,
    mu: float,
    sd: float,
    max_iter: int,
    tol: float,
) -> tuple[FloatArray, FloatArray]:
    """Vectorized Fisher scoring for the posterior mode of every row (person)."""
    n = start.size
    prec = 1.0 / sd**2

    def evaluate(th: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        lp, g, h, info = _obs_derivatives(bank, th[rows], items, scores)
        obj = np.bincount(rows, lp, n) - 0.5 * prec * (th - mu) ** 2
        grad = np.bincount(rows, g, n) - prec * (th - mu)
        hess = np.bincount(rows, h, n) - prec
        fisher = np.bincount(rows, info, n) + prec
        return (
            np.asarray(obj, dtype=np.float64),
            np.asarray(grad, dtype=np.float64),
            np.asarray(hess, dtype=np.float64),
            np.asarray(fisher, dtype=np.float64),
        )

    theta = start.astype(np.float64, copy=True)
    obj, grad, hess, fisher = evaluate(theta)
    active = np.ones(n, dtype=bool)
    for _ in range(max_iter):
        step = np.where(active, grad / fisher, 0.0)
        step = np.clip(step, -1.0, 1.0)
        scale = np.ones(n)
        pending = active.copy()
        new_theta = theta.copy()
        new_obj = obj.copy()
        for _half in range(30):
            trial = np.where(pending, theta + scale * step, new_theta)
            t_obj = evaluate(trial)[0]
            ok = pending & (t_obj >= obj - 1e-12 * np.abs(obj))
            new_theta = np.where(ok, trial, new_theta)
            new_obj = np.where(ok, t_obj, new_obj)
            pending &= ~ok
            if not pending.any():
                break
            scale = np.where(pending, scale * 0.5, scale)
        moved = np.abs(new_theta - theta)
        theta = new_theta
        obj, grad, hess, fisher = evaluate(theta)
        active &= moved > tol
        if not active.any():
            break
    curvature = np.where(-hess > 0, -hess, fisher)
    return theta, 1.0 / np.sqrt(curvature)


# --------------------------------------------------------------------------------------
# Many persons (sparse triples)
# --------------------------------------------------------------------------------------


def estimate_abilities(
    person: ArrayLike,
    item: ArrayLike,
    score: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike | None = None,
    method: str = "eap",
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    *,
    n_persons: int | None = None,
    n_quad: int = 81,
    max_iter: int = 50,
    tol: float = 1e-8,
    n_jobs: int | None = None,
) -> AbilityEstimates:
    """Estimate the abilities of many persons from sparse response triples.

    Parameters
    ----------
    person, item, score : array_like of int, shape ``(n_obs,)``
        One row per response: person index, item index into the bank, score.
    a, b, c : array_like
        Item parameters of the whole bank (shapes as in :func:`estimate_ability`,
        with ``n_items`` rows).
    method : {"eap", "map"}
    prior_mean, prior_sd : float
        Normal prior on ``theta``, shared by all persons.
    n_persons : int, optional
        Number of persons (default ``max(person) + 1``); persons without responses get
        ``theta = prior_mean`` and ``se = prior_sd``.
    n_quad : int
        EAP grid size.
    max_iter, tol : int, float
        MAP Fisher-scoring limits.
    n_jobs : int, optional
        Threads for the sparse EAP products (default: all cores).

    Returns
    -------
    AbilityEstimates
        Arrays of shape ``(n_persons,)``; identical to calling
        :func:`estimate_ability` person by person.
    """
    meth = _check_method(method)
    mu, sd = _check_prior(prior_mean, prior_sd)
    bank = _make_bank(a, b, c)
    p, i, s = check_triples(
        person,
        item,
        score,
        max_score=int(bank.item_max_score().max()),
        n_items=bank.n_items,
        dichotomous=not bank.grm,
    )
    if bank.grm and np.any(s > bank.item_max_score()[i]):
        raise ValueError("a score exceeds the number of categories of its item")
    total = int(p.max()) + 1 if n_persons is None else int(n_persons)
    if total <= int(p.max()):
        raise ValueError(f"person index {p.max()} is out of range for n_persons={total}")

    n_cat = bank.n_categories
    design = build_design(p, i * n_cat + s, bank.n_items * n_cat, n_persons=total)
    grid = _grid(mu, sd, n_quad)
    table = log_table(bank, grid, np.float64)
    log_prior = normal_log_weights(grid, mu, sd)

    def eap_block(_k: int, block: Block) -> tuple[FloatArray, FloatArray]:
        w, _ = posterior_block(block, table, log_prior)
        m = w @ grid
        v = w @ (grid * grid) - m * m
        return m, np.sqrt(np.maximum(v, 0.0))

    parts = map_blocks(eap_block, design.blocks, n_jobs)
    eap = np.concatenate([m for m, _ in parts])
    eap_sd = np.concatenate([v for _, v in parts])

    theta = np.full(total, mu)
    se = np.full(total, sd)
    n_resp = np.bincount(p, minlength=total).astype(np.int64)
    if meth == "eap":
        theta[design.active] = eap
        se[design.active] = eap_sd
    else:
        new_index = np.cumsum(n_resp > 0) - 1
        rows = new_index[p]
        th, s_e = _map_newton(bank, eap, rows, i, s, mu, sd, max_iter, tol)
        theta[design.active] = th
        se[design.active] = s_e
    return AbilityEstimates(theta, se, meth, n_resp)
