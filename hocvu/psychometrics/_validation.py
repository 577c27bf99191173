"""Input checks shared by the calibration and estimation functions.

Every check raises :class:`ValueError` with a message that names the argument and the
problem, so that callers (and the people reading their logs) can fix the input.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics.irt import FloatArray

IntArray = NDArray[np.int64]

DICHOTOMOUS_MODELS = ("rasch", "2pl", "3pl")
MODELS = (*DICHOTOMOUS_MODELS, "grm")


def check_model(model: str) -> str:
    """Return the lower-cased model name or raise for an unknown one."""
    m = str(model).lower()
    if m not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    return m


def _as_1d(values: ArrayLike, name: str) -> NDArray[np.generic]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    return arr


def as_index_array(values: ArrayLike, name: str) -> IntArray:
    """Convert to a 1-D int64 array of non-negative integers."""
    arr = _as_1d(values, name)
    if arr.size == 0:
        raise ValueError(f"{name} is empty: at least one response is required")
    if arr.dtype.kind == "b":
        raise ValueError(f"{name} must contain integers, not booleans")
    if arr.dtype.kind == "f":
        farr = np.asarray(arr, dtype=np.float64)
        if not np.all(np.isfinite(farr)):
            raise ValueError(f"{name} contains NaN or infinite values")
        if not np.all(farr == np.round(farr)):
            raise ValueError(f"{name} must contain whole numbers")
    elif arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must be numeric; got dtype {arr.dtype}")
    out = arr.astype(np.int64, copy=False)
    if out.min() < 0:
        raise ValueError(f"{name} contains negative values (minimum {out.min()})")
    return out


def check_triples(
    person: ArrayLike,
    item: ArrayLike,
    score: ArrayLike,
    *,
    max_score: int | None,
    n_items: int | None = None,
    dichotomous: bool = True,
    score_name: str = "score",
) -> tuple[IntArray, IntArray, IntArray]:
    """Validate sparse response triples ``(person, item, score)``.

    Parameters
    ----------
    person, item, score : array_like, shape ``(n_obs,)``
        One row per observed response.
    max_score : int or None
        Largest allowed score (1 for dichotomous models); ``None`` skips the upper check.
    n_items : int, optional
        Size of the item bank; item indices must be below it.
    dichotomous : bool
        Only used to word the message for out-of-range scores.
    score_name : str
        Name of the score argument in messages.

    Returns
    -------
    (person, item, score) : tuple of int64 ndarrays
    """
    p = as_index_array(person, "person")
    i = as_index_array(item, "item")
    s = as_index_array(score, score_name)
    if not (p.size == i.size == s.size):
        raise ValueError(
            f"person, item and score must have the same length; got {p.size}, {i.size} and {s.size}"
        )
    if n_items is not None:
        if n_items <= 0:
            raise ValueError(f"n_items must be positive; got {n_items}")
        if i.max() >= n_items:
            raise ValueError(f"item index {i.max()} is out of range for n_items={n_items}")
    if max_score is not None and s.max() > max_score:
        if dichotomous:
            raise ValueError(f"scores must be 0 or 1 for dichotomous models; found {s.max()}")
        raise ValueError(f"scores must be at most {max_score}; found {s.max()}")
    return p, i, s


def check_dichotomous_params(
    a: ArrayLike, b: ArrayLike, c: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate 3PL item parameters (``c=None`` means the 2PL, ``c = 0``)."""
    a_ = np.atleast_1d(np.asarray(a, dtype=np.float64))
    b_ = np.atleast_1d(np.asarray(b, dtype=np.float64))
    if a_.ndim != 1 or b_.ndim != 1:
        raise ValueError("a and b must be one-dimensional")
    if a_.size == 0:
        raise ValueError("the item bank is empty: a and b have no items")
    c_ = np.zeros_like(a_) if c is None else np.atleast_1d(np.asarray(c, dtype=np.float64))
    if c_.ndim != 1:
        raise ValueError("c must be one-dimensional")
    if not (a_.size == b_.size == c_.size):
        raise ValueError(
            f"a, b and c must have the same length; got {a_.size}, {b_.size} and {c_.size}"
        )
    for name, arr in (("a", a_), ("b", b_), ("c", c_)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values")
    if np.any(a_ <= 0):
        raise ValueError("discrimination a must be positive")
    if np.any((c_ < 0) | (c_ >= 1)):
        raise ValueError("lower asymptote c must lie in [0, 1)")
    return a_, b_, c_


def check_grm_params(a: ArrayLike, thresholds: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validate GRM parameters; thresholds increase and may end in ``NaN`` padding."""
    a_ = np.atleast_1d(np.asarray(a, dtype=np.float64))
    t_ = np.asarray(thresholds, dtype=np.float64)
    if a_.ndim != 1:
        raise ValueError("a must be one-dimensional")
    if a_.size == 0:
        raise ValueError("the item bank is empty: a has no items")
    if t_.ndim != 2 or t_.shape[0] != a_.size:
        raise ValueError(
            f"thresholds must have shape (n_items, n_categories - 1) = ({a_.size}, k); "
            f"got {t_.shape}"
        )
    if not np.all(np.isfinite(a_)):
        raise ValueError("a contains NaN or infinite values")
    if np.any(a_ <= 0):
        raise ValueError("discrimination a must be positive")
    nan = np.isnan(t_)
    if np.any(np.isinf(t_)):
        raise ValueError("thresholds contain infinite values")
    if np.any(nan[:, 0]):
        raise ValueError("every GRM item needs at least one finite threshold")
    if np.any(nan[:, :-1] & ~nan[:, 1:]):
        raise ValueError("NaN thresholds are only allowed as trailing padding")
    with np.errstate(invalid="ignore"):
        increasing = np.diff(t_, axis=1) > 0
    if np.any(~nan[:, 1:] & ~increasing):
        raise ValueError("GRM thresholds must be strictly increasing within each item")
    return a_, t_


def check_positive(value: float, name: str) -> float:
    """Return ``value`` as float if finite and positive."""
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return v


def check_finite(value: float, name: str) -> float:
    """Return ``value`` as float if finite."""
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return v
