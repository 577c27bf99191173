"""Simulated sessions and Sympson-Hetter exposure calibration by simulation."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics.cat.bank import ItemBank
from hocvu.psychometrics.cat.blueprint import Blueprint
from hocvu.psychometrics.cat.config import CATConfig
from hocvu.psychometrics.cat.session import AdaptiveSession
from hocvu.psychometrics.irt import FloatArray

__all__ = ["calibrate_exposure", "simulate_session"]


def simulate_session(
    bank: ItemBank,
    theta: ArrayLike,
    *,
    seed: int,
    config: CATConfig | None = None,
    blueprint: Blueprint | None = None,
    exclude: Iterable[str] = (),
    exposure_counts: Mapping[str, int] | None = None,
    exposure_sessions: int = 0,
) -> AdaptiveSession:
    """Run a whole session for a simulated learner with known area abilities.

    Responses are drawn from the 3PL with a generator seeded by ``(seed, 1)``, so the
    run is reproducible.

    Parameters
    ----------
    bank : ItemBank
    theta : array_like, shape (n_areas,) or scalar
        True ability per area (a scalar is used for every area).
    seed : int
    config, blueprint, exclude, exposure_counts, exposure_sessions
        As in :meth:`AdaptiveSession.start`.

    Returns
    -------
    AdaptiveSession
        The finished session.
    """
    th = np.broadcast_to(np.asarray(theta, dtype=np.float64), (bank.n_areas,))
    if not np.all(np.isfinite(th)):
        raise ValueError("theta must be finite")
    session = AdaptiveSession.start(
        bank,
        seed=seed,
        config=config,
        blueprint=blueprint,
        exclude=exclude,
        exposure_counts=exposure_counts,
        exposure_sessions=exposure_sessions,
    )
    rng = np.random.default_rng([seed, 1])
    a_, b_, c_, area_ = bank.a, bank.b, bank.c, bank.area
    while True:
        i = session.next_index()
        if i is None:
            return session
        z = float(a_[i]) * (float(th[area_[i]]) - float(b_[i]))
        p = float(c_[i]) + (1.0 - float(c_[i])) / (1.0 + math.exp(-max(min(z, 500.0), -500.0)))
        session.answer_index(i, int(rng.random() < p))


def calibrate_exposure(
    bank: ItemBank,
    *,
    r_max: float = 0.25,
    n_sessions: int = 1000,
    n_iterations: int = 8,
    config: CATConfig | None = None,
    blueprint: Blueprint | None = None,
    seed: int = 0,
    margin: float = 0.9,
    true_thetas: Callable[[np.random.Generator, int], NDArray[np.float64]] | None = None,
) -> FloatArray:
    """Sympson-Hetter exposure-control parameters by iterative simulation.

    Each iteration simulates ``n_sessions`` learners with the current parameters ``K``
    and records each item's administration rate ``A_i``. Because an item is given only
    if it is eligible (probability ``K_i``), ``A_i / K_i`` estimates how often it would
    be selected when eligible; the update ``K_i <- min(1, target * K_i / A_i)`` with
    ``target = margin * r_max`` brings every rate to at most the target (Sympson &
    Hetter, 1985; van der Linden, 2003). Items never administered get ``min(1, 2 K_i)``
    so that an item pushed down too far recovers gradually.

    Parameters
    ----------
    bank : ItemBank
    r_max : float
        Maximum share of learners who may see any one item.
    n_sessions, n_iterations : int
        Simulation size.
    config, blueprint : optional
        The test the parameters are for (they depend on its length and rules).
    seed : int
    margin : float
        Calibrate to ``margin * r_max`` to leave room for sampling error.
    true_thetas : callable, optional
        ``f(rng, n_areas) -> ndarray``; default a one-factor model with standard-normal
        margins.

    Returns
    -------
    ndarray, shape (n_items,)
        Pass to :meth:`ItemBank.with_exposure`.

    References
    ----------
    van der Linden, W. J. (2003). Some alternatives to Sympson-Hetter item-exposure
    control in computerized adaptive testing. *Journal of Educational and Behavioral
    Statistics*, 28(3), 249-265.
    """
    if not 0 < r_max <= 1:
        raise ValueError("r_max must be in (0, 1]")
    if not 0 < margin <= 1:
        raise ValueError("margin must be in (0, 1]")
    if n_sessions < 1 or n_iterations < 1:
        raise ValueError("n_sessions and n_iterations must be positive")
    cfg = config if config is not None else CATConfig()
    target = r_max * margin
    k = np.ones(bank.n_items)
    rng = np.random.default_rng([seed, 2])

    def default_thetas(r: np.random.Generator, n_areas: int) -> NDArray[np.float64]:
        out: NDArray[np.float64] = 0.8 * r.standard_normal() + 0.6 * r.standard_normal(n_areas)
        return out

    draw = true_thetas if true_thetas is not None else default_thetas
    for it in range(n_iterations):
        current = bank.with_exposure(k)
        counts = np.zeros(bank.n_items)
        for s in range(n_sessions):
            session = simulate_session(
                current,
                draw(rng, bank.n_areas),
                seed=(seed * 7919 + it) * 1_000_003 + s,
                config=cfg,
                blueprint=blueprint,
            )
            counts[session._items] += 1.0
        rate = counts / n_sessions
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.where(rate > 0, np.minimum(1.0, target * k / rate), np.minimum(1.0, 2.0 * k))
    return k
