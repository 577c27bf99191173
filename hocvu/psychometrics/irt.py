"""Item response functions and information for dichotomous items.

Parameterization used everywhere in :mod:`hocvu.psychometrics` (logistic metric, no
1.7 scaling constant)::

    P(X = 1 | theta) = c + (1 - c) / (1 + exp(-a * (theta - b)))

``a`` is the discrimination, ``b`` the difficulty and ``c`` the lower asymptote
(pseudo-guessing). The 2PL is the case ``c = 0``; the Rasch model is ``a = 1, c = 0``.

All functions broadcast: ``theta`` of shape ``(n,)`` against parameters of shape
``(m,)`` gives ``(n, m)`` when called with ``theta[:, None]``.

References
----------
Birnbaum, A. (1968). Some latent trait models and their use in inferring an examinee's
ability. In F. M. Lord & M. R. Novick, *Statistical theories of mental test scores*.
Addison-Wesley.

Lord, F. M. (1980). *Applications of item response theory to practical testing
problems*. Erlbaum.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "FloatArray",
    "dprob_dtheta",
    "information",
    "log_likelihood",
    "log_prob",
    "prob",
    "prob_gradient",
    "prob_hessian",
    "test_information",
]


def _logistic(x: FloatArray) -> FloatArray:
    # exp of a large negative number underflows harmlessly; clip keeps exp(-x) finite.
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500.0, 500.0)))


def prob(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0) -> FloatArray:
    """Probability of a correct answer under the 3PL (2PL when ``c = 0``).

    Parameters
    ----------
    theta : array_like
        Ability, broadcast against the item parameters.
    a, b, c : array_like
        Discrimination, difficulty and lower asymptote.

    Returns
    -------
    ndarray
        ``c + (1 - c) * logistic(a * (theta - b))`` with the broadcast shape.
    """
    t = np.asarray(theta, dtype=np.float64)
    a_ = np.asarray(a, dtype=np.float64)
    b_ = np.asarray(b, dtype=np.float64)
    c_ = np.asarray(c, dtype=np.float64)
    return c_ + (1.0 - c_) * _logistic(a_ * (t - b_))


def log_prob(
    theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0, eps: float = 1e-12
) -> tuple[FloatArray, FloatArray]:
    """Return ``(log P, log (1 - P))``, clipped away from ``log 0``."""
    p = np.clip(prob(theta, a, b, c), eps, 1.0 - eps)
    return np.log(p), np.log1p(-p)


def information(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0) -> FloatArray:
    """Fisher information of 3PL items at ``theta`` (Birnbaum, 1968).

    ``I(theta) = a^2 * (Q / P) * ((P - c) / (1 - c))^2``, which reduces to
    ``a^2 * P * Q`` for the 2PL.
    """
    a_ = np.asarray(a, dtype=np.float64)
    c_ = np.asarray(c, dtype=np.float64)
    p = np.clip(prob(theta, a, b, c), 1e-12, 1.0 - 1e-12)
    q = 1.0 - p
    return a_**2 * (q / p) * ((p - c_) / (1.0 - c_)) ** 2


def test_information(
    theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0
) -> FloatArray:
    """Test information: the sum of the item informations (Lord, 1980, ch. 5).

    Parameters
    ----------
    theta : array_like, shape ``(n,)`` or scalar
        Abilities at which to evaluate.
    a, b, c : array_like, shape ``(m,)``
        Item parameters of the ``m`` items in the test.

    Returns
    -------
    ndarray, shape ``(n,)`` (0-d for a scalar ``theta``)
        ``sum_j I_j(theta)``. Its inverse square root is the asymptotic standard
        error of the maximum-likelihood ability estimate.
    """
    t = np.asarray(theta, dtype=np.float64)
    return np.asarray(information(t[..., None], a, b, c).sum(axis=-1), dtype=np.float64)


def log_likelihood(
    theta: ArrayLike,
    responses: ArrayLike,
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike = 0.0,
) -> FloatArray:
    """Log-likelihood of one response pattern at each ``theta``.

    Parameters
    ----------
    theta : array_like, shape ``(n,)`` or scalar
        Abilities.
    responses : array_like, shape ``(m,)``
        0/1 scores on the ``m`` items.
    a, b, c : array_like, shape ``(m,)``
        Item parameters.

    Returns
    -------
    ndarray, shape ``(n,)``
        ``sum_j x_j log P_j(theta) + (1 - x_j) log(1 - P_j(theta))``.
    """
    t = np.asarray(theta, dtype=np.float64)
    x = np.asarray(responses, dtype=np.float64)
    lp, lq = log_prob(t[..., None], a, b, c)
    return np.asarray((x * lp + (1.0 - x) * lq).sum(axis=-1), dtype=np.float64)


def prob_gradient(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0) -> FloatArray:
    """Derivatives of ``P`` with respect to the item parameters ``(a, b, c)``.

    Returns
    -------
    ndarray, shape ``broadcast + (3,)``
        ``[dP/da, dP/db, dP/dc]`` where, with ``L = logistic(a (theta - b))`` and
        ``L' = L (1 - L)``: ``dP/da = (1 - c) L' (theta - b)``,
        ``dP/db = -(1 - c) L' a`` and ``dP/dc = 1 - L``.
    """
    t, a_, b_, c_ = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (theta, a, b, c))
    )
    lg = _logistic(a_ * (t - b_))
    d1 = lg * (1.0 - lg)
    out = np.empty((*t.shape, 3))
    out[..., 0] = (1.0 - c_) * d1 * (t - b_)
    out[..., 1] = -(1.0 - c_) * d1 * a_
    out[..., 2] = 1.0 - lg
    return out


def prob_hessian(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0) -> FloatArray:
    """Second derivatives of ``P`` with respect to ``(a, b, c)``.

    Returns
    -------
    ndarray, shape ``broadcast + (3, 3)``
        Symmetric matrices of ``d^2 P / (d xi_k d xi_l)`` with ``xi = (a, b, c)``.
    """
    t, a_, b_, c_ = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (theta, a, b, c))
    )
    lg = _logistic(a_ * (t - b_))
    d1 = lg * (1.0 - lg)
    d2 = d1 * (1.0 - 2.0 * lg)
    dt = t - b_
    out = np.zeros((*t.shape, 3, 3))
    out[..., 0, 0] = (1.0 - c_) * d2 * dt**2
    out[..., 0, 1] = out[..., 1, 0] = (1.0 - c_) * (-a_ * d2 * dt - d1)
    out[..., 1, 1] = (1.0 - c_) * a_**2 * d2
    out[..., 0, 2] = out[..., 2, 0] = -d1 * dt
    out[..., 1, 2] = out[..., 2, 1] = d1 * a_
    return out


def dprob_dtheta(
    theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``P`` and its first two derivatives with respect to ``theta``.

    Returns
    -------
    (P, dP, d2P) : tuple of ndarray, broadcast shape
        ``dP = (1 - c) a L'`` and ``d2P = (1 - c) a^2 L' (1 - 2 L)``.
    """
    t, a_, b_, c_ = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (theta, a, b, c))
    )
    lg = _logistic(a_ * (t - b_))
    d1 = lg * (1.0 - lg)
    p = c_ + (1.0 - c_) * lg
    return p, (1.0 - c_) * a_ * d1, (1.0 - c_) * a_**2 * d1 * (1.0 - 2.0 * lg)
