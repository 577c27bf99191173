"""Samejima's graded response model (GRM) for partial-credit items.

An item with ``K`` ordered score categories ``0, 1, ..., K - 1`` has a discrimination
``a`` and ``K - 1`` increasing thresholds ``b_1 < ... < b_{K-1}``. The boundary
("cumulative") curves are 2PL curves on the same logistic metric as
:mod:`hocvu.psychometrics.irt` (no 1.7 constant)::

    P*_k(theta) = P(X >= k | theta) = 1 / (1 + exp(-a (theta - b_k))),  k = 1..K-1
    P*_0 = 1,  P*_K = 0
    P(X = k | theta) = P*_k(theta) - P*_{k+1}(theta)

Items with fewer categories than the widest item in a bank are stored with trailing
``NaN`` thresholds (treated as ``+inf``, so the missing categories have probability 0).

Shapes: ``theta`` of shape ``(n,)`` (or any shape ``S``), ``a`` of shape ``(m,)`` and
``thresholds`` of shape ``(m, K - 1)`` give category arrays of shape ``S + (m, K)``.

References
----------
Samejima, F. (1969). Estimation of latent ability using a response pattern of graded
scores. *Psychometrika Monograph Supplement*, 34(4, Pt. 2), No. 17.

Samejima, F. (1974). Normal ogive model on the continuous response level in the
multidimensional latent space. *Psychometrika*, 39, 111-121.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from hocvu.psychometrics.irt import FloatArray, _logistic

__all__ = [
    "category_prob",
    "category_prob_gradient",
    "category_prob_hessian",
    "cumulative_prob",
    "dcategory_dtheta",
    "expected_score",
    "information",
    "log_likelihood",
    "test_information",
]


def _prepare(
    theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike, paired: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return ``(dt, a, lg, finite)`` with ``dt = theta - b`` of shape ``S + (m, K-1)``.

    With ``paired=True``, ``theta`` has shape ``(m,)`` and is matched row by row with
    the items (one ability per item row) instead of being crossed with them.
    """
    t = np.asarray(theta, dtype=np.float64)
    if paired:
        t = t[..., None]
    a_ = np.asarray(a, dtype=np.float64)
    b_ = np.atleast_2d(np.asarray(thresholds, dtype=np.float64))
    finite = np.isfinite(b_)
    b_inf = np.where(finite, b_, np.inf)
    dt = t - b_inf if paired else t[..., None, None] - b_inf
    lg = _logistic(a_[:, None] * np.where(finite, dt, -np.inf))
    lg = np.where(finite, lg, 0.0)
    dt = np.where(finite, dt, 0.0)
    return dt, np.broadcast_to(a_[:, None], b_.shape), lg, finite.astype(np.float64)


def cumulative_prob(theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike) -> FloatArray:
    """Boundary curves ``P*_k = P(X >= k)`` for ``k = 1..K-1``.

    Returns
    -------
    ndarray, shape ``S + (m, K - 1)``
    """
    return _prepare(theta, a, thresholds)[2]


def _pad(star: FloatArray) -> FloatArray:
    shape = star.shape[:-1]
    return np.concatenate([np.ones((*shape, 1)), star, np.zeros((*shape, 1))], axis=-1)


def category_prob(theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike) -> FloatArray:
    """Category probabilities ``P(X = k | theta)``.

    Parameters
    ----------
    theta : array_like, shape ``S``
    a : array_like, shape ``(m,)``
    thresholds : array_like, shape ``(m, K - 1)``
        Increasing within each row; trailing ``NaN`` for items with fewer categories.

    Returns
    -------
    ndarray, shape ``S + (m, K)``
        Rows sum to one.
    """
    star = _pad(cumulative_prob(theta, a, thresholds))
    return np.clip(star[..., :-1] - star[..., 1:], 0.0, 1.0)


def expected_score(theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike) -> FloatArray:
    """Expected item score ``sum_k k P(X = k) = sum_k P*_k``; shape ``S + (m,)``."""
    return np.asarray(cumulative_prob(theta, a, thresholds).sum(axis=-1), dtype=np.float64)


def dcategory_dtheta(
    theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike, *, paired: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Category probabilities and their first two ``theta`` derivatives.

    Returns
    -------
    (P, dP, d2P) : tuple of ndarray, each of shape ``S + (m, K)``
        With ``W_k = P*_k (1 - P*_k)``: ``dP_k = a (W_k - W_{k+1})`` and
        ``d2P_k = a^2 (W_k (1 - 2 P*_k) - W_{k+1} (1 - 2 P*_{k+1}))``.
        With ``paired=True`` (``theta`` of shape ``(m,)``) the shape is ``(m, K)``.
    """
    _, a_, lg, _ = _prepare(theta, a, thresholds, paired)
    w1 = lg * (1.0 - lg)
    w2 = w1 * (1.0 - 2.0 * lg)
    star, d1, d2 = _pad(lg), _pad(a_ * w1), _pad(a_**2 * w2)
    d1[..., 0] = 0.0
    d2[..., 0] = 0.0
    p = np.clip(star[..., :-1] - star[..., 1:], 0.0, 1.0)
    return p, d1[..., :-1] - d1[..., 1:], d2[..., :-1] - d2[..., 1:]


def information(
    theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike, *, paired: bool = False
) -> FloatArray:
    """Item information ``I(theta) = sum_k (dP_k/dtheta)^2 / P_k`` (Samejima, 1969).

    Returns
    -------
    ndarray, shape ``S + (m,)`` (``(m,)`` with ``paired=True``)
    """
    p, d1, _ = dcategory_dtheta(theta, a, thresholds, paired=paired)
    return np.asarray((d1**2 / np.maximum(p, 1e-300)).sum(axis=-1), dtype=np.float64)


def test_information(theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike) -> FloatArray:
    """Sum of the item informations; shape ``S``."""
    return np.asarray(information(theta, a, thresholds).sum(axis=-1), dtype=np.float64)


def log_likelihood(
    theta: ArrayLike, responses: ArrayLike, a: ArrayLike, thresholds: ArrayLike
) -> FloatArray:
    """Log-likelihood of one graded response pattern at each ``theta``.

    Parameters
    ----------
    theta : array_like, shape ``S``
    responses : array_like of int, shape ``(m,)``
        Scores in ``0..K-1``.
    a, thresholds : item parameters, shapes ``(m,)`` and ``(m, K - 1)``.

    Returns
    -------
    ndarray, shape ``S``
    """
    x = np.asarray(responses, dtype=np.int64)
    p = category_prob(theta, a, thresholds)
    picked = np.take_along_axis(p, np.broadcast_to(x[:, None], (*p.shape[:-1], 1)), axis=-1)
    return np.asarray(np.log(np.clip(picked[..., 0], 1e-300, 1.0)).sum(axis=-1), dtype=np.float64)


def category_prob_gradient(theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike) -> FloatArray:
    """Derivatives of the category probabilities with respect to ``(a, b_1..b_{K-1})``.

    Returns
    -------
    ndarray, shape ``S + (m, K, K)``
        ``out[..., k, 0] = dP_k/da`` and ``out[..., k, l] = dP_k/db_l`` for ``l >= 1``.
        Derivatives with respect to missing (``NaN``) thresholds are zero.
    """
    dt, a_, lg, _ = _prepare(theta, a, thresholds)
    w1 = lg * (1.0 - lg)
    n_thr = lg.shape[-1]
    # dstar[..., k, p]: derivative of padded P*_k (k = 0..K) w.r.t. parameter p.
    dstar = np.zeros((*lg.shape[:-1], n_thr + 2, n_thr + 1))
    dstar[..., 1:-1, 0] = w1 * dt
    idx = np.arange(n_thr)
    dstar[..., idx + 1, idx + 1] = -a_ * w1
    return dstar[..., :-1, :] - dstar[..., 1:, :]


def category_prob_hessian(theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike) -> FloatArray:
    """Second derivatives of the category probabilities w.r.t. ``(a, b_1..b_{K-1})``.

    Returns
    -------
    ndarray, shape ``S + (m, K, K, K)``
        ``out[..., k, p, q] = d^2 P_k / (d xi_p d xi_q)``.
    """
    dt, a_, lg, _ = _prepare(theta, a, thresholds)
    w1 = lg * (1.0 - lg)
    w2 = w1 * (1.0 - 2.0 * lg)
    n_thr = lg.shape[-1]
    h = np.zeros((*lg.shape[:-1], n_thr + 2, n_thr + 1, n_thr + 1))
    idx = np.arange(n_thr)
    h[..., 1:-1, 0, 0] = w2 * dt**2
    cross = -a_ * w2 * dt - w1
    h[..., idx + 1, 0, idx + 1] = cross
    h[..., idx + 1, idx + 1, 0] = cross
    h[..., idx + 1, idx + 1, idx + 1] = a_**2 * w2
    return h[..., :-1, :, :] - h[..., 1:, :, :]
