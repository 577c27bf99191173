"""Item-level numerics of the Bock-Aitkin EM calibration (:mod:`calibration`).

Everything here works on all items at once, on the natural parameters
``xi = (a, b, c)`` (dichotomous) or ``(a, b_1, ..., b_{K-1})`` (graded), shape ``(J, K)``:

* the anchors' rows, the flags of items that cannot be estimated, starting values;
* the model kernels: category probabilities ``(Q, J, C)`` and their parameter
  derivatives on the quadrature grid;
* the working scale ``(log a, b, logit c)`` on which the M-step moves, and the MAP item
  priors (Mislevy, 1986) on it;
* the M-step: Fisher scoring on the expected complete-data log posterior of every item,
  solving stacked ``K x K`` systems, with per-item step halving;
* the observed information of the marginal likelihood by Louis's (1982) identity, item
  block by item block, and the standard errors from it.

The E-step (the posterior over the grid, block by block) is in
:mod:`hocvu.psychometrics._quadrature`; the EM loop is
:class:`hocvu.psychometrics.calibration.ItemCalibrator`.

References
----------
Louis, T. A. (1982). Finding the observed information matrix when using the EM
algorithm. *Journal of the Royal Statistical Society B*, 44(2), 226-233.

Mislevy, R. J. (1986). Bayes modal estimation in item response models.
*Psychometrika*, 51(2), 177-195.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from hocvu.psychometrics import grm, irt
from hocvu.psychometrics._quadrature import (
    P_FLOOR,
    Bank,
    Block,
    Design,
    map_blocks,
    posterior_block,
)
from hocvu.psychometrics._validation import DICHOTOMOUS_MODELS, IntArray
from hocvu.psychometrics.irt import FloatArray

if TYPE_CHECKING:
    from hocvu.psychometrics.calibration import Priors


# --------------------------------------------------------------------------------------
# Model kernels on the natural parameters xi: (a, b, c) or (a, b_1..b_{K-1})
# --------------------------------------------------------------------------------------


def _kernel(
    is_grm: bool, grid: FloatArray, xi: FloatArray, order: int
) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
    """Category probabilities ``(Q, J, C)`` and derivatives ``(Q, J, C, K[, K])``."""
    if is_grm:
        a, thr = xi[:, 0], xi[:, 1:]
        p = grm.category_prob(grid, a, thr)
        d1 = grm.category_prob_gradient(grid, a, thr) if order >= 1 else None
        d2 = grm.category_prob_hessian(grid, a, thr) if order >= 2 else None
        return p, d1, d2
    t = grid[:, None]
    a, b, c = xi[:, 0], xi[:, 1], xi[:, 2]
    p1 = irt.prob(t, a, b, c)
    p = np.stack([1.0 - p1, p1], axis=2)
    g = h = None
    if order >= 1:
        g1 = irt.prob_gradient(t, a, b, c)
        g = np.stack([-g1, g1], axis=2)
    if order >= 2:
        h1 = irt.prob_hessian(t, a, b, c)
        h = np.stack([-h1, h1], axis=2)
    return p, g, h


@dataclass(frozen=True)
class _Spec:
    """Model-dependent layout of the natural parameter vector."""

    is_grm: bool
    n_cat: int
    col_free: NDArray[np.bool_]  # (K,)
    kind: tuple[str, ...]  # per column: "log", "id" or "logit"


def _spec(model: str, n_cat: int) -> _Spec:
    if model == "grm":
        k = n_cat
        return _Spec(True, n_cat, np.ones(k, dtype=bool), ("log",) + ("id",) * (k - 1))
    free = {"rasch": [False, True, False], "2pl": [True, True, False], "3pl": [True, True, True]}
    return _Spec(False, 2, np.array(free[model]), ("log", "id", "logit"))


def _to_working(xi: FloatArray, spec: _Spec, free: NDArray[np.bool_]) -> FloatArray:
    u = xi.copy()
    for k, kind in enumerate(spec.kind):
        m = free[:, k]
        if kind == "log":
            u[m, k] = np.log(xi[m, k])
        elif kind == "logit":
            u[m, k] = np.log(xi[m, k] / (1.0 - xi[m, k]))
    return u


def _from_working(u: FloatArray, spec: _Spec, free: NDArray[np.bool_]) -> FloatArray:
    xi = u.copy()
    for k, kind in enumerate(spec.kind):
        m = free[:, k]
        if kind == "log":
            xi[m, k] = np.exp(u[m, k])
        elif kind == "logit":
            xi[m, k] = 1.0 / (1.0 + np.exp(-u[m, k]))
    return xi


def _log_prior(
    xi: FloatArray, spec: _Spec, free: NDArray[np.bool_], pr: Priors, order: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Log prior per item and its working-scale gradient and (positive) curvature.

    Returns ``(value (J,), grad_u (J, K), info_u (J, K))`` where ``info_u`` is the
    negative second derivative on the working scale (diagonal).
    """
    val = np.zeros(xi.shape[0])
    grad = np.zeros_like(xi)
    info = np.zeros_like(xi)
    for k, kind in enumerate(spec.kind):
        m = free[:, k]
        x = xi[:, k]
        if kind == "log" and pr.log_a_sd is not None:
            z = np.where(m, np.log(np.where(m, x, 1.0)) - pr.log_a_mean, 0.0)
            s2 = pr.log_a_sd**2
            val -= 0.5 * z * z / s2
            grad[:, k] = -z / s2
            info[:, k] = np.where(m, 1.0 / s2, 0.0)
        elif kind == "id" and pr.b_sd is not None:
            z = np.where(m, x - pr.b_mean, 0.0)
            s2 = pr.b_sd**2
            val -= 0.5 * z * z / s2
            grad[:, k] = -z / s2
            info[:, k] = np.where(m, 1.0 / s2, 0.0)
        elif kind == "logit":
            cc = np.where(m, x, 0.5)
            al, be = pr.c_alpha - 1.0, pr.c_beta - 1.0
            val += np.where(m, al * np.log(cc) + be * np.log1p(-cc), 0.0)
            grad[:, k] = np.where(m, al * (1.0 - cc) - be * cc, 0.0)
            info[:, k] = np.where(m, (al + be) * cc * (1.0 - cc), 0.0)
    return val, grad, info


def _prior_hessian_natural(
    xi: FloatArray, spec: _Spec, free: NDArray[np.bool_], pr: Priors
) -> FloatArray:
    """Diagonal of the log-prior Hessian on the natural scale, shape ``(J, K)``."""
    h = np.zeros_like(xi)
    for k, kind in enumerate(spec.kind):
        m = free[:, k]
        x = np.where(m, xi[:, k], 0.5)
        if kind == "log" and pr.log_a_sd is not None:
            z = np.log(x) - pr.log_a_mean
            h[:, k] = np.where(m, -(1.0 - z) / (pr.log_a_sd**2 * x * x), 0.0)
        elif kind == "id" and pr.b_sd is not None:
            h[:, k] = np.where(m, -1.0 / pr.b_sd**2, 0.0)
        elif kind == "logit":
            al, be = pr.c_alpha - 1.0, pr.c_beta - 1.0
            h[:, k] = np.where(m, -al / x**2 - be / (1.0 - x) ** 2, 0.0)
    return h


def _objective(
    xi: FloatArray,
    r: FloatArray,
    grid: FloatArray,
    spec: _Spec,
    free: NDArray[np.bool_],
    pr: Priors,
) -> FloatArray:
    """Expected complete-data log-likelihood plus log prior of every item, shape ``(J,)``.

    ``r`` has shape ``(Q, J, C)``: expected number of persons at node ``q`` who gave
    item ``j`` the score ``c``.
    """
    p = _kernel(spec.is_grm, grid, xi, 0)[0]
    ll = np.einsum("qjc,qjc->j", r, np.log(np.maximum(p, P_FLOOR)))
    return np.asarray(ll + _log_prior(xi, spec, free, pr, 0)[0], dtype=np.float64)


def _gradient_and_fisher(
    xi: FloatArray,
    r: FloatArray,
    grid: FloatArray,
    spec: _Spec,
    free: NDArray[np.bool_],
    pr: Priors,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Objective, working-scale gradient ``(J, K)`` and Fisher information ``(J, K, K)``."""
    p, d1, _ = _kernel(spec.is_grm, grid, xi, 1)
    assert d1 is not None
    p = np.maximum(p, P_FLOOR)
    pv, pg, pi = _log_prior(xi, spec, free, pr, 1)
    obj = np.einsum("qjc,qjc->j", r, np.log(p)) + pv
    g_nat = np.einsum("qjc,qjck->jk", r / p, d1)
    n = r.sum(axis=2)
    root = d1 / np.sqrt(p)[..., None]
    fisher_nat = np.einsum("qj,qjck,qjcl->jkl", n, root, root, optimize=True)
    jac = np.ones_like(xi)
    for k, kind in enumerate(spec.kind):
        if kind == "log":
            jac[:, k] = xi[:, k]
        elif kind == "logit":
            jac[:, k] = xi[:, k] * (1.0 - xi[:, k])
    grad = g_nat * jac + pg
    fisher = fisher_nat * jac[:, :, None] * jac[:, None, :]
    k_idx = np.arange(xi.shape[1])
    fisher[:, k_idx, k_idx] += pi
    return obj, grad, fisher


def _mask_system(
    grad: FloatArray, info: FloatArray, free: NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    """Zero the gradient of fixed cells and replace their rows/cols by the identity."""
    g = np.where(free, grad, 0.0)
    both = free[:, :, None] & free[:, None, :]
    h = np.where(both, info, 0.0)
    k_idx = np.arange(free.shape[1])
    h[:, k_idx, k_idx] = np.where(free, h[:, k_idx, k_idx], 1.0)
    return g, h


def _valid(xi: FloatArray, spec: _Spec) -> NDArray[np.bool_]:
    ok = np.all(np.isfinite(xi) | np.isnan(xi) & spec.is_grm, axis=1)
    if spec.is_grm:
        with np.errstate(invalid="ignore"):
            d = np.diff(xi[:, 1:], axis=1)
        ok &= ~np.any(~np.isnan(d) & ~(d > 1e-6), axis=1)
    return np.asarray(ok & (xi[:, 0] > 0), dtype=bool)


def _mstep(
    xi: FloatArray,
    r: FloatArray,
    grid: FloatArray,
    spec: _Spec,
    free: NDArray[np.bool_],
    pr: Priors,
    *,
    max_steps: int = 8,
    max_halvings: int = 12,
) -> FloatArray:
    """Fisher-scoring M-step for all items at once; returns the updated ``xi``."""
    xi = xi.copy()
    active = np.ones(xi.shape[0], dtype=bool)
    for _ in range(max_steps):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        x, fr, rr = xi[idx], free[idx], r[:, idx]
        obj, grad, info = _gradient_and_fisher(x, rr, grid, spec, fr, pr)
        g, h = _mask_system(grad, info, fr)
        step = np.linalg.solve(h, g[..., None])[..., 0]
        step = np.clip(step, -1.0, 1.0)
        u = _to_working(x, spec, fr)
        scale = np.ones(idx.size)
        pending = np.ones(idx.size, dtype=bool)
        new_x = x.copy()
        for _half in range(max_halvings):
            trial = _from_working(u + scale[:, None] * step, spec, fr)
            ok = _valid(trial, spec)
            t_obj = np.full(idx.size, -np.inf)
            if ok.any():
                t_obj[ok] = _objective(trial[ok], rr[:, ok], grid, spec, fr[ok], pr)
            accept = pending & ok & (t_obj >= obj - 1e-10 * np.abs(obj))
            new_x[accept] = trial[accept]
            pending &= ~accept
            if not pending.any():
                break
            scale[pending] *= 0.5
        moved = np.nanmax(np.where(fr, np.abs(new_x - x), 0.0), axis=1)
        xi[idx] = new_x
        still = (moved > 1e-7) & ~pending
        active[idx] = still
    return xi


def _placeholder(xi: FloatArray, degenerate: NDArray[np.bool_], spec: _Spec) -> FloatArray:
    """Finite stand-in parameters for degenerate items (they have no responses in the
    design, so the values never matter; they only keep the tables free of NaN)."""
    out = xi.copy()
    out[degenerate] = 0.0
    out[degenerate, 0] = 1.0
    if spec.is_grm:
        out[degenerate, 1:] = np.arange(1, spec.n_cat) - spec.n_cat / 2.0
    return out


def _bank_of(xi: FloatArray, spec: _Spec) -> Bank:
    if spec.is_grm:
        return Bank(xi[:, 0], xi[:, 1:], np.zeros(xi.shape[0]), True)
    return Bank(xi[:, 0], xi[:, 1], xi[:, 2], False)


# --------------------------------------------------------------------------------------
# Anchors, degenerate items and starting values
# --------------------------------------------------------------------------------------


def _parse_fixed(
    fixed: Mapping[int, Sequence[float]] | None,
    n_items: int,
    spec: _Spec,
    model: str,
) -> dict[int, FloatArray]:
    out: dict[int, FloatArray] = {}
    if not fixed:
        return out
    k_par = spec.col_free.size
    for key, values in fixed.items():
        j = int(key)
        if j < 0 or j >= n_items:
            raise ValueError(f"fixed item index {key} is out of range for n_items={n_items}")
        v = np.asarray(values, dtype=np.float64).ravel()
        row = np.full(k_par, np.nan) if spec.is_grm else np.array([1.0, 0.0, 0.0])
        if spec.is_grm:
            if not 2 <= v.size <= k_par:
                raise ValueError(
                    f"fixed[{j}] must be (a, b_1, ..., b_k) with 1 <= k <= {k_par - 1}"
                )
            row[: v.size] = v
        elif model == "rasch":
            if v.size == 1:
                row[1] = v[0]
            elif v.size == 2 and v[0] == 1.0:
                row[:2] = v
            else:
                raise ValueError(f"fixed[{j}] must be (b,) or (1.0, b) for the Rasch model")
        else:
            if v.size not in (2, 3) or (v.size == 3 and model == "2pl" and v[2] != 0.0):
                raise ValueError(
                    f"fixed[{j}] must be (a, b) or (a, b, c) (c only for the 3PL); got {v}"
                )
            row[: v.size] = v
        finite = row[~np.isnan(row)] if spec.is_grm else row
        if not np.all(np.isfinite(finite)):
            raise ValueError(f"fixed[{j}] contains NaN or infinite values")
        if row[0] <= 0:
            raise ValueError(f"fixed[{j}]: discrimination must be positive")
        if not spec.is_grm and not 0.0 <= row[2] < 1.0:
            raise ValueError(f"fixed[{j}]: lower asymptote must lie in [0, 1)")
        if spec.is_grm:
            thr = row[1:][~np.isnan(row[1:])]
            if np.any(np.diff(thr) <= 0):
                raise ValueError(f"fixed[{j}]: thresholds must be strictly increasing")
        out[j] = row
    return out


def _item_flags(
    cat_counts: IntArray, n_resp: IntArray, is_fixed: NDArray[np.bool_], is_dich: bool
) -> tuple[NDArray[np.str_], IntArray]:
    """Flag of every item (``"ok"``, ``"fixed"`` or why it cannot be estimated) and its
    highest observed score, from the score counts ``(J, C)``."""
    n_it, n_cat = cat_counts.shape
    flags = np.full(n_it, "ok", dtype="<U16")
    flags[is_fixed] = "fixed"
    item_top = np.where(n_resp > 0, n_cat - 1 - np.argmax(cat_counts[:, ::-1] > 0, axis=1), 0)
    if is_dich:
        flags[(n_resp > 0) & (cat_counts[:, 1] == n_resp) & ~is_fixed] = "all_correct"
        flags[(n_resp > 0) & (cat_counts[:, 0] == n_resp) & ~is_fixed] = "all_incorrect"
    else:
        used = cat_counts > 0
        single = used.sum(axis=1) == 1
        flags[(n_resp > 0) & single & (item_top > 0) & ~is_fixed] = "all_correct"
        flags[(n_resp > 0) & single & (item_top == 0) & ~is_fixed] = "all_incorrect"
        cats = np.arange(n_cat)
        gap = np.any(~used & (cats[None, :] < item_top[:, None]), axis=1)
        flags[(n_resp > 0) & ~single & gap & ~is_fixed] = "empty_category"
    flags[(n_resp == 0) & ~is_fixed] = "no_responses"
    return flags, item_top


def _start_values(
    model: str,
    pr: Priors,
    cat_counts: IntArray,
    n_resp: IntArray,
    item_top: IntArray,
    k_par: int,
) -> FloatArray:
    """Starting ``xi`` ``(J, K)`` from the proportions correct (or in each category and
    above), on the logistic metric (``1.16`` undoes the normal-ogive scaling)."""
    n_it, n_cat = cat_counts.shape
    xi = np.full((n_it, k_par), np.nan)
    if model in DICHOTOMOUS_MODELS:
        c0 = (pr.c_alpha - 1.0) / (pr.c_alpha + pr.c_beta - 2.0) if model == "3pl" else 0.0
        pc = (cat_counts[:, 1] + 0.5) / (n_resp + 1.0)
        adj = np.clip((pc - c0) / (1.0 - c0), 0.02, 0.98)
        xi[:, 0] = 1.0
        xi[:, 1] = -1.16 * np.log(adj / (1.0 - adj))
        xi[:, 2] = c0
    else:
        xi[:, 0] = 1.0
        tail = np.cumsum(cat_counts[:, ::-1], axis=1)[:, ::-1][:, 1:]  # n(X >= k), k=1..
        prop = np.clip((tail + 0.5) / (n_resp[:, None] + 1.0), 0.01, 0.99)
        thr = -1.16 * np.log(prop / (1.0 - prop))
        thr += np.arange(n_cat - 1) * 1e-3  # strictly increasing even for ties
        has = np.arange(1, n_cat)[None, :] <= item_top[:, None]
        xi[:, 1:] = np.where(has, thr, np.nan)
    return xi


# --------------------------------------------------------------------------------------
# Observed information and standard errors (Louis, 1982)
# --------------------------------------------------------------------------------------


def _louis_information(
    design: Design,
    table: NDArray[np.floating],
    log_prior: NDArray[np.floating],
    xi: FloatArray,
    grid: FloatArray,
    spec: _Spec,
    free: NDArray[np.bool_],
    estimated: NDArray[np.bool_],
    n_jobs: int | None,
    chunk: int = 65536,
) -> tuple[float, FloatArray]:
    """Observed information blocks ``(J, K, K)`` on the natural scale (Louis, 1982)."""
    n_it, k_par = xi.shape
    n_cat, n_quad = spec.n_cat, grid.size
    p, d1, d2 = _kernel(spec.is_grm, grid, xi, 2)
    assert d1 is not None and d2 is not None
    p = np.maximum(p, P_FLOOR)
    # Score of one response at each node, per code and parameter: (J * C, K, Q).
    g_tab = (d1 / p[..., None]).transpose(1, 2, 3, 0).reshape(n_it * n_cat, k_par, n_quad)
    g_tab = np.ascontiguousarray(np.where(np.isfinite(g_tab), g_tab, 0.0), dtype=table.dtype)
    pairs = [(k, m) for k in range(k_par) for m in range(k, k_par)]

    def work(_k: int, block: Block) -> tuple[FloatArray, FloatArray, float]:
        w, ll = posterior_block(block, table, log_prior)
        counts = np.asarray(block.T @ w, dtype=np.float64)
        # Group the block's responses by code: the persons who gave each response.
        by_code = sp.csc_matrix(block)
        cross = np.zeros((n_it, k_par, k_par))
        for code in np.flatnonzero(np.diff(by_code.indptr)):
            sl = slice(by_code.indptr[code], by_code.indptr[code + 1])
            sub = np.take(w, by_code.indices[sl], axis=0)
            mult = by_code.data[sl]
            # Posterior-mean score of each of these persons, one parameter at a time
            # (matrix-vector products are much faster than a skinny matrix product).
            gbar = [(sub @ g_tab[code, k]) * mult for k in range(k_par)]
            j = code // n_cat
            for k, m in pairs:
                cross[j, k, m] += float(gbar[k] @ gbar[m])
        iu = np.triu_indices(k_par, 1)
        cross[:, iu[1], iu[0]] = cross[:, iu[0], iu[1]]
        return counts, cross, float(ll.sum())

    parts = map_blocks(work, design.blocks, n_jobs)
    counts = np.sum([c for c, _, _ in parts], axis=0)
    cross = np.sum([x for _, x, _ in parts], axis=0)
    loglik = float(sum(v for _, _, v in parts))
    r = counts.reshape(n_it, n_cat, n_quad).transpose(2, 0, 1)
    d2_term = np.einsum("qjc,qjckl->jkl", r / p, np.where(np.isfinite(d2), d2, 0.0))
    info = cross - d2_term
    info[~estimated] = 0.0
    both = free[:, :, None] & free[:, None, :]
    return loglik, np.where(both, info, 0.0)


def _standard_errors(
    info: FloatArray, free: NDArray[np.bool_], estimated: NDArray[np.bool_]
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Square roots of the diagonal of the inverse information, per item block."""
    k_par = free.shape[1]
    k_idx = np.arange(k_par)
    h = info.copy()
    h[:, k_idx, k_idx] = np.where(free, h[:, k_idx, k_idx], 1.0)
    se = np.zeros(free.shape)
    eig_min = np.linalg.eigvalsh(h).min(axis=1)
    ok = eig_min > 0
    if ok.any():
        inv = np.linalg.inv(h[ok])
        se[ok] = np.sqrt(np.maximum(inv[:, k_idx, k_idx], 0.0))
    se = np.where(free, se, 0.0)
    failed = estimated & ~ok
    se[failed] = np.nan
    return se, failed
