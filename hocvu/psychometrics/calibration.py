"""Item calibration by marginal maximum likelihood (Bock-Aitkin EM) on sparse data.

Responses arrive as triples ``(person, item, score)``: most learners see only a small
part of the bank, so nothing here ever builds a dense persons x items matrix.

Algorithm
---------
The latent ability has a normal density ``N(mu, sigma^2)`` discretized on a fixed grid of
``n_quad`` equally spaced nodes ``theta_q`` (default 41 nodes on ``[-5, 5]``, spacing
0.25) with weights ``pi_q`` proportional to the normal density (Bock & Aitkin, 1981;
Mislevy & Bock, 1990). Each EM cycle:

* **E-step** (vectorized over persons x nodes). Responses are coded as
  ``code = item * n_categories + score`` and stored as row blocks of a sparse indicator
  matrix ``M`` (persons x codes). With the table ``T[code, q] = log P(score | theta_q)``
  the log-likelihood of every person at every node is the sparse-dense product
  ``M @ T``; adding ``log pi_q`` and normalizing gives the posterior weights ``W``. The
  expected counts for the M-step are ``M.T @ W`` (persons at node ``q`` answering item
  ``j`` in category ``k``). Blocks are processed in threads (SciPy's sparse products
  release the GIL).
* **M-step** (vectorized over items). Each item maximizes its expected complete-data
  log-likelihood plus the log prior (MAP-in-EM, Mislevy, 1986). All items take Fisher
  scoring steps simultaneously, solving stacked ``K x K`` systems, in the working
  parameters ``(log a, b, logit c)``, with per-item step halving.
* **Latent distribution.** The scale is identified by ``mu = 0, sigma = 1`` in a free
  calibration. With fixed (anchor) items the scale comes from the anchors, so ``mu`` and
  ``sigma`` are re-estimated from the posterior every cycle and pilot items land on the
  operational scale (fixed-parameter calibration with multiple weight updating; Kim,
  2006). The Rasch model estimates ``sigma`` (``a`` is fixed at 1).

Convergence is declared when the largest absolute change of any estimated parameter
(natural scale, including ``mu`` and ``sigma``) in one plain EM cycle is below ``tol``.
EM converges linearly, so by default the cycles are extrapolated with SQUAREM
(Varadhan & Roland, 2008); an extrapolated point is kept only if it does not lower the
log posterior, so the sequence stays monotone and the fixed point is unchanged.

Standard errors come from the observed information of the (penalized) marginal
log-likelihood, item block by item block, computed with Louis's (1982) identity at the
converged estimates: ``I_j = -sum_i E[d2 log f_ij] - sum_i Var[d log f_ij]`` where the
expectations are over each person's posterior, minus the log-prior Hessian.
Cross-item covariances are ignored (block-diagonal approximation).

Degenerate items (everyone right, everyone wrong, no responses, or for the GRM an
unobserved middle category) have no finite maximum-likelihood estimate. They are left
out of the estimation, their parameters and standard errors are ``NaN``, their flag
says why, and a :class:`DegenerateItemWarning` names them.

References
----------
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item
parameters: Application of an EM algorithm. *Psychometrika*, 46(4), 443-459.

Kim, S. (2006). A comparative study of IRT fixed parameter calibration methods.
*Journal of Educational Measurement*, 43(4), 355-381.

Louis, T. A. (1982). Finding the observed information matrix when using the EM
algorithm. *Journal of the Royal Statistical Society B*, 44(2), 226-233.

Mislevy, R. J. (1986). Bayes modal estimation in item response models.
*Psychometrika*, 51(2), 177-195.

Mislevy, R. J., & Bock, R. D. (1990). *BILOG 3*. Scientific Software.

Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods for
accelerating the convergence of any EM algorithm. *Scandinavian Journal of
Statistics*, 35(2), 335-353.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics import grm, irt
from hocvu.psychometrics._validation import (
    DICHOTOMOUS_MODELS,
    IntArray,
    check_model,
    check_positive,
    check_triples,
)
from hocvu.psychometrics.estimation import (
    Block,
    _Bank,
    _build_design,
    _log_table,
    _map_blocks,
    _normal_log_weights,
    _posterior_block,
)
from hocvu.psychometrics.irt import FloatArray

__all__ = [
    "ConvergenceWarning",
    "DegenerateItemWarning",
    "ItemParameters",
    "Priors",
    "calibrate",
]

_P_FLOOR = 1e-300


class DegenerateItemWarning(UserWarning):
    """An item's responses cannot identify its parameters (e.g. everyone answered it
    correctly); the item is left out and its parameters are ``NaN``."""


class ConvergenceWarning(UserWarning):
    """The EM algorithm stopped at ``max_iter`` before meeting the tolerance."""


@dataclass(frozen=True)
class Priors:
    """Priors of the MAP-in-EM item calibration (Mislevy, 1986).

    Attributes
    ----------
    log_a_mean, log_a_sd : float, float or None
        Normal prior on ``log a`` (a lognormal prior on ``a``); ``None`` disables it.
        The default ``N(0, 0.5^2)`` keeps 95 % of its mass on ``0.38 <= a <= 2.7``.
    b_mean, b_sd : float, float or None
        Normal prior on difficulties/thresholds; ``None`` (default) disables it.
    c_alpha, c_beta : float
        Beta prior on the 3PL lower asymptote; default ``Beta(5, 17)`` has its mode at
        0.2 (four-option multiple choice). Ignored by the other models.
    """

    log_a_mean: float = 0.0
    log_a_sd: float | None = 0.5
    b_mean: float = 0.0
    b_sd: float | None = None
    c_alpha: float = 5.0
    c_beta: float = 17.0


@dataclass(frozen=True)
class ItemParameters:
    """Calibrated item parameters and diagnostics.

    Attributes
    ----------
    model : str
        ``"rasch"``, ``"2pl"``, ``"3pl"`` or ``"grm"``.
    a, c : ndarray, shape ``(n_items,)``
        Discriminations and lower asymptotes (``c = 0`` except for the 3PL).
    b : ndarray, shape ``(n_items,)`` or ``(n_items, n_categories - 1)``
        Difficulties, or GRM thresholds (trailing ``NaN`` for items with fewer
        categories).
    se_a, se_b, se_c : ndarray
        Standard errors with the shapes of ``a``, ``b``, ``c``; ``0`` where the value
        is fixed (by the model or by ``fixed=``) and ``NaN`` where not estimable.
    flags : ndarray of str, shape ``(n_items,)``
        ``"ok"``, ``"fixed"``, ``"all_correct"``, ``"all_incorrect"``,
        ``"no_responses"``, ``"empty_category"`` or ``"se_unavailable"``.
    fixed : ndarray of bool, shape ``(n_items,)``
        Items whose parameters were held fixed.
    n_responses : ndarray of int, shape ``(n_items,)``
    n_iter : int
        E-steps run (passes over the data), extrapolation steps included.
    converged : bool
    loglik : float
        Marginal log-likelihood at the estimates (without the prior terms).
    latent_mean, latent_sd : float
        Parameters of the normal latent distribution (0 and 1 unless estimated).
    history : tuple of float
        Log posterior (marginal log-likelihood plus log prior of the estimated items)
        along the accepted EM path; non-decreasing.
    """

    model: str
    a: FloatArray
    b: FloatArray
    c: FloatArray
    se_a: FloatArray
    se_b: FloatArray
    se_c: FloatArray
    flags: NDArray[np.str_]
    fixed: NDArray[np.bool_]
    n_responses: IntArray
    n_iter: int
    converged: bool
    loglik: float
    latent_mean: float = 0.0
    latent_sd: float = 1.0
    history: tuple[float, ...] = field(default=(), repr=False)


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
    ll = np.einsum("qjc,qjc->j", r, np.log(np.maximum(p, _P_FLOOR)))
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
    p = np.maximum(p, _P_FLOOR)
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


def _bank_of(xi: FloatArray, spec: _Spec) -> _Bank:
    if spec.is_grm:
        return _Bank(xi[:, 0], xi[:, 1:], np.zeros(xi.shape[0]), True)
    return _Bank(xi[:, 0], xi[:, 1], xi[:, 2], False)


# --------------------------------------------------------------------------------------
# Public entry point
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


def _check_priors(pr: Priors) -> None:
    if pr.log_a_sd is not None:
        check_positive(pr.log_a_sd, "priors.log_a_sd")
    if pr.b_sd is not None:
        check_positive(pr.b_sd, "priors.b_sd")
    if not (pr.c_alpha >= 1.0 and pr.c_beta >= 1.0):
        raise ValueError("priors.c_alpha and priors.c_beta must be at least 1")


def calibrate(
    person: ArrayLike,
    item: ArrayLike,
    score: ArrayLike,
    model: str = "2pl",
    *,
    n_items: int | None = None,
    fixed: Mapping[int, Sequence[float]] | None = None,
    priors: Priors | None = None,
    n_quad: int = 41,
    quad_range: tuple[float, float] = (-5.0, 5.0),
    max_iter: int = 500,
    tol: float = 1e-4,
    compute_se: bool = True,
    accelerate: bool = True,
    dtype: Literal["float64", "float32"] = "float64",
    n_jobs: int | None = None,
    block_size: int = 65536,
) -> ItemParameters:
    """Calibrate an item bank by marginal maximum likelihood (Bock-Aitkin EM).

    Parameters
    ----------
    person, item, score : array_like of int, shape ``(n_obs,)``
        One row per observed response. ``score`` is 0/1 for ``"rasch"``, ``"2pl"`` and
        ``"3pl"`` and ``0..K-1`` for ``"grm"``. Each (person, item) pair should appear
        at most once.
    model : {"2pl", "3pl", "rasch", "grm"}
        Item response model.
    n_items : int, optional
        Bank size (default ``max(item) + 1``). Items without responses are flagged.
    fixed : mapping of int to sequence of float, optional
        Items whose parameters are held fixed (anchors), e.g. ``{0: (1.2, -0.4)}``:
        ``(a, b)`` or ``(a, b, c)``; ``(b,)`` for the Rasch model;
        ``(a, b_1, ..., b_k)`` for the GRM. When given, the mean and SD of the latent
        distribution are estimated instead of being fixed at 0 and 1, so the other
        items are put on the anchors' scale.
    priors : Priors, optional
        Item priors (default :class:`Priors()`).
    n_quad, quad_range : int, (float, float)
        Fixed quadrature grid (equally spaced nodes). See the module docstring.
    max_iter, tol : int, float
        EM limits; convergence when no estimated parameter moves more than ``tol``.
    compute_se : bool
        Compute standard errors (one extra pass over the data).
    accelerate : bool
        Extrapolate EM with SQUAREM (Varadhan & Roland, 2008), keeping an extrapolated
        point only when it does not lower the log posterior. Same fixed point, fewer
        passes over the data.
    dtype : {"float64", "float32"}
        Precision of the large persons x nodes arrays. ``"float32"`` halves memory and
        roughly doubles E-step speed; sums and the M-step stay in double precision.
    n_jobs : int, optional
        Threads for the E-step (default: all cores).
    block_size : int
        Persons per E-step block (bounds the working memory).

    Returns
    -------
    ItemParameters

    Raises
    ------
    ValueError
        For malformed input: mismatched lengths, NaN, negative indices, scores out of
        range (not 0/1 for dichotomous models), empty data, data with every response
        correct (or every response wrong), or no estimable item.

    Warns
    -----
    DegenerateItemWarning
        For items with no responses, or answered correctly (or wrongly) by everyone.
    ConvergenceWarning
        If ``max_iter`` is reached.

    Examples
    --------
    >>> from hocvu.psychometrics.simulate import simulate_bank, simulate_responses, to_triples
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> bank = simulate_bank(10, rng=rng)
    >>> x = simulate_responses(rng.standard_normal(500), bank, rng=rng)
    >>> est = calibrate(*to_triples(x))
    >>> est.converged, est.a.shape
    (True, (10,))
    """
    mdl = check_model(model)
    pr = Priors() if priors is None else priors
    _check_priors(pr)
    if n_quad < 5:
        raise ValueError(f"n_quad must be at least 5; got {n_quad}")
    lo, hi = float(quad_range[0]), float(quad_range[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"quad_range must be two finite increasing numbers; got {quad_range}")
    check_positive(tol, "tol")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32'; got {dtype!r}")
    np_dtype: type[np.floating] = np.float64 if dtype == "float64" else np.float32

    is_dich = mdl in DICHOTOMOUS_MODELS
    p, i, s = check_triples(
        person, item, score, max_score=1 if is_dich else None, n_items=n_items, dichotomous=is_dich
    )
    n_it = int(i.max()) + 1 if n_items is None else int(n_items)
    max_s = int(s.max())
    if max_s == 0:
        raise ValueError("every response is scored 0: item parameters cannot be estimated")
    if is_dich and int(s.min()) == 1:
        raise ValueError("every response is correct: item parameters cannot be estimated")
    n_cat = 2 if is_dich else max_s + 1
    if not is_dich and n_cat < 2:
        raise ValueError("the graded response model needs at least two score categories")
    spec = _spec(mdl, n_cat)
    fixed_rows = _parse_fixed(fixed, n_it, spec, mdl)
    k_par = spec.col_free.size

    # ---- per-item descriptive counts and degenerate items ----
    cat_counts = np.bincount(i * n_cat + s, minlength=n_it * n_cat).reshape(n_it, n_cat)
    n_resp = cat_counts.sum(axis=1).astype(np.int64)
    flags = np.full(n_it, "ok", dtype="<U16")
    is_fixed = np.zeros(n_it, dtype=bool)
    is_fixed[list(fixed_rows)] = True
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
    degenerate = ~np.isin(flags, ("ok", "fixed"))
    if degenerate.any():
        bad = np.flatnonzero(degenerate)
        listed = ", ".join(f"{j} ({flags[j]})" for j in bad[:10])
        more = f" and {bad.size - 10} more" if bad.size > 10 else ""
        warnings.warn(
            f"{bad.size} item(s) cannot be calibrated and get NaN parameters: {listed}{more}",
            DegenerateItemWarning,
            stacklevel=2,
        )
    estimated = ~degenerate & ~is_fixed
    if not estimated.any():
        raise ValueError("no item can be estimated: every item is fixed or degenerate")

    # ---- starting values ----
    xi = np.full((n_it, k_par), np.nan)
    if is_dich:
        c0 = (pr.c_alpha - 1.0) / (pr.c_alpha + pr.c_beta - 2.0) if mdl == "3pl" else 0.0
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
    for j, row in fixed_rows.items():
        xi[j] = row
    xi[degenerate] = np.nan
    free = np.zeros((n_it, k_par), dtype=bool)
    free[estimated] = spec.col_free & ~np.isnan(xi[estimated])

    # ---- sparse design (degenerate items dropped) ----
    codes = i * n_cat + s
    if degenerate.any():
        keep = ~degenerate[i]
        p, codes = p[keep], codes[keep]
        del keep
    design = _build_design(p, codes, n_it * n_cat, dtype=np_dtype, block_size=block_size)
    del p, i, s, codes
    grid = np.linspace(lo, hi, n_quad)
    est_mean = bool(fixed_rows)
    est_sd = bool(fixed_rows) or mdl == "rasch"
    mu, sigma = 0.0, 1.0

    def table_for(x: FloatArray) -> NDArray[np.floating]:
        return _log_table(_bank_of(_placeholder(x, degenerate, spec), spec), grid, np_dtype)

    def e_step(x: FloatArray, log_prior: FloatArray) -> tuple[FloatArray, FloatArray, float]:
        table = table_for(x)
        lp = log_prior.astype(np_dtype)

        def work(_k: int, block: Block) -> tuple[FloatArray, FloatArray, float]:
            w, ll = _posterior_block(block, table, lp)
            counts = np.asarray(block.T @ w, dtype=np.float64)
            return counts, w.sum(axis=0, dtype=np.float64), float(ll.sum())

        parts = _map_blocks(work, design.blocks, n_jobs)
        counts = np.sum([c for c, _, _ in parts], axis=0)
        nodes = np.sum([n for _, n, _ in parts], axis=0)
        return counts, nodes, float(sum(v for _, _, v in parts))

    def expected_r(counts: FloatArray) -> FloatArray:
        return np.ascontiguousarray(counts.reshape(n_it, n_cat, n_quad).transpose(2, 0, 1))

    est_idx = np.flatnonzero(estimated)
    free_est = free[est_idx]

    def em_map(x: FloatArray, m: float, sd: float) -> tuple[FloatArray, float, float, float]:
        """One EM cycle from ``(xi, mu, sigma)``; also returns the log posterior there."""
        counts, nodes, ll = e_step(x, _normal_log_weights(grid, m, sd))
        new = x.copy()
        new[est_idx] = _mstep(x[est_idx], expected_r(counts)[:, est_idx], grid, spec, free_est, pr)
        total = nodes.sum()
        new_m = float(nodes @ grid / total) if est_mean else 0.0
        new_sd = float(np.sqrt(nodes @ (grid - new_m) ** 2 / total)) if est_sd else 1.0
        post = ll + float(_log_prior(x[est_idx], spec, free_est, pr, 0)[0].sum())
        return new, new_m, new_sd, post

    def change(x0: FloatArray, m0: float, s0: float, x1: FloatArray, m1: float, s1: float) -> float:
        d = float(np.nanmax(np.where(free, np.abs(x1 - x0), 0.0)))
        return max(d, abs(m1 - m0), abs(s1 - s0))

    def pack(x: FloatArray, m: float, sd: float) -> FloatArray:
        u = _to_working(x[est_idx], spec, free_est)[free_est]
        return np.concatenate([u, [m, np.log(sd)]])

    def unpack(vec: FloatArray) -> tuple[FloatArray, float, float]:
        x = xi.copy()
        u = _to_working(x[est_idx], spec, free_est)
        u[free_est] = vec[:-2]
        x[est_idx] = _from_working(u, spec, free_est)
        return x, float(vec[-2]), float(np.exp(vec[-1]))

    history: list[float] = []
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        # Plain EM step x0 -> x1; convergence is judged on plain steps only.
        x1, m1, s1, post0 = em_map(xi, mu, sigma)
        n_iter += 1
        history.append(post0)
        if change(xi, mu, sigma, x1, m1, s1) < tol:
            xi, mu, sigma, converged = x1, m1, s1, True
            break
        if not accelerate or n_iter >= max_iter:
            xi, mu, sigma = x1, m1, s1
            continue
        x2, m2, s2, post1 = em_map(x1, m1, s1)
        n_iter += 1
        history.append(post1)
        if change(x1, m1, s1, x2, m2, s2) < tol:
            xi, mu, sigma, converged = x2, m2, s2, True
            break
        # SQUAREM extrapolation (Varadhan & Roland, 2008, scheme S3), accepted only if
        # it does not lower the log posterior; otherwise continue from x2.
        p0, p1, p2 = pack(xi, mu, sigma), pack(x1, m1, s1), pack(x2, m2, s2)
        r, v = p1 - p0, p2 - 2.0 * p1 + p0
        ratio = float(np.sqrt(float(r @ r) / max(float(v @ v), 1e-300)))
        alpha = -min(max(ratio, 1.0), 50.0)
        x_ex, m_ex, s_ex = unpack(p0 - 2.0 * alpha * r + alpha**2 * v)
        xi, mu, sigma = x2, m2, s2
        if n_iter >= max_iter or not np.all(_valid(x_ex[est_idx], spec)):
            continue
        x3, m3, s3, post_ex = em_map(x_ex, m_ex, s_ex)
        n_iter += 1
        if post_ex >= post1:
            history.append(post_ex)
            xi, mu, sigma = x3, m3, s3
    if not converged:
        warnings.warn(
            f"EM did not converge in {max_iter} iterations (tol={tol}); "
            "estimates may be inaccurate",
            ConvergenceWarning,
            stacklevel=2,
        )

    # ---- final pass: log-likelihood and (optionally) observed information ----
    log_prior = _normal_log_weights(grid, mu, sigma)
    se = np.zeros((n_it, k_par))
    if compute_se:
        loglik, info = _louis_information(
            design,
            table_for(xi),
            log_prior.astype(np_dtype),
            _placeholder(xi, degenerate, spec),
            grid,
            spec,
            free,
            estimated,
            n_jobs,
        )
        info[:, np.arange(k_par), np.arange(k_par)] -= _prior_hessian_natural(xi, spec, free, pr)
        se, failed = _standard_errors(info, free, estimated)
        flags[failed] = "se_unavailable"
    else:
        loglik = e_step(xi, log_prior)[2]
    se[degenerate] = np.nan

    if spec.is_grm:
        a_out, b_out, c_out = xi[:, 0].copy(), xi[:, 1:].copy(), np.zeros(n_it)
        se_a, se_b, se_c = se[:, 0].copy(), se[:, 1:].copy(), np.zeros(n_it)
        se_b[np.isnan(b_out) & ~degenerate[:, None]] = np.nan
    else:
        a_out, b_out, c_out = xi[:, 0].copy(), xi[:, 1].copy(), xi[:, 2].copy()
        se_a, se_b, se_c = se[:, 0].copy(), se[:, 1].copy(), se[:, 2].copy()
    return ItemParameters(
        model=mdl,
        a=a_out,
        b=b_out,
        c=c_out,
        se_a=se_a,
        se_b=se_b,
        se_c=se_c,
        flags=flags,
        fixed=is_fixed,
        n_responses=n_resp,
        n_iter=n_iter,
        converged=converged,
        loglik=float(loglik),
        latent_mean=mu,
        latent_sd=sigma,
        history=tuple(history),
    )


def _louis_information(
    design: object,
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
    from hocvu.psychometrics.estimation import _Design

    assert isinstance(design, _Design)
    n_it, k_par = xi.shape
    n_cat, n_quad = spec.n_cat, grid.size
    p, d1, d2 = _kernel(spec.is_grm, grid, xi, 2)
    assert d1 is not None and d2 is not None
    p = np.maximum(p, _P_FLOOR)
    # Score of one response at each node, per code and parameter: (J * C, K, Q).
    g_tab = (d1 / p[..., None]).transpose(1, 2, 3, 0).reshape(n_it * n_cat, k_par, n_quad)
    g_tab = np.ascontiguousarray(np.where(np.isfinite(g_tab), g_tab, 0.0), dtype=table.dtype)
    pairs = [(k, m) for k in range(k_par) for m in range(k, k_par)]

    def work(_k: int, block: Block) -> tuple[FloatArray, FloatArray, float]:
        w, ll = _posterior_block(block, table, log_prior)
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

    parts = _map_blocks(work, design.blocks, n_jobs)
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
