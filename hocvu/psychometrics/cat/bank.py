"""The item bank: frozen item parameters and the tables precomputed on the grid."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics.classification import level_weights
from hocvu.psychometrics.irt import FloatArray, information, log_prob

if TYPE_CHECKING:
    from hocvu.psychometrics.cat.blueprint import Blueprint

__all__ = ["IntArray", "ItemBank"]

IntArray = NDArray[np.int64]

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
