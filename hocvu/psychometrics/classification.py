"""Level decisions on the ability scale: cut scores, decision rules and their accuracy.

The placement framework has four levels (1 *Cơ bản* / basic, 2 *Trung cấp* /
intermediate, 3 *Nâng cao* / advanced, 4 *Chuyên sâu* / specialized). A learner's level
in an area is the interval of the ability scale ``theta`` that contains their ability;
the intervals are bounded by three increasing cut scores.

Two decision rules are provided:

* **Posterior probability rule** (Bayesian sequential classification): with a posterior
  for ``theta`` on a grid, the probability of each level is the posterior mass between
  its cuts; the level is decided once the largest of these probabilities reaches a stated
  confidence (e.g. 0.90). This is the rule :class:`~hocvu.psychometrics.cat.AdaptiveSession`
  uses, because it needs only the grid posterior it already keeps (see Eggen, 1999, for
  its relation to the confidence-interval rule of Kingsbury & Weiss, 1983).
* **Sequential probability ratio test** (Wald, 1947), generalised to several cuts by
  Eggen (1999) and Spray & Reckase (1996): for each cut ``k`` the hypotheses
  ``theta = cut_k - delta`` and ``theta = cut_k + delta`` are compared by their likelihood
  ratio, with error rates ``alpha`` and ``beta``; the level is decided when every cut has
  been decided consistently.

:func:`simulate_classification` measures *accuracy* (agreement of the decided level with
the simulated true level) and *consistency* (agreement of the levels from two parallel
adaptive tests of the same learner, the second excluding the first test's items) by
simulation.

References
----------
Wald, A. (1947). *Sequential Analysis*. Wiley.

Kingsbury, G. G., & Weiss, D. J. (1983). A comparison of IRT-based adaptive mastery
testing and a sequential mastery testing procedure. In D. J. Weiss (Ed.), *New Horizons
in Testing* (pp. 257-283). Academic Press.

Spray, J. A., & Reckase, M. D. (1996). Comparison of SPRT and sequential Bayes procedures
for classifying examinees into two categories using a computerized test. *Journal of
Educational and Behavioral Statistics*, 21(4), 405-414.

Eggen, T. J. H. M. (1999). Item selection in adaptive testing with the sequential
probability ratio test. *Applied Psychological Measurement*, 23(3), 249-261.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics.irt import FloatArray, log_prob

if TYPE_CHECKING:
    from hocvu.psychometrics.cat import Blueprint, CATConfig, ItemBank

__all__ = [
    "DEFAULT_CUTS",
    "LEVEL_CUTS",
    "LEVEL_NAMES_EN",
    "LEVEL_NAMES_VI",
    "ClassificationReport",
    "decide_level",
    "level_of",
    "level_probabilities",
    "level_weights",
    "simulate_classification",
    "sprt_decide",
    "validate_cuts",
]

#: The lower cut of each framework level 1..4 on the logistic theta scale: level ``L``
#: is reached at ``theta >= LEVEL_CUTS[L - 1]``. Below the first cut is band 0, "not yet
#: basic", so the platform sees five bands 0|1|2|3|4 (placement, paths, the profile
#: chart, the certification exam's target-relative scale; decision 0005). These are the
#: only cut scores in hocvu; they are placeholders until a standard-setting study (e.g.
#: bookmark or Angoff) fixes them for a calibrated bank.
LEVEL_CUTS: tuple[float, ...] = (-1.5, -0.5, 0.5, 1.5)

#: Default cut scores of the four-level classification, between levels 1|2, 2|3 and 3|4
#: (``LEVEL_CUTS`` without its first cut: level 1 is everything below level 2, with no
#: "not yet basic" band). With a standard-normal population this places about 31 % at
#: level 1, 38 % at level 2, 24 % at level 3 and 7 % at level 4.
DEFAULT_CUTS: tuple[float, ...] = LEVEL_CUTS[1:]

LEVEL_NAMES_VI: tuple[str, ...] = ("Cơ bản", "Trung cấp", "Nâng cao", "Chuyên sâu")
LEVEL_NAMES_EN: tuple[str, ...] = ("Basic", "Intermediate", "Advanced", "Specialized")


def validate_cuts(cuts: Sequence[float]) -> tuple[float, ...]:
    """Check cut scores and return them as a tuple of floats.

    Parameters
    ----------
    cuts : sequence of float
        Strictly increasing, finite cut scores; ``len(cuts) + 1`` levels.

    Returns
    -------
    tuple of float

    Raises
    ------
    ValueError
        If there are no cuts, a cut is not finite, or the cuts do not increase.
    """
    out = tuple(float(x) for x in cuts)
    if not out:
        raise ValueError("at least one cut score is required")
    if not all(math.isfinite(x) for x in out):
        raise ValueError(f"cut scores must be finite, got {out}")
    if any(b <= a for a, b in itertools.pairwise(out)):
        raise ValueError(f"cut scores must be strictly increasing, got {out}")
    return out


def level_of(theta: float, cuts: Sequence[float] = DEFAULT_CUTS) -> int:
    """Return the 1-based level whose interval contains ``theta``.

    A theta exactly on a cut belongs to the upper level.
    """
    return 1 + sum(1 for x in cuts if theta >= x)


def level_weights(grid: FloatArray, cuts: Sequence[float] = DEFAULT_CUTS) -> FloatArray:
    """Share of each grid cell that lies in each level.

    Grid point ``g`` stands for the cell between the midpoints to its neighbours (the end
    cells are open). A cut inside a cell splits its mass proportionally, so level
    probabilities vary smoothly with the cuts instead of jumping between grid points.

    Parameters
    ----------
    grid : ndarray, shape (G,)
        Increasing quadrature points.
    cuts : sequence of float

    Returns
    -------
    ndarray, shape (G, len(cuts) + 1)
        Rows sum to one.
    """
    cs = validate_cuts(cuts)
    g = np.asarray(grid, dtype=np.float64)
    if g.ndim != 1 or g.size < 2 or np.any(np.diff(g) <= 0):
        raise ValueError("grid must be a strictly increasing 1-D array of at least 2 points")
    mid = (g[1:] + g[:-1]) / 2.0
    lo = np.concatenate(([-np.inf], mid))
    hi = np.concatenate((mid, [np.inf]))
    bounds = (-np.inf, *cs, np.inf)
    w = np.zeros((g.size, len(cs) + 1))
    for k in range(len(cs) + 1):
        left = np.maximum(lo, bounds[k])
        right = np.minimum(hi, bounds[k + 1])
        width = hi - lo
        inside = np.clip(right - left, 0.0, None)
        with np.errstate(invalid="ignore"):
            frac = np.where(np.isinf(width), 0.0, inside / width)
        # Open end cells: all mass goes to the level that contains the grid point.
        for end in (0, g.size - 1):
            frac[end] = 1.0 if bounds[k] <= g[end] < bounds[k + 1] else 0.0
        w[:, k] = frac
    return w


def level_probabilities(
    weights: FloatArray, log_posterior: ArrayLike, normalized: bool = False
) -> FloatArray:
    """Posterior probability of each level.

    Parameters
    ----------
    weights : ndarray, shape (G, L)
        From :func:`level_weights`.
    log_posterior : array_like, shape (G,)
        Unnormalized log posterior on the same grid (or, with ``normalized=True``,
        already normalized posterior weights).
    normalized : bool
        Whether ``log_posterior`` holds probabilities that sum to one.

    Returns
    -------
    ndarray, shape (L,)
    """
    lp = np.asarray(log_posterior, dtype=np.float64)
    if normalized:
        p = lp
    else:
        p = np.exp(lp - lp.max())
        p = p / p.sum()
    out: FloatArray = p @ weights
    return out


def decide_level(probabilities: ArrayLike, confidence: float) -> int | None:
    """Posterior probability rule: the 1-based level if its probability reaches ``confidence``.

    Parameters
    ----------
    probabilities : array_like, shape (L,)
        Level probabilities, e.g. from :func:`level_probabilities`.
    confidence : float
        In ``(0.5, 1]``; ``1.0`` effectively never decides before the end of a test.

    Returns
    -------
    int or None
        ``None`` while no level is decided.
    """
    if not 0.5 < confidence <= 1.0:
        raise ValueError(f"confidence must be in (0.5, 1], got {confidence}")
    p = np.asarray(probabilities, dtype=np.float64)
    k = int(np.argmax(p))
    return k + 1 if p[k] >= confidence else None


def sprt_decide(
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    responses: ArrayLike,
    cuts: Sequence[float] = DEFAULT_CUTS,
    delta: float = 0.25,
    alpha: float = 0.05,
    beta: float = 0.05,
) -> int | None:
    """Multi-cut sequential probability ratio test (Wald, 1947; Eggen, 1999).

    For each cut ``x_k`` compare ``H0: theta = x_k - delta`` against
    ``H1: theta = x_k + delta`` with the log likelihood ratio ``L`` of the responses so
    far: accept ``H1`` (learner above the cut) if ``L >= log((1 - beta) / alpha)``, accept
    ``H0`` if ``L <= log(beta / (1 - alpha))``, otherwise keep testing. The level is
    decided once every cut is decided and the decisions are consistent (above all cuts up
    to some ``k`` and below the rest).

    Parameters
    ----------
    a, b, c : array_like, shape (n,)
        3PL parameters of the administered items.
    responses : array_like of {0, 1}, shape (n,)
    cuts : sequence of float
    delta : float
        Half-width of the indifference region around each cut.
    alpha, beta : float
        Nominal error rates of each binary test.

    Returns
    -------
    int or None
        The decided 1-based level, or ``None`` while undecided.
    """
    cs = validate_cuts(cuts)
    if not delta > 0:
        raise ValueError("delta must be positive")
    if not (0 < alpha < 0.5 and 0 < beta < 0.5):
        raise ValueError("alpha and beta must be in (0, 0.5)")
    u = np.asarray(responses, dtype=np.float64)
    if u.size and not np.all((u == 0) | (u == 1)):
        raise ValueError("responses must be 0 or 1")
    points = np.array([[x - delta, x + delta] for x in cs]).ravel()
    lp, lq = log_prob(points[:, None], a, b, c)
    ll = (lp * u + lq * (1.0 - u)).sum(axis=1).reshape(len(cs), 2)
    llr = ll[:, 1] - ll[:, 0]
    upper = math.log((1.0 - beta) / alpha)
    lower = math.log(beta / (1.0 - alpha))
    above = llr >= upper
    below = llr <= lower
    if not np.all(above | below):
        return None
    n_above = int(above.sum())
    if not (np.all(above[:n_above]) and np.all(below[n_above:])):
        return None
    return n_above + 1


@dataclass(frozen=True)
class ClassificationReport:
    """Result of :func:`simulate_classification`.

    Attributes
    ----------
    accuracy : float
        Share of (learner, area) decisions from the first test equal to the true level.
    consistency : float
        Share of (learner, area) decisions on which two parallel tests agree.
    mean_length : float
        Mean number of items of the first test.
    decided_share : float
        Share of area decisions reached by the confidence rule before the test ended.
    confusion : tuple of tuple of int
        ``confusion[true - 1][decided - 1]`` counts from the first test.
    n_learners : int
    """

    accuracy: float
    consistency: float
    mean_length: float
    decided_share: float
    confusion: tuple[tuple[int, ...], ...]
    n_learners: int


def _default_true_thetas(rng: np.random.Generator, n_areas: int) -> FloatArray:
    # One general factor plus area-specific deviations: area thetas correlate about 0.64.
    g = rng.standard_normal()
    out: FloatArray = 0.8 * g + 0.6 * rng.standard_normal(n_areas)
    return out


def simulate_classification(
    bank: ItemBank,
    *,
    n_learners: int = 500,
    config: CATConfig | None = None,
    blueprint: Blueprint | None = None,
    seed: int = 0,
    true_thetas: Callable[[np.random.Generator, int], NDArray[np.float64]] | None = None,
) -> ClassificationReport:
    """Classification accuracy and consistency of adaptive tests by simulation.

    Each simulated learner takes two adaptive tests (two *parallel* forms: the second test
    excludes every item of the first). Responses are drawn from the 3PL at the learner's
    true area abilities.

    Parameters
    ----------
    bank : ItemBank
    n_learners : int
    config : CATConfig, optional
        Stopping rules and cut scores (defaults of :class:`CATConfig`).
    blueprint : Blueprint, optional
    seed : int
    true_thetas : callable, optional
        ``f(rng, n_areas) -> ndarray`` of true area abilities; default a one-factor model
        with standard-normal margins.

    Returns
    -------
    ClassificationReport
    """
    from hocvu.psychometrics.cat import CATConfig, simulate_session

    if n_learners < 1:
        raise ValueError("n_learners must be positive")
    cfg = config if config is not None else CATConfig()
    draw = true_thetas if true_thetas is not None else _default_true_thetas
    rng = np.random.default_rng(seed)
    n_levels = len(cfg.cuts) + 1
    confusion = np.zeros((n_levels, n_levels), dtype=np.int64)
    agree = 0
    total = 0
    decided = 0
    lengths = 0
    for i in range(n_learners):
        theta = np.asarray(draw(rng, bank.n_areas), dtype=np.float64)
        first = simulate_session(
            bank, theta, seed=seed * 1_000_003 + 2 * i, config=cfg, blueprint=blueprint
        )
        second = simulate_session(
            bank,
            theta,
            seed=seed * 1_000_003 + 2 * i + 1,
            config=cfg,
            blueprint=blueprint,
            exclude=first.administered_ids,
        )
        r1 = first.result()
        r2 = second.result()
        lengths += r1.n_items
        for area in r1.areas:
            if area.n_items == 0:
                continue
            k = area.index
            true_level = level_of(float(theta[k]), cfg.cuts)
            confusion[true_level - 1, area.level - 1] += 1
            total += 1
            decided += int(area.level_decided)
            agree += int(area.level == r2.areas[k].level)
    correct = int(np.trace(confusion))
    return ClassificationReport(
        accuracy=correct / total if total else float("nan"),
        consistency=agree / total if total else float("nan"),
        mean_length=lengths / n_learners,
        decided_share=decided / total if total else float("nan"),
        confusion=tuple(tuple(int(x) for x in row) for row in confusion),
        n_learners=n_learners,
    )
