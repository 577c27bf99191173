"""Item response functions and information for dichotomous items.

Parameterization used everywhere in :mod:`hocvu.psychometrics` (logistic metric, no
1.7 scaling constant)::

    P(X = 1 | theta) = c + (1 - c) / (1 + exp(-a * (theta - b)))

``a`` is the discrimination, ``b`` the difficulty and ``c`` the lower asymptote
(pseudo-guessing). The 2PL is the case ``c = 0``; the Rasch model is ``a = 1, c = 0``.

All functions broadcast: ``theta`` of shape ``(n,)`` against parameters of shape
``(m,)`` gives ``(n, m)`` when called with ``theta[:, None]``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

__all__ = ["FloatArray", "prob", "log_prob", "information"]


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
