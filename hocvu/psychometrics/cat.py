"""Computerized adaptive testing (CAT) for the placement test.

The placement test measures a learner on a framework of areas (six) and competences
(24, coded ``"1.1"`` ... ``"6.3"``) and places them at one of four levels. This module
holds the adaptive engine:

* :class:`ItemBank` -- frozen arrays of item parameters built once and shared by every
  session, with the item information and log-probability tables precomputed on a
  quadrature grid.
* :class:`Blueprint` -- content constraints: minimum and maximum item counts per area
  and per competence.
* :class:`CATConfig` -- stopping rules (standard-error target, level decided with a stated
  confidence, minimum and maximum length), prior and cut scores.
* :class:`AdaptiveSession` -- one learner's test: ``next_item()`` / ``answer()``, a JSON
  state (``to_json()`` / ``from_json()``) so that any web request can resume any session,
  and :meth:`AdaptiveSession.result` with per-area ability, standard error and level and
  a per-competence level.
* :func:`calibrate_exposure` -- Sympson-Hetter exposure-control parameters by simulation.

Measurement model
-----------------
Each area has its own unidimensional 3PL scale (logistic metric, see
:mod:`hocvu.psychometrics.irt`) with a standard-normal prior, and its own grid posterior
(61 points on ``[-4, 4]`` by default) updated after every answer by adding a precomputed
row of ``log P`` or ``log (1 - P)``. The estimate is the posterior mean (EAP; Bock &
Mislevy, 1982) and its standard error the posterior standard deviation. A per-competence
scale is not estimated adaptively: 24 scales would each need about ten informative items
to reach a standard error of 0.3, four times the 60-item limit. Competence levels are
reported from a shrinkage posterior (see :meth:`AdaptiveSession.result`).

Item selection
--------------
1. *Area*: areas at their blueprint maximum or without items left are closed. When the
   remaining length only just covers the unmet blueprint minimums, only areas with an
   unmet minimum are open. Among open areas, those with an unmet minimum come first, then
   those whose stopping target is not yet met, then the largest posterior standard
   deviation -- the area whose ability most needs information.
2. *Item*: within the area, maximum Fisher information at the area's EAP (Lord, 1980),
   linearly interpolated between the two nearest grid rows of the precomputed table,
   multiplied by a competence priority index in the spirit of Cheng & Chang (2009):
   0 for competences at their maximum, ``1 + competence_boost`` for competences below
   their minimum, 1 otherwise; when the area's remaining slots only just cover the
   competence minimums, only competences below their minimum are eligible.
3. *Exposure*: Sympson-Hetter exposure control (Sympson & Hetter, 1985) in its
   item-eligibility form (van der Linden & Veldkamp, 2004): at the start of a session item
   ``i`` is eligible with probability ``K_i`` (the bank's ``exposure_k``), drawn from the
   session seed. ``K`` is set by :func:`calibrate_exposure` so that no item is
   administered to more than ``r_max`` of the simulated learners. On top of it, the
   running exposure counts passed at start give a hard ceiling: an item whose
   administration would lift its share of sessions above ``exposure_cap`` is blocked for
   the session, which holds whatever the real learner population is. Items listed in
   ``exclude`` (previous attempts) and items already given are never administered. If an
   area has no eligible item left, Sympson-Hetter-ineligible (never excluded or blocked)
   items are used and the session counts the relaxation.

References
----------
Birnbaum, A. (1968). Some latent trait models and their use in inferring an examinee's
ability. In F. M. Lord & M. R. Novick, *Statistical Theories of Mental Test Scores*.

Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a
microcomputer environment. *Applied Psychological Measurement*, 6(4), 431-444.

Cheng, Y., & Chang, H.-H. (2009). The maximum priority index method for severely
constrained item selection in computerized adaptive testing. *British Journal of
Mathematical and Statistical Psychology*, 62(2), 369-383.

Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for computerized
adaptive tests. *Applied Measurement in Education*, 2(4), 359-375.

Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*.
Erlbaum.

Sympson, J. B., & Hetter, R. D. (1985). Controlling item-exposure rates in computerized
adaptive testing. *Proceedings of the 27th Annual Meeting of the Military Testing
Association*, 973-977.

van der Linden, W. J., & Veldkamp, B. P. (2004). Constraining item exposure in
computerized adaptive testing with shadow tests. *Journal of Educational and Behavioral
Statistics*, 29(3), 273-291.

van der Linden, W. J., & Glas, C. A. W. (Eds.) (2010). *Elements of Adaptive Testing*.
Springer.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics.classification import (
    DEFAULT_CUTS,
    level_weights,
    validate_cuts,
)
from hocvu.psychometrics.irt import FloatArray, information, log_prob

__all__ = [
    "AdaptiveSession",
    "AreaEstimate",
    "Blueprint",
    "CATConfig",
    "CATResult",
    "CompetenceEstimate",
    "ItemBank",
    "StopReason",
    "calibrate_exposure",
    "simulate_session",
]

IntArray = NDArray[np.int64]

_STATE_VERSION = 1
_DEFAULT_GRID = np.linspace(-4.0, 4.0, 61)


def _natural_key(code: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.\-_ ]", code))


def _readonly(x: NDArray[Any]) -> NDArray[Any]:
    x.flags.writeable = False
    return x


def _as_1d(name: str, values: ArrayLike, dtype: type[np.generic]) -> NDArray[Any]:
    try:
        arr = np.array(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


# ---------------------------------------------------------------------------------------
# Item bank
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ItemBank:
    """Item parameters and precomputed tables shared by every adaptive session.

    Build it once (e.g. at process start or when the bank changes) with
    :meth:`create` and share it: it is immutable and holds no per-session state.

    Parameters
    ----------
    ids : tuple of str
        Unique item identifiers.
    a, b, c : ndarray of float, shape (n,)
        3PL discrimination (> 0), difficulty and lower asymptote (``0 <= c < 1``).
    area, competence : ndarray of int, shape (n,)
        Indices into ``area_codes`` and ``competence_codes``. Every competence belongs
        to exactly one area.
    level : ndarray of int, shape (n,)
        The framework level (1-4) the item was written for.
    area_codes, competence_codes : tuple of str
        Codes such as ``"1"`` and ``"1.1"``.
    exposure_k : ndarray of float, shape (n,), optional
        Sympson-Hetter eligibility probabilities in ``[0, 1]``; default all ones (no
        exposure control). See :func:`calibrate_exposure`.
    grid : ndarray of float, optional
        Equally spaced quadrature grid; default 61 points on ``[-4, 4]``.

    Raises
    ------
    ValueError
        On an empty bank, arrays of different lengths, duplicate ids, non-finite or
        out-of-range parameters, or inconsistent area/competence indices.
    """

    ids: tuple[str, ...]
    a: FloatArray
    b: FloatArray
    c: FloatArray
    area: IntArray
    competence: IntArray
    level: IntArray
    area_codes: tuple[str, ...]
    competence_codes: tuple[str, ...]
    exposure_k: FloatArray | None = None
    grid: FloatArray | None = None

    # Derived tables (filled in __post_init__).
    order: IntArray = field(init=False, repr=False)
    position: IntArray = field(init=False, repr=False)
    area_bounds: tuple[int, ...] = field(init=False, repr=False)
    competence_area: IntArray = field(init=False, repr=False)
    competence_sorted: IntArray = field(init=False, repr=False)
    info_table: FloatArray = field(init=False, repr=False)
    logp_table: FloatArray = field(init=False, repr=False)
    logq_table: FloatArray = field(init=False, repr=False)
    index_of: Mapping[str, int] = field(init=False, repr=False)
    fingerprint: str = field(init=False, repr=False)
    _cache: dict[Any, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        ids = tuple(self.ids)
        n = len(ids)
        if n == 0:
            raise ValueError("item bank is empty")
        if not all(isinstance(i, str) and i for i in ids):
            raise ValueError("item ids must be non-empty strings")
        if len(set(ids)) != n:
            raise ValueError("item ids must be unique")
        arrays: dict[str, NDArray[Any]] = {}
        for name in ("a", "b", "c"):
            arrays[name] = _as_1d(name, getattr(self, name), np.float64)
        for name in ("area", "competence", "level"):
            raw = _as_1d(name, getattr(self, name), np.float64)
            if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)):
                raise ValueError(f"{name} must hold integers")
            arrays[name] = raw.astype(np.int64)
        k = (
            np.ones(n)
            if self.exposure_k is None
            else _as_1d("exposure_k", self.exposure_k, np.float64)
        )
        arrays["exposure_k"] = k
        for name, arr in arrays.items():
            if arr.shape[0] != n:
                raise ValueError(
                    f"mismatched arrays: {name} has {arr.shape[0]} entries for {n} item ids"
                )
        for name in ("a", "b", "c", "exposure_k"):
            arr = arrays[name]
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                raise ValueError(f"{name} is not finite (NaN or inf) for item {ids[bad[0]]!r}")
        a, c = arrays["a"], arrays["c"]
        if np.any(a <= 0):
            raise ValueError(f"a must be positive (item {ids[int(np.argmin(a))]!r})")
        if np.any((c < 0) | (c >= 1)):
            raise ValueError("c must be in [0, 1)")
        if np.any((k < 0) | (k > 1)):
            raise ValueError("exposure_k must be in [0, 1]")
        if np.any(arrays["level"] < 1):
            raise ValueError("level must be >= 1")
        area_codes = tuple(self.area_codes)
        comp_codes = tuple(self.competence_codes)
        n_areas, n_comp = len(area_codes), len(comp_codes)
        if n_areas == 0 or n_comp == 0:
            raise ValueError("area_codes and competence_codes must not be empty")
        if len(set(area_codes)) != n_areas or len(set(comp_codes)) != n_comp:
            raise ValueError("area and competence codes must be unique")
        area, comp = arrays["area"], arrays["competence"]
        if area.min() < 0 or area.max() >= n_areas:
            raise ValueError("area index out of range of area_codes")
        if comp.min() < 0 or comp.max() >= n_comp:
            raise ValueError("competence index out of range of competence_codes")
        comp_area = np.full(n_comp, -1, dtype=np.int64)
        for ci, ai in zip(comp.tolist(), area.tolist(), strict=True):
            if comp_area[ci] == -1:
                comp_area[ci] = ai
            elif comp_area[ci] != ai:
                raise ValueError(
                    f"competence {comp_codes[ci]!r} is assigned to two areas "
                    f"({area_codes[comp_area[ci]]!r} and {area_codes[ai]!r})"
                )
        grid = _DEFAULT_GRID.copy() if self.grid is None else _as_1d("grid", self.grid, np.float64)
        steps = np.diff(grid)
        if (
            grid.size < 11
            or not np.all(np.isfinite(grid))
            or np.any(steps <= 0)
            or not np.allclose(steps, steps[0], rtol=1e-9, atol=1e-12)
        ):
            raise ValueError("grid must be equally spaced, increasing, with at least 11 points")

        b = arrays["b"]
        order = np.argsort(area, kind="stable").astype(np.int64)
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n, dtype=np.int64)
        bounds = np.searchsorted(area[order], np.arange(n_areas + 1)).tolist()
        info = np.ascontiguousarray(
            information(grid[:, None], a[order], b[order], c[order]), dtype=np.float64
        )
        lp, lq = log_prob(grid[None, :], a[:, None], b[:, None], c[:, None])
        digest = hashlib.sha256()
        digest.update("\x1f".join(ids).encode())
        digest.update("\x1e".join(area_codes + comp_codes).encode())
        for name in ("a", "b", "c", "area", "competence", "level"):
            digest.update(np.ascontiguousarray(arrays[name]).tobytes())
        digest.update(grid.tobytes())

        set_(self, "ids", ids)
        set_(self, "area_codes", area_codes)
        set_(self, "competence_codes", comp_codes)
        for name, arr in arrays.items():
            set_(self, name, _readonly(arr))
        set_(self, "grid", _readonly(grid))
        set_(self, "order", _readonly(order))
        set_(self, "position", _readonly(position))
        set_(self, "area_bounds", tuple(int(x) for x in bounds))
        set_(self, "competence_area", _readonly(comp_area))
        set_(self, "competence_sorted", _readonly(comp[order].copy()))
        set_(self, "info_table", _readonly(info))
        set_(self, "logp_table", _readonly(np.ascontiguousarray(lp)))
        set_(self, "logq_table", _readonly(np.ascontiguousarray(lq)))
        set_(self, "index_of", {item_id: i for i, item_id in enumerate(ids)})
        set_(self, "fingerprint", digest.hexdigest()[:32])
        set_(self, "_cache", {})

    @classmethod
    def create(
        cls,
        ids: Sequence[str],
        a: ArrayLike,
        b: ArrayLike,
        c: ArrayLike,
        competence: Sequence[str],
        level: ArrayLike,
        *,
        area: Sequence[str] | None = None,
        exposure_k: ArrayLike | None = None,
        grid: ArrayLike | None = None,
    ) -> ItemBank:
        """Build a bank from per-item codes.

        Parameters
        ----------
        ids : sequence of str
        a, b, c : array_like
            3PL parameters (use ``c = 0`` for 2PL items).
        competence : sequence of str
            Competence code per item, e.g. ``"2.3"``.
        level : array_like of int
            Framework level per item.
        area : sequence of str, optional
            Area code per item; by default the part of the competence code before the
            first dot (``"2.3"`` -> ``"2"``).
        exposure_k : array_like, optional
            Sympson-Hetter eligibility probabilities.
        grid : array_like, optional
            Quadrature grid.

        Returns
        -------
        ItemBank
        """
        comp = [str(x) for x in competence]
        areas = [x.split(".", 1)[0] for x in comp] if area is None else [str(x) for x in area]
        if len(areas) != len(comp):
            raise ValueError("mismatched arrays: area and competence differ in length")
        area_codes = tuple(sorted(set(areas), key=_natural_key))
        comp_codes = tuple(sorted(set(comp), key=_natural_key))
        a_index = {code: i for i, code in enumerate(area_codes)}
        c_index = {code: i for i, code in enumerate(comp_codes)}
        return cls(
            ids=tuple(ids),
            a=np.asarray(a, dtype=np.float64),
            b=np.asarray(b, dtype=np.float64),
            c=np.asarray(c, dtype=np.float64),
            area=np.array([a_index[x] for x in areas], dtype=np.int64),
            competence=np.array([c_index[x] for x in comp], dtype=np.int64),
            level=np.asarray(level),
            area_codes=area_codes,
            competence_codes=comp_codes,
            exposure_k=None if exposure_k is None else np.asarray(exposure_k, dtype=np.float64),
            grid=None if grid is None else np.asarray(grid, dtype=np.float64),
        )

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.ids)

    @property
    def n_areas(self) -> int:
        """Number of areas."""
        return len(self.area_codes)

    @property
    def n_competences(self) -> int:
        """Number of competences."""
        return len(self.competence_codes)

    @property
    def theta_grid(self) -> FloatArray:
        """The quadrature grid (never ``None`` after construction)."""
        assert self.grid is not None
        return self.grid

    @property
    def k(self) -> FloatArray:
        """Exposure-control eligibility probabilities (never ``None`` after construction)."""
        assert self.exposure_k is not None
        return self.exposure_k

    def with_exposure(self, exposure_k: ArrayLike) -> ItemBank:
        """Return a copy of the bank with new Sympson-Hetter parameters."""
        return replace(self, exposure_k=np.asarray(exposure_k, dtype=np.float64))

    def competence_counts(self) -> IntArray:
        """Number of items per competence."""
        out: IntArray = np.bincount(self.competence, minlength=self.n_competences).astype(np.int64)
        return out

    def _level_weights(self, cuts: tuple[float, ...]) -> FloatArray:
        key = ("lw", cuts)
        w = self._cache.get(key)
        if w is None:
            w = _readonly(level_weights(self.theta_grid, cuts))
            self._cache[key] = w
        out: FloatArray = w
        return out

    def _moment_matrix(self, cuts: tuple[float, ...]) -> FloatArray:
        key = ("moments", cuts)
        w = self._cache.get(key)
        if w is None:
            g = self.theta_grid
            w = np.column_stack((np.ones_like(g), g, g * g, self._level_weights(cuts)))
            w = _readonly(np.ascontiguousarray(w))
            self._cache[key] = w
        out: FloatArray = w
        return out

    def _area_competences(self) -> tuple[tuple[int, ...], ...]:
        key = "area_competences"
        if key not in self._cache:
            self._cache[key] = tuple(
                tuple(np.flatnonzero(self.competence_area == i).tolist())
                for i in range(self.n_areas)
            )
        out: tuple[tuple[int, ...], ...] = self._cache[key]
        return out

    def _validated(self, blueprint: Blueprint, max_length: int) -> None:
        key = ("blueprint", blueprint, max_length)
        if key not in self._cache:
            blueprint.validate(self, max_length)
            self._cache[key] = True

    def _kernel(self, sd: float) -> FloatArray:
        key = ("kernel", sd)
        w = self._cache.get(key)
        if w is None:
            g = self.theta_grid
            w = _readonly(np.exp(-0.5 * ((g[:, None] - g[None, :]) / sd) ** 2))
            self._cache[key] = w
        out: FloatArray = w
        return out


# ---------------------------------------------------------------------------------------
# Blueprint and configuration
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blueprint:
    """Content constraints: item-count bounds per area and per competence.

    Parameters
    ----------
    area_min, area_max : tuple of int
        Bounds on the number of items per area (indexed like ``bank.area_codes``).
    competence_min, competence_max : tuple of int
        Bounds per competence (indexed like ``bank.competence_codes``).

    Notes
    -----
    Minimums are *hard*: the test does not stop on precision until they are met, and
    when the remaining length only just covers them, only the areas/competences that
    still need items are eligible. Maximums are hard caps. Target proportions can be
    turned into bounds with :meth:`from_proportions`.
    """

    area_min: tuple[int, ...]
    area_max: tuple[int, ...]
    competence_min: tuple[int, ...]
    competence_max: tuple[int, ...]

    @classmethod
    def balanced(
        cls,
        bank: ItemBank,
        *,
        min_per_area: int = 0,
        max_per_area: int | None = None,
        min_per_competence: int = 0,
        max_per_competence: int | None = None,
    ) -> Blueprint:
        """The same bounds for every area and every competence (``None`` = no maximum)."""
        big = 10**6
        return cls(
            area_min=(min_per_area,) * bank.n_areas,
            area_max=(big if max_per_area is None else max_per_area,) * bank.n_areas,
            competence_min=(min_per_competence,) * bank.n_competences,
            competence_max=(big if max_per_competence is None else max_per_competence,)
            * bank.n_competences,
        )

    @classmethod
    def from_proportions(
        cls, bank: ItemBank, proportions: Mapping[str, float], length: int, slack: int = 1
    ) -> Blueprint:
        """Area bounds from target proportions of a test of ``length`` items.

        Area ``a`` gets ``floor(p_a * length) - slack`` to ``ceil(p_a * length) + slack``
        items (clipped at zero); competences are unconstrained.
        """
        missing = set(bank.area_codes) - set(proportions)
        if missing:
            raise ValueError(f"proportions missing for areas {sorted(missing)}")
        total = sum(proportions[c] for c in bank.area_codes)
        if total <= 0 or any(proportions[c] < 0 for c in bank.area_codes):
            raise ValueError("proportions must be non-negative with a positive sum")
        lo, hi = [], []
        for code in bank.area_codes:
            x = proportions[code] / total * length
            lo.append(max(0, math.floor(x) - slack))
            hi.append(math.ceil(x) + slack if proportions[code] > 0 else 0)
        big = 10**6
        return cls(
            area_min=tuple(lo),
            area_max=tuple(hi),
            competence_min=(0,) * bank.n_competences,
            competence_max=(big,) * bank.n_competences,
        )

    def validate(self, bank: ItemBank, max_length: int) -> None:
        """Check the blueprint against a bank and a maximum test length.

        Raises
        ------
        ValueError
            If lengths do not match the bank, a minimum exceeds its maximum or the items
            available, or the minimums cannot fit in ``max_length`` items.
        """
        if len(self.area_min) != bank.n_areas or len(self.area_max) != bank.n_areas:
            raise ValueError("blueprint area bounds do not match the bank's areas")
        if (
            len(self.competence_min) != bank.n_competences
            or len(self.competence_max) != bank.n_competences
        ):
            raise ValueError("blueprint competence bounds do not match the bank's competences")
        bounds = (
            *zip(self.area_min, self.area_max, strict=True),
            *zip(self.competence_min, self.competence_max, strict=True),
        )
        for lo, hi in bounds:
            if not (isinstance(lo, int) and isinstance(hi, int)) or lo < 0 or hi < lo:
                raise ValueError("blueprint bounds must be integers with 0 <= min <= max")
        counts = bank.competence_counts()
        for k, lo in enumerate(self.competence_min):
            if lo > counts[k]:
                raise ValueError(
                    f"competence {bank.competence_codes[k]!r} needs {lo} items "
                    f"but the bank has {counts[k]}"
                )
        need = sum(self.effective_area_min(bank))
        if need > max_length:
            raise ValueError(
                f"blueprint minimums need {need} items, more than max_length={max_length}"
            )

    def effective_area_min(self, bank: ItemBank) -> list[int]:
        """Per-area minimum implied by the area and competence minimums."""
        comp_need = [0] * bank.n_areas
        for k, lo in enumerate(self.competence_min):
            comp_need[int(bank.competence_area[k])] += lo
        return [max(x, y) for x, y in zip(self.area_min, comp_need, strict=True)]

    def to_dict(self, bank: ItemBank) -> dict[str, Any]:
        """JSON-able form keyed by area and competence codes."""
        return {
            "areas": {
                code: [self.area_min[i], self.area_max[i]] for i, code in enumerate(bank.area_codes)
            },
            "competences": {
                code: [self.competence_min[i], self.competence_max[i]]
                for i, code in enumerate(bank.competence_codes)
            },
        }

    @classmethod
    def from_dict(cls, bank: ItemBank, data: Mapping[str, Any]) -> Blueprint:
        """Inverse of :meth:`to_dict`; codes absent from ``data`` are unconstrained."""
        big = 10**6
        try:
            areas = data.get("areas", {})
            comps = data.get("competences", {})
            a_b = [tuple(int(v) for v in areas.get(code, (0, big))) for code in bank.area_codes]
            c_b = [
                tuple(int(v) for v in comps.get(code, (0, big))) for code in bank.competence_codes
            ]
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"invalid blueprint: {exc}") from exc
        if any(len(t) != 2 for t in a_b + c_b):
            raise ValueError("invalid blueprint: each bound must be [min, max]")
        return cls(
            area_min=tuple(t[0] for t in a_b),
            area_max=tuple(t[1] for t in a_b),
            competence_min=tuple(t[0] for t in c_b),
            competence_max=tuple(t[1] for t in c_b),
        )


@dataclass(frozen=True)
class CATConfig:
    """Stopping rules, prior and level cuts of an adaptive test.

    Parameters
    ----------
    max_length : int
        Hard maximum number of items (60 for the placement test).
    min_length : int
        No precision-based stop before this many items.
    se_target : float or None
        An area is measured precisely enough once its posterior SD is at most this;
        ``None`` disables the rule.
    level_confidence : float or None
        An area's level is decided once one level has posterior probability at least
        this (see :mod:`hocvu.psychometrics.classification`); ``None`` disables the rule.
        With both rules disabled the test has fixed length ``max_length``.
    cuts : tuple of float
        Cut scores between the levels.
    prior_mean, prior_sd : float
        Normal prior of every area's ability.
    competence_boost : float
        Priority bonus of competences below their blueprint minimum.
    competence_sd : float
        Assumed SD of a competence's ability around its area's ability, used only to
        report competence levels.
    exposure_cap : float
        Hard ceiling on the share of sessions that may show any one item, enforced from
        the observed exposure counts passed to :meth:`AdaptiveSession.start`: an item is
        not administered if giving it would lift its share above the cap.
    exposure_burn_in : int
        The ceiling applies once at least this many sessions were counted (before that,
        Sympson-Hetter eligibility alone controls exposure).

    The test stops when (a) ``max_length`` items were given, or (b) at least
    ``min_length`` items were given, the blueprint minimums are met, and every area
    reached its SE target or has a decided level (or can take no more items), or (c) no
    eligible item is left.
    """

    max_length: int = 60
    min_length: int = 6
    se_target: float | None = 0.3
    level_confidence: float | None = 0.9
    cuts: tuple[float, ...] = DEFAULT_CUTS
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    competence_boost: float = 1.0
    competence_sd: float = 0.5
    exposure_cap: float = 0.25
    exposure_burn_in: int = 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "cuts", validate_cuts(self.cuts))
        if not (isinstance(self.max_length, int) and self.max_length >= 1):
            raise ValueError("max_length must be a positive integer")
        if not (isinstance(self.min_length, int) and 0 <= self.min_length <= self.max_length):
            raise ValueError("min_length must be an integer in [0, max_length]")
        if self.se_target is not None and not (
            math.isfinite(self.se_target) and self.se_target > 0
        ):
            raise ValueError("se_target must be positive")
        if self.level_confidence is not None and not 0.5 < self.level_confidence < 1.0:
            raise ValueError("level_confidence must be in (0.5, 1)")
        if not (math.isfinite(self.prior_mean) and math.isfinite(self.prior_sd)):
            raise ValueError("prior must be finite")
        if self.prior_sd <= 0 or self.competence_sd <= 0:
            raise ValueError("prior_sd and competence_sd must be positive")
        if not (math.isfinite(self.competence_boost) and self.competence_boost >= 0):
            raise ValueError("competence_boost must be >= 0")
        if not 0 < self.exposure_cap <= 1:
            raise ValueError("exposure_cap must be in (0, 1]")
        if not (isinstance(self.exposure_burn_in, int) and self.exposure_burn_in >= 0):
            raise ValueError("exposure_burn_in must be a non-negative integer")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "max_length": self.max_length,
            "min_length": self.min_length,
            "se_target": self.se_target,
            "level_confidence": self.level_confidence,
            "cuts": list(self.cuts),
            "prior_mean": self.prior_mean,
            "prior_sd": self.prior_sd,
            "competence_boost": self.competence_boost,
            "competence_sd": self.competence_sd,
            "exposure_cap": self.exposure_cap,
            "exposure_burn_in": self.exposure_burn_in,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CATConfig:
        """Inverse of :meth:`to_dict`."""
        try:
            kwargs = dict(data)
            if "cuts" in kwargs:
                kwargs["cuts"] = tuple(float(x) for x in kwargs["cuts"])
            return cls(**kwargs)
        except TypeError as exc:
            raise ValueError(f"invalid CAT configuration: {exc}") from exc


class StopReason(enum.StrEnum):
    """Why an adaptive test ended."""

    MAX_LENGTH = "max_length"
    """The maximum number of items was reached."""
    SE_TARGET = "se_target"
    """Every area reached the standard-error target."""
    LEVEL_DECIDED = "level_decided"
    """Every area's level was decided with the stated confidence."""
    PRECISION = "precision"
    """Every area reached the SE target or a decided level (some one, some the other)."""
    LIMITS = "limits"
    """The remaining areas can take no more items (blueprint maximum or no items left)."""
    BANK_EXHAUSTED = "bank_exhausted"
    """No administrable item is left."""


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaEstimate:
    """Ability estimate of one area."""

    index: int
    code: str
    theta: float
    se: float
    n_items: int
    level: int
    level_probability: float
    level_decided: bool
    level_probabilities: tuple[float, ...]


@dataclass(frozen=True)
class CompetenceEstimate:
    """Level of one competence.

    ``source`` is ``"items"`` when items of the competence were answered (the estimate
    combines them with the rest of the area, see :meth:`AdaptiveSession.result`) and
    ``"area"`` when the level is inherited from the area.
    """

    index: int
    code: str
    area_code: str
    n_items: int
    theta: float
    se: float
    level: int
    level_probability: float
    source: str


@dataclass(frozen=True)
class CATResult:
    """Outcome of an adaptive session (possibly still running)."""

    areas: tuple[AreaEstimate, ...]
    competences: tuple[CompetenceEstimate, ...]
    n_items: int
    finished: bool
    stop_reason: str | None
    item_ids: tuple[str, ...]
    responses: tuple[int, ...]
    exposure_relaxed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "areas": [
                vars(x) | {"level_probabilities": list(x.level_probabilities)} for x in self.areas
            ],
            "competences": [vars(x).copy() for x in self.competences],
            "n_items": self.n_items,
            "finished": self.finished,
            "stop_reason": self.stop_reason,
            "item_ids": list(self.item_ids),
            "responses": list(self.responses),
            "exposure_relaxed": self.exposure_relaxed,
        }


# ---------------------------------------------------------------------------------------
# Session
# ---------------------------------------------------------------------------------------


def _check_score(score: object) -> int:
    if isinstance(score, bool | np.bool_):
        return int(score)
    if isinstance(score, int | np.integer) and int(score) in (0, 1):
        return int(score)
    if isinstance(score, float | np.floating) and float(score) in (0.0, 1.0):
        return int(score)
    raise ValueError(f"score must be 0 or 1 (or a bool), got {score!r}")


class AdaptiveSession:
    """One learner's adaptive placement test.

    Create with :meth:`start`, then alternate :meth:`next_item` and :meth:`answer` until
    :meth:`next_item` returns ``None``. Between web requests keep :meth:`to_json` and
    resume with :meth:`from_json`; the continuation is identical.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> comps = [f"{a}.{k}" for a in range(1, 7) for k in range(1, 5)]
    >>> comp = [comps[i % 24] for i in range(480)]
    >>> bank = ItemBank.create([f"q{i}" for i in range(480)], rng.uniform(0.8, 2, 480),
    ...                        rng.normal(0, 1, 480), np.zeros(480), comp, np.ones(480))
    >>> s = AdaptiveSession.start(bank, seed=7)
    >>> item = s.next_item()
    >>> s.answer(item, 1)
    >>> s2 = AdaptiveSession.from_json(bank, s.to_json())
    >>> s2.next_item() == s.next_item()
    True
    """

    __slots__ = (
        "_area_def",
        "_avail",
        "_blocked",
        "_buf",
        "_comp_def",
        "_comp_ll",
        "_competence_ids",
        "_config",
        "_counts_area",
        "_counts_comp",
        "_decided",
        "_excluded",
        "_ineligible",
        "_items",
        "_left_area",
        "_left_comp",
        "_logpost",
        "_logprior",
        "_lw",
        "_mean",
        "_moments",
        "_relaxed",
        "_responses",
        "_sc1",
        "_sc2",
        "_sd",
        "_seed",
        "_stop",
        "_top_prob",
        "_total_def",
        "_usable",
        "bank",
        "blueprint",
    )

    def __init__(
        self,
        bank: ItemBank,
        *,
        config: CATConfig,
        blueprint: Blueprint,
        seed: int,
        excluded: Iterable[int],
        ineligible: Iterable[int],
        blocked: Iterable[int],
    ) -> None:
        # Low-level constructor: use start() or from_json().
        bank._validated(blueprint, config.max_length)
        self.bank = bank
        self.blueprint = blueprint
        self._config = config
        self._seed = int(seed)
        n, g = bank.n_items, bank.theta_grid.size
        self._excluded = sorted(set(excluded))
        self._ineligible = sorted(set(ineligible))
        self._blocked = sorted(set(blocked))
        for name, idx in (
            ("excluded", self._excluded),
            ("ineligible", self._ineligible),
            ("blocked", self._blocked),
        ):
            if idx and (idx[0] < 0 or idx[-1] >= n):
                raise ValueError(f"{name} item index out of range")
        pos = bank.position
        self._usable = np.ones(n)
        self._usable[pos[self._excluded]] = 0.0
        self._usable[pos[self._blocked]] = 0.0
        self._avail = self._usable.copy()
        self._avail[pos[self._ineligible]] = 0.0
        grid = bank.theta_grid
        self._logprior = -0.5 * ((grid - config.prior_mean) / config.prior_sd) ** 2
        self._logpost = np.tile(self._logprior, (bank.n_areas, 1))
        self._comp_ll = np.zeros((bank.n_competences, g))
        self._lw = bank._level_weights(config.cuts)
        self._moments = bank._moment_matrix(config.cuts)
        self._buf = np.empty(g)
        widest = max(
            (bank.area_bounds[i + 1] - bank.area_bounds[i] for i in range(bank.n_areas)),
            default=1,
        )
        self._sc1 = np.empty(max(widest, 1))
        self._sc2 = np.empty(max(widest, 1))
        self._items: list[int] = []
        self._responses: list[int] = []
        self._counts_area = [0] * bank.n_areas
        self._counts_comp = [0] * bank.n_competences
        self._left_area: list[int] = np.bincount(
            bank.area[self._usable[pos] > 0], minlength=bank.n_areas
        ).tolist()
        self._left_comp: list[int] = np.bincount(
            bank.competence[self._usable[pos] > 0], minlength=bank.n_competences
        ).tolist()
        self._mean = [0.0] * bank.n_areas
        self._sd = [0.0] * bank.n_areas
        self._top_prob = [0.0] * bank.n_areas
        self._decided: list[int | None] = [None] * bank.n_areas
        self._competence_ids = bank._area_competences()
        self._comp_def = [self._deficit_of_competence(k) for k in range(bank.n_competences)]
        self._area_def = [self._deficit_of_area(a) for a in range(bank.n_areas)]
        self._total_def = sum(self._area_def)
        self._relaxed = 0
        self._stop: StopReason | None = None
        self._refresh(0)
        for area in range(1, bank.n_areas):
            self._mean[area] = self._mean[0]
            self._sd[area] = self._sd[0]
            self._top_prob[area] = self._top_prob[0]
            self._decided[area] = self._decided[0]

    # -- construction -------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        bank: ItemBank,
        *,
        seed: int,
        config: CATConfig | None = None,
        blueprint: Blueprint | None = None,
        exclude: Iterable[str] = (),
        exposure_counts: Mapping[str, int] | None = None,
        exposure_sessions: int = 0,
    ) -> AdaptiveSession:
        """Start a new session.

        Parameters
        ----------
        bank : ItemBank
        seed : int
            Seeds the Sympson-Hetter eligibility draw; the same seed and answers replay
            the same test.
        config : CATConfig, optional
        blueprint : Blueprint, optional
            Default: no constraints beyond ``config.max_length``.
        exclude : iterable of str
            Item ids the learner has already seen (earlier attempts); never
            administered. Ids unknown to the bank (retired items) are ignored.
        exposure_counts : mapping of str to int, optional
            How many earlier sessions administered each item (absent ids count 0).
        exposure_sessions : int
            How many sessions those counts cover. Once it reaches
            ``config.exposure_burn_in``, item ``i`` is blocked for this session when
            ``(count_i + 1) / (exposure_sessions + 1) > config.exposure_cap``. Fed with the
            running counts, this keeps every item's exposure rate at or below the cap
            (after the burn-in sessions have drained) whatever the learner population.

        Returns
        -------
        AdaptiveSession
        """
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError("seed must be a non-negative integer")
        cfg = config if config is not None else CATConfig()
        bp = blueprint if blueprint is not None else Blueprint.balanced(bank)
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
        u = np.random.default_rng(int(seed)).random(bank.n_items)
        ineligible = np.flatnonzero(u >= bank.k).tolist()
        return cls(
            bank,
            config=cfg,
            blueprint=bp,
            seed=int(seed),
            excluded=excluded,
            ineligible=ineligible,
            blocked=blocked,
        )

    # -- properties ---------------------------------------------------------------------

    @property
    def config(self) -> CATConfig:
        """The session's configuration."""
        return self._config

    @property
    def seed(self) -> int:
        """The session seed."""
        return self._seed

    @property
    def n_administered(self) -> int:
        """Items administered so far (including one awaiting its answer)."""
        return len(self._items)

    @property
    def pending_item(self) -> str | None:
        """The id of the item awaiting an answer, if any."""
        if len(self._items) > len(self._responses):
            return self.bank.ids[self._items[-1]]
        return None

    @property
    def administered_ids(self) -> tuple[str, ...]:
        """Ids of the items administered so far, in order."""
        ids = self.bank.ids
        return tuple(ids[i] for i in self._items)

    @property
    def responses(self) -> tuple[int, ...]:
        """Scored answers so far."""
        return tuple(self._responses)

    @property
    def stop_reason(self) -> StopReason | None:
        """Why the test ended, or ``None`` while running."""
        return self._stop

    @property
    def finished(self) -> bool:
        """Whether the test has ended (evaluates the stopping rules)."""
        if self._stop is None and self.pending_item is None:
            self._stop = self._check_stop()
        return self._stop is not None

    def theta(self, area: int) -> tuple[float, float]:
        """EAP and posterior SD of an area (by index)."""
        return self._mean[area], self._sd[area]

    # -- the adaptive step ---------------------------------------------------------------

    def next_item(self) -> str | None:
        """Select the next item, or return ``None`` when the test has ended.

        Calling it again before answering returns the same pending item.
        """
        i = self.next_index()
        return None if i is None else self.bank.ids[i]

    def next_index(self) -> int | None:
        """Like :meth:`next_item` but returns the bank index."""
        if len(self._items) > len(self._responses):
            return self._items[-1]
        if self._stop is not None:
            return None
        stop = self._check_stop()
        if stop is not None:
            self._stop = stop
            return None
        i = self._select()
        if i is None:
            self._stop = StopReason.BANK_EXHAUSTED
            return None
        self._administer(i)
        return i

    def answer(self, item_id: str, score: object) -> None:
        """Record the answer to the pending item.

        Parameters
        ----------
        item_id : str
            Must be the item returned by the last :meth:`next_item`.
        score : bool or {0, 1}

        Raises
        ------
        ValueError
            If no item is pending, ``item_id`` is not the pending item, or the score is
            not 0/1.
        """
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

    def _administer(self, i: int) -> None:
        bank = self.bank
        p = bank.position[i]
        self._avail[p] = 0.0
        self._usable[p] = 0.0
        a = int(bank.area[i])
        k = int(bank.competence[i])
        self._counts_area[a] += 1
        self._counts_comp[k] += 1
        self._left_area[a] -= 1
        self._left_comp[k] -= 1
        self._comp_def[k] = self._deficit_of_competence(k)
        self._total_def -= self._area_def[a]
        self._area_def[a] = self._deficit_of_area(a)
        self._total_def += self._area_def[a]
        self._items.append(i)

    def _record(self, i: int, u: int) -> None:
        bank = self.bank
        row = bank.logp_table[i] if u else bank.logq_table[i]
        a = int(bank.area[i])
        lp = self._logpost[a]
        lp += row
        lp -= lp.max()
        self._comp_ll[int(bank.competence[i])] += row
        self._responses.append(u)
        self._refresh(a)

    def _refresh(self, a: int) -> None:
        w = self._buf
        np.exp(self._logpost[a], out=w)
        # One product gives the mass, the first two moments and the level masses.
        s, s1, s2, *mass = w.dot(self._moments).tolist()
        m = s1 / s
        self._mean[a] = m
        self._sd[a] = math.sqrt(max(s2 / s - m * m, 0.0))
        top_mass = max(mass)
        top = mass.index(top_mass)
        p = top_mass / s
        self._top_prob[a] = p
        conf = self._config.level_confidence
        self._decided[a] = top + 1 if conf is not None and p >= conf else None

    def _deficit_of_competence(self, k: int) -> int:
        lo = self.blueprint.competence_min[k]
        return min(max(0, lo - self._counts_comp[k]), self._left_comp[k])

    def _deficit_of_area(self, a: int) -> int:
        own = min(max(0, self.blueprint.area_min[a] - self._counts_area[a]), self._left_area[a])
        from_comp = sum(self._comp_def[k] for k in self._competence_ids[a])
        return max(own, from_comp)

    def _area_open(self, a: int) -> bool:
        return self._left_area[a] > 0 and self._counts_area[a] < self.blueprint.area_max[a]

    def _satisfied(self, a: int) -> str | None:
        cfg = self._config
        if cfg.se_target is not None and self._sd[a] <= cfg.se_target:
            return "se"
        if self._decided[a] is not None:
            return "level"
        return None

    def _check_stop(self) -> StopReason | None:
        cfg = self._config
        t = len(self._items)
        if t >= cfg.max_length:
            return StopReason.MAX_LENGTH
        if not any(self._left_area):
            return StopReason.BANK_EXHAUSTED
        if t < cfg.min_length:
            return None
        if self._total_def > 0:
            return None
        kinds = set()
        for a in range(self.bank.n_areas):
            how = self._satisfied(a)
            if how is None:
                if self._area_open(a):
                    return None
                how = "limits"
            kinds.add(how)
        if kinds == {"se"}:
            return StopReason.SE_TARGET
        if kinds == {"level"}:
            return StopReason.LEVEL_DECIDED
        if "limits" in kinds:
            return StopReason.LIMITS
        return StopReason.PRECISION

    def _select(self) -> int | None:
        bank = self.bank
        remaining = self._config.max_length - len(self._items)
        area_def, comp_def = self._area_def, self._comp_def
        forced = self._total_def >= remaining
        candidates = []
        for a in range(bank.n_areas):
            if not self._area_open(a) or (forced and area_def[a] == 0):
                continue
            unmet = 0 if area_def[a] > 0 else 1
            done = 0 if self._satisfied(a) is None else 1
            candidates.append((unmet, done, -self._sd[a], a))
        candidates.sort()
        for *_, a in candidates:
            i = self._select_in_area(a, remaining, area_def[a], comp_def, forced)
            if i is not None:
                return i
        return None

    def _select_in_area(
        self, a: int, remaining: int, area_def: int, comp_def: list[int], forced: bool
    ) -> int | None:
        bank = self.bank
        bp = self.blueprint
        comps = self._competence_ids[a]
        slots = min(bp.area_max[a] - self._counts_area[a], remaining)
        comp_need = sum(comp_def[k] for k in comps)
        only_deficit = comp_need > 0 and (comp_need >= slots or (forced and comp_need >= area_def))
        factors: NDArray[np.float64] | None = None
        boost = 1.0 + self._config.competence_boost
        for k in comps:
            if self._counts_comp[k] >= bp.competence_max[k]:
                f = 0.0
            elif comp_def[k] > 0:
                f = boost
            else:
                f = 0.0 if only_deficit else 1.0
            if f != 1.0:
                if factors is None:
                    factors = np.ones(bank.n_competences)
                factors[k] = f

        s, e = bank.area_bounds[a], bank.area_bounds[a + 1]
        m = e - s
        grid = bank.theta_grid
        h = float(grid[1] - grid[0])
        x = (self._mean[a] - float(grid[0])) / h
        gi = min(max(int(x), 0), grid.size - 2)
        t = min(max(x - gi, 0.0), 1.0)
        info = self._sc1[:m]
        tmp = self._sc2[:m]
        table = bank.info_table
        np.multiply(table[gi, s:e], 1.0 - t, out=info)
        np.multiply(table[gi + 1, s:e], t, out=tmp)
        info += tmp
        gather = None if factors is None else factors[bank.competence_sorted[s:e]]
        for mask, relaxed in ((self._avail, False), (self._usable, True)):
            np.multiply(info, mask[s:e], out=tmp)
            if gather is not None:
                tmp *= gather
            j = int(tmp.argmax())
            if tmp[j] > 0.0:
                if relaxed:
                    self._relaxed += 1
                return int(bank.order[s + j])
        return None

    # -- results --------------------------------------------------------------------------

    def result(self) -> CATResult:
        """Per-area ability, SE and level, and a level for every competence.

        Notes
        -----
        For a competence whose items were answered, its ability ``theta_k`` is modelled
        as ``theta_area + e`` with ``e ~ N(0, competence_sd**2)``: the posterior of
        ``theta_area`` from the *other* items of the area, convolved with that normal,
        is the prior of ``theta_k``, which is then updated with the competence's own
        answers (all on the grid). Competences without answered items inherit the
        area's estimate and level.
        """
        bank = self.bank
        cfg = self._config
        grid = bank.theta_grid
        areas = []
        n_area_answered = [0] * bank.n_areas
        n_comp_answered = [0] * bank.n_competences
        for i in self._items[: len(self._responses)]:
            n_area_answered[int(bank.area[i])] += 1
            n_comp_answered[int(bank.competence[i])] += 1
        for a in range(bank.n_areas):
            lp = self._logpost[a]
            w = np.exp(lp - lp.max())
            w /= w.sum()
            probs = w @ self._lw
            top = int(probs.argmax())
            areas.append(
                AreaEstimate(
                    index=a,
                    code=bank.area_codes[a],
                    theta=self._mean[a],
                    se=self._sd[a],
                    n_items=n_area_answered[a],
                    level=top + 1,
                    level_probability=float(probs[top]),
                    level_decided=self._decided[a] is not None,
                    level_probabilities=tuple(float(p) for p in probs),
                )
            )
        kernel = bank._kernel(cfg.competence_sd)
        comps = []
        for k in range(bank.n_competences):
            a = int(bank.competence_area[k])
            if n_comp_answered[k] == 0:
                ae = areas[a]
                comps.append(
                    CompetenceEstimate(
                        index=k,
                        code=bank.competence_codes[k],
                        area_code=ae.code,
                        n_items=0,
                        theta=ae.theta,
                        se=ae.se,
                        level=ae.level,
                        level_probability=ae.level_probability,
                        source="area",
                    )
                )
                continue
            other = self._logpost[a] - self._comp_ll[k]
            p_other = np.exp(other - other.max())
            prior = kernel @ p_other
            lp = np.log(np.maximum(prior, 1e-300)) + self._comp_ll[k]
            w = np.exp(lp - lp.max())
            w /= w.sum()
            mean = float(w @ grid)
            sd = math.sqrt(max(float(w @ (grid * grid)) - mean * mean, 0.0))
            probs = w @ self._lw
            top = int(probs.argmax())
            comps.append(
                CompetenceEstimate(
                    index=k,
                    code=bank.competence_codes[k],
                    area_code=bank.area_codes[a],
                    n_items=n_comp_answered[k],
                    theta=mean,
                    se=sd,
                    level=top + 1,
                    level_probability=float(probs[top]),
                    source="items",
                )
            )
        finished = self.finished
        return CATResult(
            areas=tuple(areas),
            competences=tuple(comps),
            n_items=len(self._responses),
            finished=finished,
            stop_reason=None if self._stop is None else self._stop.value,
            item_ids=tuple(bank.ids[i] for i in self._items[: len(self._responses)]),
            responses=tuple(self._responses),
            exposure_relaxed=self._relaxed,
        )

    # -- JSON state -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The session state as a plain JSON-able dict (lists, strings, numbers)."""
        ids = self.bank.ids
        return {
            "version": _STATE_VERSION,
            "bank": self.bank.fingerprint,
            "seed": self._seed,
            "config": self._config.to_dict(),
            "blueprint": self.blueprint.to_dict(self.bank),
            "exclude": [ids[i] for i in self._excluded],
            "blocked": [ids[i] for i in self._blocked],
            "ineligible": list(self._ineligible),
            "items": [ids[i] for i in self._items],
            "responses": list(self._responses),
            "stop": None if self._stop is None else self._stop.value,
            "relaxed": self._relaxed,
        }

    def to_json(self) -> str:
        """The session state as a compact JSON string."""
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, bank: ItemBank, data: Mapping[str, Any]) -> AdaptiveSession:
        """Resume a session from :meth:`to_dict` output.

        The posteriors are rebuilt by replaying the answers, so the stored state cannot
        drift from the answers it records.

        Raises
        ------
        ValueError
            If the state is malformed, of another version, or made with another bank.
        """
        if not isinstance(data, Mapping):
            raise ValueError("session state must be a JSON object")
        if data.get("version") != _STATE_VERSION:
            raise ValueError(f"unsupported session state version {data.get('version')!r}")
        if data.get("bank") != bank.fingerprint:
            raise ValueError("session state was created with a different item bank")
        try:
            index = bank.index_of
            items = [index[x] for x in data["items"]]
            responses = [_check_score(u) for u in data["responses"]]
            session = cls(
                bank,
                config=CATConfig.from_dict(data["config"]),
                blueprint=Blueprint.from_dict(bank, data["blueprint"]),
                seed=int(data["seed"]),
                excluded=[index[x] for x in data["exclude"]],
                ineligible=[int(i) for i in data["ineligible"]],
                blocked=[index[x] for x in data["blocked"]],
            )
            relaxed = int(data.get("relaxed", 0))
            stop = data.get("stop")
            stop_reason = None if stop is None else StopReason(stop)
        except KeyError as exc:
            raise ValueError(f"session state is missing or names an unknown item: {exc}") from exc
        except TypeError as exc:
            raise ValueError(f"malformed session state: {exc}") from exc
        if not len(items) - 1 <= len(responses) <= len(items):
            raise ValueError("session state has inconsistent items and responses")
        if len(set(items)) != len(items):
            raise ValueError("session state repeats an item")
        for n, i in enumerate(items):
            if session._usable[bank.position[i]] == 0.0:
                raise ValueError(f"session state administers excluded item {bank.ids[i]!r}")
            session._administer(i)
            if n < len(responses):
                session._record(i, responses[n])
        session._relaxed = relaxed
        session._stop = stop_reason
        return session

    @classmethod
    def from_json(cls, bank: ItemBank, s: str | bytes) -> AdaptiveSession:
        """Resume a session from :meth:`to_json` output."""
        try:
            data = json.loads(s)
        except json.JSONDecodeError as exc:
            raise ValueError(f"session state is not valid JSON: {exc}") from exc
        return cls.from_dict(bank, data)


# ---------------------------------------------------------------------------------------
# Simulation and exposure calibration
# ---------------------------------------------------------------------------------------


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
