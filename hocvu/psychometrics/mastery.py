"""Online mastery estimates per competence from practice answers.

Each competence carries a normal belief ``N(mean, sd**2)`` about the learner's ability
on the competence's IRT scale (the same logistic 3PL metric as the item bank, see
:mod:`hocvu.psychometrics.irt`). After each practice answer the belief is updated by
*assumed density filtering* (moment matching; Minka, 2001; the Bayesian counterpart of
an Elo-style rating update, cf. Pelánek, 2016): the exact posterior of one 3PL answer
under the normal prior is computed on Gauss-Hermite nodes and replaced by the normal with
the same mean and variance. A correct answer never lowers the mean; an incorrect one
never raises it; the uncertainty shrinks by an amount that grows with the item's
information at the current belief.

Between practice sessions abilities drift (learning, forgetting), so
:func:`decay` widens the belief by ``drift_per_day`` variance per day without changing
its mean; the next answers then move it more.

All functions are pure: they take a :class:`MasteryState` and return a new one.
:meth:`MasteryState.to_dict` / :meth:`MasteryState.from_dict` give a JSON-able form.

References
----------
Minka, T. P. (2001). Expectation propagation for approximate Bayesian inference.
*Proceedings of UAI 2001*, 362-369.

Pelánek, R. (2016). Applications of the Elo rating system in adaptive educational
systems. *Computers & Education*, 98, 169-179.

Glickman, M. E. (1999). Parameter estimation in large dynamic paired comparison
experiments. *Applied Statistics*, 48(3), 377-394.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

__all__ = [
    "MasteryState",
    "decay",
    "initial_state",
    "mastery_probability",
    "update",
]

# Probabilists' Gauss-Hermite rule: integral f(x) exp(-x^2/2) dx ~ sum w_j f(x_j).
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(41)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


@dataclass(frozen=True)
class MasteryState:
    """Belief about one competence: ability ``~ N(mean, sd**2)``.

    Attributes
    ----------
    competence : str
        Competence code, e.g. ``"2.3"``.
    mean, sd : float
        Belief on the logistic theta scale.
    n_answers : int
        Practice answers seen so far.
    n_correct : int
        Of which correct.
    """

    competence: str
    mean: float = 0.0
    sd: float = 1.0
    n_answers: int = 0
    n_correct: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.competence, str) or not self.competence:
            raise ValueError("competence must be a non-empty string")
        if not math.isfinite(self.mean):
            raise ValueError("mean must be finite")
        if not (math.isfinite(self.sd) and self.sd > 0):
            raise ValueError("sd must be positive and finite")
        if not 0 <= self.n_correct <= self.n_answers:
            raise ValueError("need 0 <= n_correct <= n_answers")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "competence": self.competence,
            "mean": self.mean,
            "sd": self.sd,
            "n_answers": self.n_answers,
            "n_correct": self.n_correct,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MasteryState:
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(
                competence=str(data["competence"]),
                mean=float(data["mean"]),
                sd=float(data["sd"]),
                n_answers=int(data["n_answers"]),
                n_correct=int(data["n_correct"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"invalid mastery state: {exc}") from exc


def initial_state(competence: str, mean: float = 0.0, sd: float = 1.0) -> MasteryState:
    """A fresh belief, e.g. seeded from the placement test's competence estimate."""
    return MasteryState(competence=competence, mean=float(mean), sd=float(sd))


def _check_item(a: float, b: float, c: float) -> None:
    if not all(math.isfinite(x) for x in (a, b, c)):
        raise ValueError("item parameters must be finite")
    if a <= 0:
        raise ValueError("a must be positive")
    if not 0 <= c < 1:
        raise ValueError("c must be in [0, 1)")


def update(
    state: MasteryState, correct: bool | int, a: float = 1.0, b: float = 0.0, c: float = 0.0
) -> MasteryState:
    """Update the belief with one scored practice answer.

    Parameters
    ----------
    state : MasteryState
    correct : bool or {0, 1}
    a, b, c : float
        3PL parameters of the practice item (logistic metric).

    Returns
    -------
    MasteryState
        The moment-matched posterior.

    Raises
    ------
    ValueError
        On a score other than 0/1 or invalid item parameters.
    """
    if isinstance(correct, bool):
        u = int(correct)
    elif isinstance(correct, int) and correct in (0, 1):
        u = correct
    else:
        raise ValueError(f"correct must be a bool or 0/1, got {correct!r}")
    a, b, c = float(a), float(b), float(c)
    _check_item(a, b, c)
    theta = state.mean + state.sd * _NODES
    p = c + (1.0 - c) / (1.0 + np.exp(-np.clip(a * (theta - b), -500.0, 500.0)))
    like = p if u else 1.0 - p
    w = _WEIGHTS * like
    z = float(w.sum())
    if z <= 0 or not math.isfinite(z):  # pragma: no cover - guarded by the clip
        return state
    mean = float(w @ theta) / z
    var = float(w @ (theta - mean) ** 2) / z
    sd = math.sqrt(max(var, 1e-12))
    return MasteryState(
        competence=state.competence,
        mean=mean,
        sd=sd,
        n_answers=state.n_answers + 1,
        n_correct=state.n_correct + u,
    )


def decay(state: MasteryState, days: float, drift_per_day: float = 0.01) -> MasteryState:
    """Widen the belief for ``days`` without practice (random-walk drift, Glickman 1999).

    ``sd**2`` grows by ``drift_per_day * days``; the mean is unchanged.
    """
    if not (math.isfinite(days) and days >= 0):
        raise ValueError("days must be a non-negative number")
    if not (math.isfinite(drift_per_day) and drift_per_day >= 0):
        raise ValueError("drift_per_day must be non-negative")
    sd = math.sqrt(state.sd**2 + drift_per_day * days)
    return MasteryState(
        competence=state.competence,
        mean=state.mean,
        sd=sd,
        n_answers=state.n_answers,
        n_correct=state.n_correct,
    )


def mastery_probability(state: MasteryState, cut: float) -> float:
    """Probability that the competence's ability is at or above ``cut``.

    Compare it with a confidence (e.g. 0.8) to declare mastery of a level whose lower
    cut score is ``cut`` (see :data:`hocvu.psychometrics.classification.LEVEL_CUTS`).
    """
    if not math.isfinite(cut):
        raise ValueError("cut must be finite")
    return float(ndtr((state.mean - cut) / state.sd))
