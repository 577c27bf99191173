"""Simulation utilities: item banks, abilities and responses (for tests and benchmarks).

Every function takes a seeded :class:`numpy.random.Generator` so that results are
reproducible; nothing here touches global random state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics import grm, irt
from hocvu.psychometrics._validation import IntArray, check_model
from hocvu.psychometrics.irt import FloatArray

__all__ = [
    "SimulatedBank",
    "simulate_bank",
    "simulate_responses",
    "simulate_sparse_responses",
    "to_triples",
]


@dataclass(frozen=True)
class SimulatedBank:
    """True item parameters of a simulated bank.

    Attributes
    ----------
    model : str
    a, c : ndarray, shape ``(n_items,)``
    b : ndarray, shape ``(n_items,)`` or ``(n_items, n_categories - 1)`` for the GRM
    """

    model: str
    a: FloatArray
    b: FloatArray
    c: FloatArray


def simulate_bank(
    n_items: int,
    model: str = "2pl",
    *,
    rng: np.random.Generator,
    log_a: tuple[float, float] = (0.0, 0.3),
    b: tuple[float, float] = (0.0, 1.0),
    c: tuple[float, float] = (5.0, 17.0),
    n_categories: int = 4,
) -> SimulatedBank:
    """Draw item parameters.

    ``log a ~ N(log_a)``, ``b ~ N(b)`` (sorted draws as GRM thresholds, spread by
    at least 0.3), ``c ~ Beta(c)`` for the 3PL; ``a = 1`` for the Rasch model.

    Parameters
    ----------
    n_items : int
    model : {"2pl", "3pl", "rasch", "grm"}
    rng : numpy.random.Generator
    log_a, b : (mean, sd)
    c : (alpha, beta)
    n_categories : int
        Score categories of GRM items.

    Returns
    -------
    SimulatedBank
    """
    mdl = check_model(model)
    if n_items <= 0:
        raise ValueError(f"n_items must be positive; got {n_items}")
    a = np.exp(rng.normal(log_a[0], log_a[1], n_items))
    if mdl == "rasch":
        a = np.ones(n_items)
    cc = rng.beta(c[0], c[1], n_items) if mdl == "3pl" else np.zeros(n_items)
    if mdl == "grm":
        if n_categories < 2:
            raise ValueError("n_categories must be at least 2")
        centre = rng.normal(b[0], b[1], n_items)
        gaps = 0.3 + rng.gamma(4.0, 0.15, (n_items, n_categories - 1))
        thr = np.cumsum(gaps, axis=1)
        thr -= thr.mean(axis=1, keepdims=True)
        return SimulatedBank(mdl, a, centre[:, None] + thr, cc)
    return SimulatedBank(mdl, a, rng.normal(b[0], b[1], n_items), cc)


def _draw(theta: FloatArray, bank: SimulatedBank, rng: np.random.Generator) -> NDArray[np.int8]:
    """Scores for the paired arrays ``theta`` and ``bank`` rows (same length)."""
    if bank.b.ndim == 2:
        star = grm.cumulative_prob(theta, bank.a, bank.b)  # theta crossed with items
        u = rng.random(star.shape[:-1])
        return np.asarray((u[..., None] < star).sum(axis=-1), dtype=np.int8)
    p = irt.prob(theta, bank.a, bank.b, bank.c)
    return np.asarray(rng.random(p.shape) < p, dtype=np.int8)


def simulate_responses(
    theta: ArrayLike, bank: SimulatedBank, *, rng: np.random.Generator
) -> NDArray[np.int8]:
    """Complete response matrix.

    Parameters
    ----------
    theta : array_like, shape ``(n_persons,)``
    bank : SimulatedBank
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int8, shape ``(n_persons, n_items)``
    """
    t = np.asarray(theta, dtype=np.float64)
    if bank.b.ndim == 2:
        return _draw(t, bank, rng)
    return _draw(t[:, None], bank, rng)


def to_triples(responses: ArrayLike) -> tuple[IntArray, IntArray, IntArray]:
    """Convert a dense ``(n_persons, n_items)`` matrix to ``(person, item, score)``.

    Negative entries mark missing responses and are skipped.
    """
    x = np.asarray(responses)
    person, item = np.nonzero(x >= 0)
    return person.astype(np.int64), item.astype(np.int64), x[person, item].astype(np.int64)


def _distinct_items(
    n_persons: int, n_items: int, k: int, rng: np.random.Generator
) -> NDArray[np.int32]:
    """``k`` distinct random items per person, shape ``(n_persons, k)``."""
    if k > n_items:
        raise ValueError(f"items_per_person={k} exceeds n_items={n_items}")
    if 4 * k > n_items:
        keys = rng.random((n_persons, n_items), dtype=np.float32)
        return np.argsort(keys, axis=1)[:, :k].astype(np.int32)
    extra = k + max(8, k // 2)
    draw = np.sort(rng.integers(0, n_items, (n_persons, extra), dtype=np.int32), axis=1)
    dup = np.zeros_like(draw, dtype=bool)
    dup[:, 1:] = draw[:, 1:] == draw[:, :-1]
    # Random order among the distinct values, duplicates last; keep the first k.
    keys = rng.random(draw.shape, dtype=np.float32)
    keys[dup] = 2.0
    uniq = np.take_along_axis(draw, np.argsort(keys, axis=1), axis=1)
    n_unique = extra - dup.sum(axis=1)
    short = np.flatnonzero(n_unique < k)
    out = uniq[:, :k].copy()
    for r in short:  # astronomically rare; exact fallback
        out[r] = rng.choice(n_items, k, replace=False)
    return out


def simulate_sparse_responses(
    theta: ArrayLike,
    bank: SimulatedBank,
    items_per_person: int,
    *,
    rng: np.random.Generator,
    chunk: int = 200_000,
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int8]]:
    """Sparse design: every person answers ``items_per_person`` distinct random items.

    Parameters
    ----------
    theta : array_like, shape ``(n_persons,)``
    bank : SimulatedBank
    items_per_person : int
    rng : numpy.random.Generator
    chunk : int
        Persons generated at a time (bounds memory).

    Returns
    -------
    (person, item, score) : int32, int32 and int8 arrays of length
        ``n_persons * items_per_person``, grouped by person.
    """
    t = np.asarray(theta, dtype=np.float64)
    n, k = t.size, int(items_per_person)
    n_items = bank.a.size
    person = np.repeat(np.arange(n, dtype=np.int32), k)
    item = np.empty(n * k, dtype=np.int32)
    score = np.empty(n * k, dtype=np.int8)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        items = _distinct_items(stop - start, n_items, k, rng).ravel()
        th = np.repeat(t[start:stop], k)
        sub = SimulatedBank(bank.model, bank.a[items], bank.b[items], bank.c[items])
        if bank.b.ndim == 2:
            star = 1.0 / (1.0 + np.exp(-sub.a[:, None] * (th[:, None] - sub.b)))
            u = rng.random(th.size)
            sc = (u[:, None] < star).sum(axis=1)
        else:
            sc = rng.random(th.size) < irt.prob(th, sub.a, sub.b, sub.c)
        item[start * k : stop * k] = items
        score[start * k : stop * k] = sc
    return person, item, score
