"""Placement against targets: is each competence already at the learner's target?

What a learner needs to know from placement is, per competence, one yes/no answer: is
their ability at or above the cut score of their role's target level for it? This module
decides that question for every competence at once, sequentially, in few questions.

Measurement model
-----------------
The abilities of the ``K`` competences form one vector ``theta`` with a multivariate
normal prior ``N(mu, Sigma)``. ``Sigma`` has the hierarchical structure of the framework
(a general factor, an area factor, and each competence's own part)::

    theta_k = mu_k + g + s_area(k) + e_k,   g ~ N(0, general), s_a ~ N(0, area_a),
                                            e_k ~ N(0, specific_k)

so an answer in competence 2.3 also moves the estimates of 2.1 (same area, strongly) and
of 5.4 (only through the general factor). ``mu`` is the role's mean (the role as a
prior). :meth:`CompetencePrior.fit` estimates ``mu`` and the variance components from the
posteriors of earlier learners (empirical Bayes, see there).

Each answer is a 3PL item on its own competence's ability (logistic metric, see
:mod:`hocvu.psychometrics.irt`). The posterior after an answer is not normal; it is
replaced by the normal with the same mean and covariance (assumed density filtering,
Minka 2001; the multivariate form of :mod:`hocvu.psychometrics.mastery`). Because the
answer depends on one coordinate only, this is exact in two steps: the 1-D marginal of
that competence is moment-matched on Gauss-Hermite nodes, and the whole vector follows by
the normal regression on that coordinate (a rank-one update of ``Sigma``).

Decision and stopping
---------------------
Competence ``k`` is *at target* with posterior probability
``p_k = Phi((mu_k - cut_k) / sd_k)``. It is decided once ``p_k >= confidence`` (at
target) or ``p_k <= 1 - confidence`` (below target): the Bayesian sequential
classification rule (Spray & Reckase, 1996; the confidence-interval rule of Kingsbury &
Weiss, 1983, in its posterior form). The test stops when every competence is decided,
at ``max_length`` questions, or when no question left can lower the expected number of
wrong decisions by at least ``min_gain`` (the undecided ones are then left to the path's
short checks).

Item selection
--------------
The next question is the one whose answer is expected to move the decisions most: the
expected fall of ``sum_k p_k (1 - p_k)`` over all competences after its answer. Because
``p_k`` is a martingale this equals ``P(1 - P) sum_k (p_k(right) - p_k(wrong))**2``, with
``P`` the predictive probability of a right answer: smooth, never negative, and computed
for every eligible item at once (items x competences x 2 normal integrals). The plain
one-step risk ``sum_k min(p_k, 1 - p_k)`` is not used: it changes only when one answer
can carry a competence across 1/2, so with weak items it sees no value anywhere (the
known myopia of 0-1 loss look-ahead; cf. Vos, 1999). An item of another competence
counts through the correlations, so a question in 2.3 that also settles 2.1 is worth
more than one that settles 2.3 alone. Exposure: the hard cap of
:class:`~hocvu.psychometrics.cat.AdaptiveSession` (an item whose administration would
lift its share of sessions above ``exposure_cap`` is blocked for the session) and a
seeded random tie-break among items of equal value.

References
----------
Eggen, T. J. H. M. (1999). Item selection in adaptive testing with the sequential
probability ratio test. *Applied Psychological Measurement*, 23(3), 249-261.

Kingsbury, G. G., & Weiss, D. J. (1983). A comparison of IRT-based adaptive mastery
testing and a sequential mastery testing procedure. In D. J. Weiss (Ed.), *New Horizons
in Testing* (pp. 257-283). Academic Press.

Minka, T. P. (2001). Expectation propagation for approximate Bayesian inference.
*Proceedings of UAI 2001*, 362-369.

Spray, J. A., & Reckase, M. D. (1996). Comparison of SPRT and sequential Bayes procedures
for classifying examinees into two categories using a computerized test. *Journal of
Educational and Behavioral Statistics*, 21(4), 405-414.

Vos, H. J. (1999). Applications of Bayesian decision theory to sequential mastery
testing. *Journal of Educational and Behavioral Statistics*, 24(3), 271-292.

Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item
parameters: application of an EM algorithm. *Psychometrika*, 46(4), 443-459.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from hocvu.psychometrics.cat.bank import ItemBank
from hocvu.psychometrics.irt import FloatArray

__all__ = [
    "CompetencePrior",
    "TargetConfig",
    "TargetDecision",
    "TargetResult",
    "TargetSession",
    "classify",
    "fit_role_priors",
    "settle_with_answers",
]

_STATE_VERSION = 1
ENGINE = "targets"

# Probabilists' Gauss-Hermite rule, weights normalised to one.
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(31)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def _finite(name: str, x: ArrayLike) -> FloatArray:
    arr = np.array(x, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


# ---------------------------------------------------------------------------------------
# The prior
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CompetencePrior:
    """Hierarchical normal prior of the competence abilities.

    Parameters
    ----------
    codes : tuple of str
        Competence codes, in the order of the bank's ``competence_codes``.
    areas : tuple of str
        The area code of each competence.
    mean : ndarray, shape (K,)
        Prior mean of each competence (the role's mean).
    general : float
        Variance of the general factor (shared by all competences).
    area : ndarray, shape (A,)
        Variance of each area's factor, areas in order of first appearance in ``areas``.
    specific : ndarray, shape (K,)
        Variance of each competence's own part.
    n_learners : int
        How many learners the prior was estimated from (0: the documented default).
    """

    codes: tuple[str, ...]
    areas: tuple[str, ...]
    mean: FloatArray
    general: float
    area: FloatArray
    specific: FloatArray
    n_learners: int = 0

    def __post_init__(self) -> None:
        k = len(self.codes)
        if k == 0 or len(set(self.codes)) != k:
            raise ValueError("codes must be unique and non-empty")
        if len(self.areas) != k:
            raise ValueError("areas must give one area per competence")
        area_codes = tuple(dict.fromkeys(self.areas))
        mean = _finite("mean", self.mean)
        area = _finite("area", self.area)
        specific = _finite("specific", self.specific)
        if mean.shape != (k,) or specific.shape != (k,) or area.shape != (len(area_codes),):
            raise ValueError("mean, area and specific have the wrong shape")
        if not (math.isfinite(self.general) and self.general >= 0):
            raise ValueError("general variance must be >= 0")
        if np.any(area < 0) or np.any(specific <= 0):
            raise ValueError("area variances must be >= 0 and specific variances > 0")
        if not isinstance(self.n_learners, int) or self.n_learners < 0:
            raise ValueError("n_learners must be a non-negative integer")
        for name, value in (("mean", mean), ("area", area), ("specific", specific)):
            value.flags.writeable = False
            object.__setattr__(self, name, value)
        object.__setattr__(self, "general", float(self.general))

    @property
    def area_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.areas))

    @property
    def area_index(self) -> np.ndarray:
        codes = self.area_codes
        return np.array([codes.index(a) for a in self.areas], dtype=np.int64)

    @property
    def cov(self) -> FloatArray:
        """The prior covariance matrix ``general + area (same area) + specific (diag)``."""
        idx = self.area_index
        same = idx[:, None] == idx[None, :]
        out = self.general + np.where(same, self.area[idx][:, None], 0.0)
        out[np.diag_indices_from(out)] += self.specific
        return np.asarray(out, dtype=np.float64)

    @classmethod
    def hierarchical(
        cls,
        codes: Sequence[str],
        areas: Sequence[str],
        *,
        mean: ArrayLike = 0.0,
        general: float = 0.64,
        area: float = 0.36,
        specific: float = 0.25,
    ) -> CompetencePrior:
        """Equal variance components everywhere.

        The defaults are the documented starting prior (decision 0011): a general factor
        with variance 0.64 and an area factor with 0.36 (areas correlate 0.64 and each
        area's ability has variance 1), each competence ``N(0, 0.5**2)`` around its area.
        They are replaced by :meth:`fit` once placement results exist.
        """
        codes_t = tuple(str(c) for c in codes)
        areas_t = tuple(str(a) for a in areas)
        n_areas = len(dict.fromkeys(areas_t))
        return cls(
            codes=codes_t,
            areas=areas_t,
            mean=np.broadcast_to(np.asarray(mean, dtype=np.float64), (len(codes_t),)).copy(),
            general=general,
            area=np.full(n_areas, float(area)),
            specific=np.full(len(codes_t), float(specific)),
        )

    @classmethod
    def for_bank(cls, bank: ItemBank, **kwargs: Any) -> CompetencePrior:
        """:meth:`hierarchical` for the competences of ``bank``."""
        areas = [bank.area_codes[int(a)] for a in bank.competence_area]
        return cls.hierarchical(bank.competence_codes, areas, **kwargs)

    def with_mean(self, mean: ArrayLike) -> CompetencePrior:
        """The same covariance around another mean (e.g. a role's)."""
        return CompetencePrior(
            self.codes, self.areas, np.asarray(mean, dtype=np.float64), self.general,
            self.area, self.specific, self.n_learners,
        )  # fmt: skip

    @classmethod
    def fit(
        cls,
        codes: Sequence[str],
        areas: Sequence[str],
        means: ArrayLike,
        covariances: ArrayLike,
        *,
        floor: float = 0.01,
    ) -> CompetencePrior:
        """Empirical-Bayes prior from earlier learners' posteriors.

        With posterior means ``m_i`` and covariances ``S_i`` of ``n`` learners (under the
        prior in force when they were placed), the new prior is one EM step for the
        population distribution (Bock & Aitkin, 1981): ``mu = mean(m_i)`` and
        ``Sigma = mean(S_i + (m_i - mu)(m_i - mu)^T)`` (the law of total covariance), then
        projected onto the hierarchical structure: the general variance is the mean
        covariance between competences of different areas, each area's variance the
        mean covariance within the area minus the general variance, each competence's
        own variance its variance minus the covariance it shares. Components are kept at
        least ``floor`` (a variance never collapses to zero on a small sample). Repeated
        as new learners are placed, this converges to the population's distribution.

        Parameters
        ----------
        codes, areas : sequence of str
        means : array_like, shape (n, K)
        covariances : array_like, shape (n, K, K) or (K, K)
            Each learner's posterior covariance, or one average.
        floor : float

        Returns
        -------
        CompetencePrior
        """
        m = _finite("means", means)
        if m.ndim != 2 or m.shape[0] < 2:
            raise ValueError("means must be (n_learners >= 2, K)")
        n, k = m.shape
        s = _finite("covariances", covariances)
        if s.shape == (n, k, k):
            s = s.mean(axis=0)
        if s.shape != (k, k):
            raise ValueError("covariances must be (n, K, K) or (K, K)")
        mu = m.mean(axis=0)
        dev = m - mu
        total = s + dev.T @ dev / n
        areas_t = tuple(str(a) for a in areas)
        area_codes = tuple(dict.fromkeys(areas_t))
        idx = np.array([area_codes.index(a) for a in areas_t])
        same = idx[:, None] == idx[None, :]
        off = ~np.eye(k, dtype=bool)
        between = total[~same]
        general = float(between.mean()) if between.size else 0.0
        general = max(general, floor)
        area_var = np.empty(len(area_codes))
        for a in range(len(area_codes)):
            block = total[np.ix_(idx == a, idx == a)]
            within = block[off[np.ix_(idx == a, idx == a)]]
            area_var[a] = max((float(within.mean()) if within.size else 0.0) - general, floor)
        specific = np.maximum(np.diag(total) - general - area_var[idx], floor)
        return cls(
            codes=tuple(str(c) for c in codes),
            areas=areas_t,
            mean=mu,
            general=general,
            area=area_var,
            specific=specific,
            n_learners=n,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "codes": list(self.codes),
            "areas": list(self.areas),
            "mean": [round(float(x), 6) for x in self.mean],
            "general": round(self.general, 6),
            "area": [round(float(x), 6) for x in self.area],
            "specific": [round(float(x), 6) for x in self.specific],
            "n_learners": self.n_learners,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CompetencePrior:
        try:
            return cls(
                codes=tuple(str(c) for c in data["codes"]),
                areas=tuple(str(a) for a in data["areas"]),
                mean=np.asarray(data["mean"], dtype=np.float64),
                general=float(data["general"]),
                area=np.asarray(data["area"], dtype=np.float64),
                specific=np.asarray(data["specific"], dtype=np.float64),
                n_learners=int(data.get("n_learners", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid competence prior: {exc}") from exc

    @property
    def fingerprint(self) -> str:
        raw = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:16]


def fit_role_priors(
    codes: Sequence[str],
    areas: Sequence[str],
    roles: Sequence[str],
    means: ArrayLike,
    covariances: ArrayLike,
    *,
    shrink: float = 20.0,
    all_roles: Iterable[str] = (),
) -> tuple[CompetencePrior, dict[str, CompetencePrior]]:
    """Empirical-Bayes priors per role from earlier placements (decision 0011).

    The variance components are fitted (:meth:`CompetencePrior.fit`) on the posteriors
    pooled *within* roles (each learner's mean moved by the overall mean minus their
    role's mean), so they describe how learners of one role differ. Each role's mean is
    its learners' mean pulled towards the overall mean as if the overall mean were
    ``shrink`` more learners: a role with few placements stays close to everyone's mean.

    Parameters
    ----------
    codes, areas : sequence of str
    roles : sequence of str, length n
        The role of each learner.
    means : array_like, shape (n, K)
    covariances : array_like, shape (n, K, K)
    shrink : float
    all_roles : iterable of str
        Roles to give a prior even without placements (they get the overall mean).

    Returns
    -------
    (pooled, by_role)
        The pooled prior (overall mean) and one prior per role.
    """
    m = _finite("means", means)
    if m.ndim != 2 or len(roles) != m.shape[0]:
        raise ValueError("one role per learner is required")
    if not (math.isfinite(shrink) and shrink >= 0):
        raise ValueError("shrink must be >= 0")
    role_arr = np.array([str(r) for r in roles])
    overall = m.mean(axis=0)
    centred = m.copy()
    role_means: dict[str, tuple[int, FloatArray]] = {}
    for role in sorted(set(role_arr.tolist())):
        mask = role_arr == role
        role_means[role] = (int(mask.sum()), m[mask].mean(axis=0))
        centred[mask] += overall - role_means[role][1]
    pooled = CompetencePrior.fit(codes, areas, centred, covariances)
    by_role = {}
    for role in sorted(set(role_means) | {str(r) for r in all_roles}):
        k, mu = role_means.get(role, (0, overall))
        mean = (k * mu + shrink * overall) / (k + shrink) if k + shrink > 0 else overall
        by_role[role] = pooled.with_mean(mean)
    return pooled, by_role


# ---------------------------------------------------------------------------------------
# Configuration and results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetConfig:
    """Stopping and exposure rules of a placement against targets.

    Parameters
    ----------
    max_length : int
        Hard maximum number of questions.
    min_length : int
        No stop before this many questions (except when nothing is left to ask).
    confidence : float
        A competence is decided once the posterior probability of one side of its cut
        reaches this.
    min_gain : float
        Stop early when the best question would lower the expected number of wrong
        decisions by less than this.
    exposure_cap, exposure_burn_in : float, int
        As in :class:`~hocvu.psychometrics.cat.CATConfig`.
    """

    max_length: int = 30
    min_length: int = 0
    confidence: float = 0.9
    min_gain: float = 0.002
    exposure_cap: float = 0.25
    exposure_burn_in: int = 20

    def __post_init__(self) -> None:
        if not (isinstance(self.max_length, int) and self.max_length >= 1):
            raise ValueError("max_length must be a positive integer")
        if not (isinstance(self.min_length, int) and 0 <= self.min_length <= self.max_length):
            raise ValueError("min_length must be an integer in [0, max_length]")
        if not 0.5 < self.confidence < 1.0:
            raise ValueError("confidence must be in (0.5, 1)")
        if not (math.isfinite(self.min_gain) and self.min_gain >= 0):
            raise ValueError("min_gain must be >= 0")
        if not 0 < self.exposure_cap <= 1:
            raise ValueError("exposure_cap must be in (0, 1]")
        if not (isinstance(self.exposure_burn_in, int) and self.exposure_burn_in >= 0):
            raise ValueError("exposure_burn_in must be a non-negative integer")

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_length": self.max_length,
            "min_length": self.min_length,
            "confidence": self.confidence,
            "min_gain": self.min_gain,
            "exposure_cap": self.exposure_cap,
            "exposure_burn_in": self.exposure_burn_in,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TargetConfig:
        try:
            return cls(**dict(data))
        except TypeError as exc:
            raise ValueError(f"invalid placement configuration: {exc}") from exc


@dataclass(frozen=True)
class TargetDecision:
    """One competence after placement.

    ``decision`` is ``"at_target"``, ``"below_target"`` or ``"undecided"`` (the path
    settles it with one short check); ``p_target`` the posterior probability of being at
    or above ``cut``; ``theta`` / ``se`` the posterior mean and SD.
    """

    index: int
    code: str
    area_code: str
    target: int
    cut: float
    theta: float
    se: float
    p_target: float
    decision: str
    n_items: int

    @property
    def decided(self) -> bool:
        return self.decision != "undecided"


@dataclass(frozen=True)
class TargetResult:
    """Outcome of a placement against targets (possibly still running)."""

    competences: tuple[TargetDecision, ...]
    n_items: int
    finished: bool
    stop_reason: str | None
    item_ids: tuple[str, ...]
    responses: tuple[int, ...]
    confidence: float
    covariance: tuple[tuple[float, ...], ...]

    @property
    def undecided(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.competences if not c.decided)

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": ENGINE,
            "competences": [vars(c).copy() for c in self.competences],
            "n_items": self.n_items,
            "finished": self.finished,
            "stop_reason": self.stop_reason,
            "item_ids": list(self.item_ids),
            "responses": list(self.responses),
            "confidence": self.confidence,
            "covariance": [list(row) for row in self.covariance],
        }


def classify(p_target: float, confidence: float) -> str:
    """``"at_target"``, ``"below_target"`` or ``"undecided"`` for a probability."""
    if p_target >= confidence:
        return "at_target"
    if p_target <= 1.0 - confidence:
        return "below_target"
    return "undecided"


# ---------------------------------------------------------------------------------------
# The update
# ---------------------------------------------------------------------------------------


def _marginal_update(
    m: float | FloatArray,
    v: float | FloatArray,
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Moment-matched marginal after a right and after a wrong answer, per item.

    Returns ``(p1, m1, v1, m0, v0)``: the predictive probability of a right answer and
    the posterior mean and variance after a right (1) and a wrong (0) answer.
    """
    sd = np.sqrt(v)
    x = np.asarray(m)[..., None] + np.asarray(sd)[..., None] * _NODES  # (..., Q)
    z = a[..., None] * (x - b[..., None])
    p = c[..., None] + (1.0 - c[..., None]) / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))
    w1 = _WEIGHTS * p
    w0 = _WEIGHTS * (1.0 - p)
    s1 = w1.sum(axis=-1)
    s0 = w0.sum(axis=-1)
    m1 = (w1 * x).sum(axis=-1) / s1
    m0 = (w0 * x).sum(axis=-1) / s0
    v1 = np.maximum((w1 * x * x).sum(axis=-1) / s1 - m1 * m1, 1e-10)
    v0 = np.maximum((w0 * x * x).sum(axis=-1) / s0 - m0 * m0, 1e-10)
    return s1, m1, v1, m0, v0


def settle_with_answers(
    mean: float,
    sd: float,
    cut: float,
    answers: Iterable[tuple[int, float, float, float]],
) -> tuple[float, float, float]:
    """One competence's posterior after more answers, and the probability it is at target.

    Used when a short check settles what placement left undecided: the check's answers
    ``(score, a, b, c)`` update the placement posterior ``N(mean, sd**2)`` by the same
    moment matching. Returns ``(mean, sd, p_target)``.
    """
    m, v = float(mean), float(sd) ** 2
    if not (math.isfinite(m) and math.isfinite(v) and v > 0 and math.isfinite(cut)):
        raise ValueError("mean, sd and cut must be finite, sd > 0")
    for score, a, b, c in answers:
        if score not in (0, 1):
            raise ValueError("scores must be 0 or 1")
        _, m1, v1, m0, v0 = _marginal_update(
            m, v, np.asarray(a, float), np.asarray(b, float), np.asarray(c, float)
        )
        m, v = (float(m1), float(v1)) if score else (float(m0), float(v0))
    sd_new = math.sqrt(v)
    return m, sd_new, float(ndtr((m - cut) / sd_new))


# ---------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------


def _check_score(score: object) -> int:
    if isinstance(score, bool | np.bool_):
        return int(score)
    if isinstance(score, int | np.integer) and int(score) in (0, 1):
        return int(score)
    if isinstance(score, float | np.floating) and float(score) in (0.0, 1.0):
        return int(score)
    raise ValueError(f"score must be 0 or 1 (or a bool), got {score!r}")


class TargetSession:
    """One learner's placement against their targets.

    Create with :meth:`start`; alternate :meth:`next_item` and :meth:`answer` until
    :meth:`next_item` returns ``None``; keep :meth:`to_dict` between requests and resume
    with :meth:`from_dict` (the answers are replayed, so the state cannot drift).

    Examples
    --------
    >>> import numpy as np
    >>> comps = [f"{a}.{k}" for a in range(1, 4) for k in range(1, 3)]
    >>> rng = np.random.default_rng(0)
    >>> bank = ItemBank.create([f"q{i}" for i in range(60)], np.ones(60),
    ...                        rng.normal(0, 1, 60), np.zeros(60),
    ...                        [comps[i % 6] for i in range(60)], np.ones(60))
    >>> prior = CompetencePrior.for_bank(bank)
    >>> s = TargetSession.start(bank, prior, {c: 2 for c in comps}, {2: 0.5}, seed=1)
    >>> item = s.next_item()
    >>> s.answer(item, 1)
    >>> TargetSession.from_dict(bank, s.to_dict()).next_item() == s.next_item()
    True
    """

    def __init__(
        self,
        bank: ItemBank,
        prior: CompetencePrior,
        targets: Mapping[str, int],
        level_cuts: Mapping[int, float],
        *,
        config: TargetConfig,
        seed: int,
        excluded: Iterable[int] = (),
        blocked: Iterable[int] = (),
    ) -> None:
        if tuple(prior.codes) != tuple(bank.competence_codes):
            raise ValueError("the prior's competences differ from the bank's")
        k = bank.n_competences
        self.bank = bank
        self.prior = prior
        self._config = config
        self._seed = int(seed)
        self._targets = np.zeros(k, dtype=np.int64)
        for code, level in targets.items():
            if code not in bank.competence_codes:
                continue
            if isinstance(level, bool) or not isinstance(level, int | np.integer) or level < 0:
                raise ValueError(f"invalid target level {level!r} for {code}")
            self._targets[bank.competence_codes.index(code)] = int(level)
        self._level_cuts = {int(lv): float(x) for lv, x in level_cuts.items()}
        if not all(math.isfinite(x) for x in self._level_cuts.values()):
            raise ValueError("level cuts must be finite")
        missing = {int(t) for t in self._targets if t > 0} - set(self._level_cuts)
        if missing:
            raise ValueError(f"no cut for target level(s) {sorted(missing)}")
        self._cuts = np.array(
            [self._level_cuts[int(t)] if t > 0 else -np.inf for t in self._targets]
        )
        # Competences without a target are at target by definition: not measured.
        self._active = (self._targets > 0).astype(np.float64)
        self._cuts_safe = np.where(self._active > 0, self._cuts, 0.0)
        n = bank.n_items
        self._excluded = sorted(set(excluded))
        self._blocked = sorted(set(blocked))
        for name, idx in (("excluded", self._excluded), ("blocked", self._blocked)):
            if idx and (idx[0] < 0 or idx[-1] >= n):
                raise ValueError(f"{name} item index out of range")
        self._usable = np.ones(n, dtype=bool)
        self._usable[self._excluded] = False
        self._usable[self._blocked] = False
        self._usable &= self._active[bank.competence] > 0
        # A fixed, seeded tie-break: equal items are taken in a learner-specific order.
        self._jitter = np.random.default_rng([self._seed, 3]).random(n) * 1e-9
        self._mu = prior.mean.copy()
        self._cov = prior.cov
        self._items: list[int] = []
        self._responses: list[int] = []
        self._stop: str | None = None

    # -- construction -------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        bank: ItemBank,
        prior: CompetencePrior,
        targets: Mapping[str, int],
        level_cuts: Mapping[int, float],
        *,
        seed: int,
        config: TargetConfig | None = None,
        exclude: Iterable[str] = (),
        exposure_counts: Mapping[str, int] | None = None,
        exposure_sessions: int = 0,
    ) -> TargetSession:
        """Start a placement.

        Parameters
        ----------
        bank : ItemBank
        prior : CompetencePrior
            For the bank's competences, centred on the learner's role.
        targets : mapping of competence code to level
            The role's target level per competence (0 or absent: no target).
        level_cuts : mapping of level to float
            The cut score of each level (the standard in force).
        seed : int
        config : TargetConfig, optional
        exclude : iterable of str
            Items the learner has seen; never administered.
        exposure_counts, exposure_sessions
            Running exposure counts, as in :meth:`AdaptiveSession.start`.
        """
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError("seed must be a non-negative integer")
        cfg = config if config is not None else TargetConfig()
        if isinstance(exclude, str):
            raise ValueError("exclude must be an iterable of item ids, not a string")
        excluded = [bank.index_of[x] for x in exclude if x in bank.index_of]
        blocked: list[int] = []
        if exposure_counts is not None:
            if isinstance(exposure_sessions, bool) or exposure_sessions < 0:
                raise ValueError("exposure_sessions must be a non-negative integer")
            if exposure_sessions >= cfg.exposure_burn_in:
                limit = cfg.exposure_cap * (exposure_sessions + 1) - 1.0
                for item_id, count in exposure_counts.items():
                    if isinstance(count, bool) or not isinstance(count, int | np.integer):
                        raise ValueError(f"invalid exposure count {count!r} for {item_id!r}")
                    if not 0 <= count <= exposure_sessions:
                        raise ValueError(f"exposure count of {item_id!r} out of range")
                    if count > limit + 1e-9 and item_id in bank.index_of:
                        blocked.append(bank.index_of[item_id])
        return cls(
            bank, prior, targets, level_cuts, config=cfg, seed=int(seed),
            excluded=excluded, blocked=blocked,
        )  # fmt: skip

    # -- properties ---------------------------------------------------------------------

    @property
    def config(self) -> TargetConfig:
        return self._config

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def n_administered(self) -> int:
        return len(self._items)

    @property
    def pending_item(self) -> str | None:
        if len(self._items) > len(self._responses):
            return self.bank.ids[self._items[-1]]
        return None

    @property
    def administered_ids(self) -> tuple[str, ...]:
        return tuple(self.bank.ids[i] for i in self._items)

    @property
    def finished(self) -> bool:
        return self._stop is not None

    @property
    def stop_reason(self) -> str | None:
        return self._stop

    def p_target(self) -> FloatArray:
        """Posterior probability that each competence is at or above its target's cut
        (1.0 for competences without a target)."""
        sd = np.sqrt(np.diag(self._cov))
        p = ndtr((self._mu - self._cuts_safe) / sd)
        out: FloatArray = np.where(self._active > 0, p, 1.0)
        return out

    # -- the loop -------------------------------------------------------------------------

    def next_item(self) -> str | None:
        """The pending item, or the next one to administer (``None`` when finished)."""
        i = self.next_index()
        return None if i is None else self.bank.ids[i]

    def next_index(self) -> int | None:
        if len(self._items) > len(self._responses):
            return self._items[-1]
        if self._stop is not None:
            return None
        t = len(self._items)
        cfg = self._config
        if t >= cfg.max_length:
            self._stop = "max_length"
            return None
        conf = cfg.confidence
        p = self.p_target()
        undecided = (self._active > 0) & (p < conf) & (p > 1.0 - conf)
        if not undecided.any() and t >= cfg.min_length:
            self._stop = "decided"
            return None
        i, gain = self._select()
        if i is None:
            self._stop = "bank_exhausted"
            return None
        if gain < cfg.min_gain and t >= cfg.min_length:
            self._stop = "no_gain"
            return None
        self._usable[i] = False
        self._items.append(i)
        return i

    def answer(self, item_id: str, score: object) -> None:
        """Record the answer to the pending item."""
        pending = self.pending_item
        if pending is None:
            raise ValueError("no item is awaiting an answer")
        if item_id != pending:
            raise ValueError(
                f"answer to item {item_id!r}, but the administered item is {pending!r}"
            )
        self._record(self._items[-1], _check_score(score))

    def answer_index(self, index: int, score: object) -> None:
        """Like :meth:`answer` with the bank index of the item."""
        if len(self._items) == len(self._responses):
            raise ValueError("no item is awaiting an answer")
        if index != self._items[-1]:
            raise ValueError(
                f"answer to item index {index}, but the administered item is {self._items[-1]}"
            )
        self._record(index, _check_score(score))

    # -- internals ----------------------------------------------------------------------

    def _record(self, i: int, u: int) -> None:
        bank = self.bank
        k = int(bank.competence[i])
        m, v = float(self._mu[k]), float(self._cov[k, k])
        _, m1, v1, m0, v0 = _marginal_update(
            m, v, bank.a[i : i + 1], bank.b[i : i + 1], bank.c[i : i + 1]
        )
        m_new, v_new = (float(m1[0]), float(v1[0])) if u else (float(m0[0]), float(v0[0]))
        gain = self._cov[:, k] / v
        self._mu = self._mu + gain * (m_new - m)
        self._cov = self._cov - np.outer(gain, gain) * (v - v_new)
        self._cov = 0.5 * (self._cov + self._cov.T)
        self._responses.append(u)

    def _select(self) -> tuple[int | None, float]:
        bank = self.bank
        cand = np.flatnonzero(self._usable)
        if cand.size == 0:
            return None, 0.0
        comp = bank.competence[cand]
        mu, cov = self._mu, self._cov
        var = np.diag(cov)
        # Per item: the marginal of its competence after each answer.
        p1, m1, v1, m0, v0 = _marginal_update(
            mu[comp], var[comp], bank.a[cand], bank.b[cand], bank.c[cand]
        )
        g = cov[:, comp].T / var[comp][:, None]  # (n_cand, K) regression gains
        dm1 = (m1 - mu[comp])[:, None] * g
        dm0 = (m0 - mu[comp])[:, None] * g
        dv1 = (var[comp] - v1)[:, None] * g * g
        dv0 = (var[comp] - v0)[:, None] * g * g
        sd1 = np.sqrt(np.maximum(var - dv1, 1e-10))
        sd0 = np.sqrt(np.maximum(var - dv0, 1e-10))
        q1 = ndtr((mu + dm1 - self._cuts_safe) / sd1)
        q0 = ndtr((mu + dm0 - self._cuts_safe) / sd0)
        # The expected fall of sum_k p_k (1 - p_k) is the variance of the p_k over the
        # two answers (p is a martingale): smooth, never negative.
        gain = p1 * (1.0 - p1) * (((q1 - q0) ** 2) * self._active).sum(axis=1)
        gain = gain + self._jitter[cand]
        j = int(np.argmax(gain))
        return int(cand[j]), float(gain[j])

    # -- results --------------------------------------------------------------------------

    def result(self) -> TargetResult:
        """Every competence's posterior, its probability of being at target and the
        decision at the configured confidence."""
        bank = self.bank
        conf = self._config.confidence
        p = self.p_target()
        sd = np.sqrt(np.diag(self._cov))
        counts = np.bincount(
            bank.competence[self._items[: len(self._responses)]].astype(np.int64),
            minlength=bank.n_competences,
        )
        comps = []
        for k, code in enumerate(bank.competence_codes):
            active = self._active[k] > 0
            comps.append(
                TargetDecision(
                    index=k,
                    code=code,
                    area_code=bank.area_codes[int(bank.competence_area[k])],
                    target=int(self._targets[k]),
                    cut=float(self._cuts[k]) if active else float("-inf"),
                    theta=float(self._mu[k]),
                    se=float(sd[k]),
                    p_target=float(p[k]),
                    decision=classify(float(p[k]), conf) if active else "at_target",
                    n_items=int(counts[k]),
                )
            )
        return TargetResult(
            competences=tuple(comps),
            n_items=len(self._responses),
            finished=self.finished,
            stop_reason=self._stop,
            item_ids=tuple(bank.ids[i] for i in self._items[: len(self._responses)]),
            responses=tuple(self._responses),
            confidence=conf,
            covariance=tuple(tuple(round(float(x), 6) for x in row) for row in self._cov),
        )

    # -- JSON state -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The state as a plain JSON-able dict."""
        ids = self.bank.ids
        return {
            "engine": ENGINE,
            "version": _STATE_VERSION,
            "bank": self.bank.fingerprint,
            "seed": self._seed,
            "config": self._config.to_dict(),
            "prior": self.prior.to_dict(),
            "targets": {
                code: int(t)
                for code, t in zip(self.bank.competence_codes, self._targets, strict=True)
            },
            "cuts": {str(lv): x for lv, x in sorted(self._level_cuts.items())},
            "exclude": [ids[i] for i in self._excluded],
            "blocked": [ids[i] for i in self._blocked],
            "items": [ids[i] for i in self._items],
            "responses": list(self._responses),
            "stop": self._stop,
        }

    @classmethod
    def from_dict(cls, bank: ItemBank, data: Mapping[str, Any]) -> TargetSession:
        """Resume from :meth:`to_dict` output (the answers are replayed).

        Raises
        ------
        ValueError
            If the state is malformed, of another engine or version, or made with
            another bank.
        """
        if not isinstance(data, Mapping):
            raise ValueError("session state must be a JSON object")
        if data.get("engine") != ENGINE or data.get("version") != _STATE_VERSION:
            raise ValueError("not a placement-against-targets state of this version")
        if data.get("bank") != bank.fingerprint:
            raise ValueError("session state was created with a different item bank")
        try:
            index = bank.index_of
            items = [index[x] for x in data["items"]]
            responses = [_check_score(u) for u in data["responses"]]
            session = cls(
                bank,
                CompetencePrior.from_dict(data["prior"]),
                {str(k): int(v) for k, v in data["targets"].items()},
                {int(k): float(v) for k, v in data["cuts"].items()},
                config=TargetConfig.from_dict(data["config"]),
                seed=int(data["seed"]),
                excluded=[index[x] for x in data["exclude"]],
                blocked=[index[x] for x in data["blocked"]],
            )
            stop = data.get("stop")
        except KeyError as exc:
            raise ValueError(f"session state is missing or names an unknown item: {exc}") from exc
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"malformed session state: {exc}") from exc
        if not len(items) - 1 <= len(responses) <= len(items):
            raise ValueError("session state has inconsistent items and responses")
        if len(set(items)) != len(items):
            raise ValueError("session state repeats an item")
        for n, i in enumerate(items):
            if not session._usable[i]:
                raise ValueError(f"session state administers an excluded item {bank.ids[i]!r}")
            session._usable[i] = False
            session._items.append(i)
            if n < len(responses):
                session._record(i, responses[n])
        if stop is not None and not isinstance(stop, str):
            raise ValueError("malformed stop reason")
        session._stop = stop
        return session
