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

Estimator
---------
:class:`ItemCalibrator` follows scikit-learn's estimator convention (as its mixture
models do): the constructor stores the settings, :meth:`ItemCalibrator.fit` validates
the data, runs the EM cycles (:meth:`~ItemCalibrator._e_step`,
:meth:`~ItemCalibrator._m_step`) and sets the learned attributes, whose names end in
``_``. :func:`calibrate` is the same computation as one function call returning
:class:`ItemParameters`. The E-step machinery shared with ability estimation is in
:mod:`hocvu.psychometrics._quadrature`, the item-level numerics (kernels, priors,
Fisher scoring, observed information) in :mod:`hocvu.psychometrics._em_items`.

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
from typing import Literal, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics._em_items import (
    _bank_of,
    _from_working,
    _item_flags,
    _log_prior,
    _louis_information,
    _mstep,
    _parse_fixed,
    _placeholder,
    _prior_hessian_natural,
    _Spec,
    _spec,
    _standard_errors,
    _start_values,
    _to_working,
    _valid,
)
from hocvu.psychometrics._quadrature import (
    Block,
    Design,
    build_design,
    check_n_quad,
    log_table,
    map_blocks,
    normal_log_weights,
    posterior_block,
)
from hocvu.psychometrics._validation import (
    DICHOTOMOUS_MODELS,
    IntArray,
    check_model,
    check_positive,
    check_triples,
)
from hocvu.psychometrics.irt import FloatArray

__all__ = [
    "ConvergenceWarning",
    "DegenerateItemWarning",
    "ItemCalibrator",
    "ItemParameters",
    "Priors",
    "calibrate",
]


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
# Settings checks and convergence
# --------------------------------------------------------------------------------------


def _check_priors(pr: Priors) -> None:
    if pr.log_a_sd is not None:
        check_positive(pr.log_a_sd, "priors.log_a_sd")
    if pr.b_sd is not None:
        check_positive(pr.b_sd, "priors.b_sd")
    if not (pr.c_alpha >= 1.0 and pr.c_beta >= 1.0):
        raise ValueError("priors.c_alpha and priors.c_beta must be at least 1")


def _change(
    x0: FloatArray,
    m0: float,
    s0: float,
    x1: FloatArray,
    m1: float,
    s1: float,
    free: NDArray[np.bool_],
) -> float:
    """Largest absolute move of any estimated parameter, latent mean and SD included."""
    d = float(np.nanmax(np.where(free, np.abs(x1 - x0), 0.0)))
    return max(d, abs(m1 - m0), abs(s1 - s0))


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------


@dataclass
class _Problem:
    """One prepared calibration problem: the data and what is estimated.

    Built by :meth:`ItemCalibrator._prepare` and dropped when ``fit`` returns: it holds
    the design, the largest object of a run, which the fitted estimator does not keep.
    """

    model: str
    priors: Priors
    spec: _Spec
    grid: FloatArray  # (Q,)
    dtype: type[np.floating]
    design: Design
    flags: NDArray[np.str_]  # (J,)
    is_fixed: NDArray[np.bool_]  # (J,)
    n_resp: IntArray  # (J,)
    degenerate: NDArray[np.bool_]  # (J,)
    estimated: NDArray[np.bool_]  # (J,)
    free: NDArray[np.bool_]  # (J, K)
    start: FloatArray  # (J, K)
    est_mean: bool
    est_sd: bool

    def __post_init__(self) -> None:
        self.est_idx = np.flatnonzero(self.estimated)
        self.free_est = self.free[self.est_idx]

    @property
    def n_items(self) -> int:
        return int(self.flags.size)


class ItemCalibrator:
    """Item calibration by marginal maximum likelihood (Bock-Aitkin EM) on sparse data.

    Estimator-style (scikit-learn's convention): the constructor only stores the
    settings; :meth:`fit` validates the data, runs EM and sets the learned attributes.
    The algorithm is described in the module docstring.

    Parameters
    ----------
    model : {"2pl", "3pl", "rasch", "grm"}
        Item response model.
    priors : Priors, optional
        Item priors (default :class:`Priors()`).
    n_quad, quad_range : int, (float, float)
        Fixed quadrature grid (``n_quad`` equally spaced nodes on ``quad_range``).
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

    Attributes
    ----------
    model_ : str
        The validated model name.
    a_, c_ : ndarray, shape ``(n_items,)``
        Discriminations and lower asymptotes.
    b_ : ndarray, shape ``(n_items,)`` or ``(n_items, n_categories - 1)``
        Difficulties, or GRM thresholds.
    se_a_, se_b_, se_c_ : ndarray
        Standard errors (``0`` where fixed, ``NaN`` where not estimable).
    flags_ : ndarray of str, shape ``(n_items,)``
    fixed_ : ndarray of bool, shape ``(n_items,)``
    n_responses_ : ndarray of int, shape ``(n_items,)``
    n_iter_ : int
        E-steps run, extrapolation steps included.
    converged_ : bool
    loglik_ : float
        Marginal log-likelihood at the estimates (without the prior terms).
    latent_mean_, latent_sd_ : float
        The normal latent distribution (0 and 1 unless estimated).
    history_ : tuple of float
        Log posterior along the accepted EM path (non-decreasing).

    See :class:`ItemParameters` for the meaning of each value and
    :meth:`item_parameters` for all of them as one frozen record.

    Examples
    --------
    >>> from hocvu.psychometrics.simulate import simulate_bank, simulate_responses, to_triples
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> bank = simulate_bank(10, rng=rng)
    >>> x = simulate_responses(rng.standard_normal(500), bank, rng=rng)
    >>> est = ItemCalibrator("2pl").fit(*to_triples(x))
    >>> est.converged_, est.a_.shape
    (True, (10,))
    """

    model_: str
    a_: FloatArray
    b_: FloatArray
    c_: FloatArray
    se_a_: FloatArray
    se_b_: FloatArray
    se_c_: FloatArray
    flags_: NDArray[np.str_]
    fixed_: NDArray[np.bool_]
    n_responses_: IntArray
    n_iter_: int
    converged_: bool
    loglik_: float
    latent_mean_: float
    latent_sd_: float
    history_: tuple[float, ...]

    def __init__(
        self,
        model: str = "2pl",
        *,
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
    ) -> None:
        self.model = model
        self.priors = priors
        self.n_quad = n_quad
        self.quad_range = quad_range
        self.max_iter = max_iter
        self.tol = tol
        self.compute_se = compute_se
        self.accelerate = accelerate
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.block_size = block_size

    # ---- public API ----

    def fit(
        self,
        person: ArrayLike,
        item: ArrayLike,
        score: ArrayLike,
        *,
        n_items: int | None = None,
        fixed: Mapping[int, Sequence[float]] | None = None,
    ) -> Self:
        """Calibrate the items from response triples.

        Parameters
        ----------
        person, item, score : array_like of int, shape ``(n_obs,)``
            One row per observed response. ``score`` is 0/1 for ``"rasch"``, ``"2pl"``
            and ``"3pl"`` and ``0..K-1`` for ``"grm"``. Each (person, item) pair should
            appear at most once.
        n_items : int, optional
            Bank size (default ``max(item) + 1``). Items without responses are flagged.
        fixed : mapping of int to sequence of float, optional
            Items whose parameters are held fixed (anchors), e.g. ``{0: (1.2, -0.4)}``:
            ``(a, b)`` or ``(a, b, c)``; ``(b,)`` for the Rasch model;
            ``(a, b_1, ..., b_k)`` for the GRM. When given, the mean and SD of the
            latent distribution are estimated instead of being fixed at 0 and 1, so the
            other items are put on the anchors' scale.

        Returns
        -------
        self
            With the learned attributes set.

        Raises
        ------
        ValueError
            For malformed settings or input: mismatched lengths, NaN, negative indices,
            scores out of range (not 0/1 for dichotomous models), empty data, data with
            every response correct (or every response wrong), or no estimable item.

        Warns
        -----
        DegenerateItemWarning
            For items with no responses, or answered correctly (or wrongly) by everyone.
        ConvergenceWarning
            If ``max_iter`` is reached.
        """
        return self._fit(person, item, score, n_items, fixed)

    def item_parameters(self) -> ItemParameters:
        """The learned attributes as one frozen :class:`ItemParameters` record."""
        if not hasattr(self, "n_iter_"):
            raise AttributeError("this ItemCalibrator is not fitted yet: call fit() first")
        return ItemParameters(
            model=self.model_,
            a=self.a_,
            b=self.b_,
            c=self.c_,
            se_a=self.se_a_,
            se_b=self.se_b_,
            se_c=self.se_c_,
            flags=self.flags_,
            fixed=self.fixed_,
            n_responses=self.n_responses_,
            n_iter=self.n_iter_,
            converged=self.converged_,
            loglik=self.loglik_,
            latent_mean=self.latent_mean_,
            latent_sd=self.latent_sd_,
            history=self.history_,
        )

    # ---- fitting ----

    # Warnings are raised with stacklevel counted from here: ``fit`` and ``calibrate``
    # both call ``_fit`` directly, so the warning points at their caller either way.

    def _fit(
        self,
        person: ArrayLike,
        item: ArrayLike,
        score: ArrayLike,
        n_items: int | None,
        fixed: Mapping[int, Sequence[float]] | None,
    ) -> Self:
        mdl, pr, grid, np_dtype = self._check_settings()
        prob = self._prepare(mdl, pr, grid, np_dtype, person, item, score, n_items, fixed)
        xi, mu, sigma, n_iter, converged, history = self._run_em(prob)
        if not converged:
            warnings.warn(
                f"EM did not converge in {self.max_iter} iterations (tol={self.tol}); "
                "estimates may be inaccurate",
                ConvergenceWarning,
                stacklevel=3,
            )
        loglik, se = self._final_pass(prob, xi, mu, sigma)
        self._set_results(prob, xi, se, mu, sigma, loglik, n_iter, converged, history)
        return self

    def _check_settings(self) -> tuple[str, Priors, FloatArray, type[np.floating]]:
        """Validate the constructor's settings; return the model, priors, grid, dtype."""
        mdl = check_model(self.model)
        pr = Priors() if self.priors is None else self.priors
        _check_priors(pr)
        check_n_quad(self.n_quad)
        lo, hi = float(self.quad_range[0]), float(self.quad_range[1])
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(
                f"quad_range must be two finite increasing numbers; got {self.quad_range}"
            )
        check_positive(self.tol, "tol")
        if self.dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32'; got {self.dtype!r}")
        np_dtype: type[np.floating] = np.float64 if self.dtype == "float64" else np.float32
        return mdl, pr, np.linspace(lo, hi, self.n_quad), np_dtype

    def _prepare(
        self,
        mdl: str,
        pr: Priors,
        grid: FloatArray,
        np_dtype: type[np.floating],
        person: ArrayLike,
        item: ArrayLike,
        score: ArrayLike,
        n_items: int | None,
        fixed: Mapping[int, Sequence[float]] | None,
    ) -> _Problem:
        """Validate the data, flag degenerate items, choose starting values and build
        the sparse design (degenerate items' responses dropped)."""
        is_dich = mdl in DICHOTOMOUS_MODELS
        p, i, s = check_triples(
            person,
            item,
            score,
            max_score=1 if is_dich else None,
            n_items=n_items,
            dichotomous=is_dich,
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

        cat_counts = np.bincount(i * n_cat + s, minlength=n_it * n_cat).reshape(n_it, n_cat)
        n_resp = cat_counts.sum(axis=1).astype(np.int64)
        is_fixed = np.zeros(n_it, dtype=bool)
        is_fixed[list(fixed_rows)] = True
        flags, item_top = _item_flags(cat_counts, n_resp, is_fixed, is_dich)
        degenerate = ~np.isin(flags, ("ok", "fixed"))
        if degenerate.any():
            bad = np.flatnonzero(degenerate)
            listed = ", ".join(f"{j} ({flags[j]})" for j in bad[:10])
            more = f" and {bad.size - 10} more" if bad.size > 10 else ""
            warnings.warn(
                f"{bad.size} item(s) cannot be calibrated and get NaN parameters: {listed}{more}",
                DegenerateItemWarning,
                stacklevel=4,  # _prepare < _fit < fit or calibrate < their caller
            )
        estimated = ~degenerate & ~is_fixed
        if not estimated.any():
            raise ValueError("no item can be estimated: every item is fixed or degenerate")

        xi = _start_values(mdl, pr, cat_counts, n_resp, item_top, k_par)
        for j, row in fixed_rows.items():
            xi[j] = row
        xi[degenerate] = np.nan
        free = np.zeros((n_it, k_par), dtype=bool)
        free[estimated] = spec.col_free & ~np.isnan(xi[estimated])

        codes = i * n_cat + s
        if degenerate.any():
            keep = ~degenerate[i]
            p, codes = p[keep], codes[keep]
            del keep
        design = build_design(p, codes, n_it * n_cat, dtype=np_dtype, block_size=self.block_size)
        del p, i, s, codes
        return _Problem(
            model=mdl,
            priors=pr,
            spec=spec,
            grid=grid,
            dtype=np_dtype,
            design=design,
            flags=flags,
            is_fixed=is_fixed,
            n_resp=n_resp,
            degenerate=degenerate,
            estimated=estimated,
            free=free,
            start=xi,
            est_mean=bool(fixed_rows),
            est_sd=bool(fixed_rows) or mdl == "rasch",
        )

    # ---- EM ----

    def _log_table(self, prob: _Problem, xi: FloatArray) -> NDArray[np.floating]:
        """``log P(score | theta_q)`` table ``(J * C, Q)`` at the parameters ``xi``."""
        stand_in = _placeholder(xi, prob.degenerate, prob.spec)
        return log_table(_bank_of(stand_in, prob.spec), prob.grid, prob.dtype)

    def _e_step(
        self, prob: _Problem, xi: FloatArray, log_weights: FloatArray
    ) -> tuple[FloatArray, FloatArray, float]:
        """E-step: every person's posterior over the nodes, summed into expected counts.

        Parameters
        ----------
        prob : _Problem
        xi : ndarray, shape ``(J, K)``
            Item parameters.
        log_weights : ndarray, shape ``(Q,)``
            Log quadrature weights of the latent distribution.

        Returns
        -------
        counts : ndarray, shape ``(J * C, Q)``
            Expected number of persons at node ``q`` giving response ``code``.
        nodes : ndarray, shape ``(Q,)``
            Expected number of persons at each node.
        loglik : float
            Marginal log-likelihood of the data at ``xi``.
        """
        table = self._log_table(prob, xi)
        lp = log_weights.astype(prob.dtype)

        def work(_k: int, block: Block) -> tuple[FloatArray, FloatArray, float]:
            w, ll = posterior_block(block, table, lp)
            counts = np.asarray(block.T @ w, dtype=np.float64)
            return counts, w.sum(axis=0, dtype=np.float64), float(ll.sum())

        parts = map_blocks(work, prob.design.blocks, self.n_jobs)
        counts = np.sum([c for c, _, _ in parts], axis=0)
        nodes = np.sum([n for _, n, _ in parts], axis=0)
        return counts, nodes, float(sum(v for _, _, v in parts))

    def _m_step(
        self, prob: _Problem, xi: FloatArray, counts: FloatArray, nodes: FloatArray
    ) -> tuple[FloatArray, float, float]:
        """M-step: Fisher scoring of every estimated item on its expected counts, and
        the latent mean and SD from the node totals where they are estimated.

        Returns the new ``xi`` ``(J, K)``, latent mean and latent SD.
        """
        grid = prob.grid
        r = counts.reshape(prob.n_items, prob.spec.n_cat, grid.size).transpose(2, 0, 1)
        r = np.ascontiguousarray(r)  # (Q, J, C)
        new = xi.copy()
        new[prob.est_idx] = _mstep(
            xi[prob.est_idx], r[:, prob.est_idx], grid, prob.spec, prob.free_est, prob.priors
        )
        total = nodes.sum()
        new_m = float(nodes @ grid / total) if prob.est_mean else 0.0
        new_sd = float(np.sqrt(nodes @ (grid - new_m) ** 2 / total)) if prob.est_sd else 1.0
        return new, new_m, new_sd

    def _em_cycle(
        self, prob: _Problem, xi: FloatArray, mu: float, sigma: float
    ) -> tuple[FloatArray, float, float, float]:
        """One EM cycle from ``(xi, mu, sigma)``; also returns the log posterior there."""
        counts, nodes, ll = self._e_step(prob, xi, normal_log_weights(prob.grid, mu, sigma))
        new, new_m, new_sd = self._m_step(prob, xi, counts, nodes)
        prior = _log_prior(xi[prob.est_idx], prob.spec, prob.free_est, prob.priors, 0)[0]
        return new, new_m, new_sd, ll + float(prior.sum())

    def _pack(self, prob: _Problem, xi: FloatArray, mu: float, sigma: float) -> FloatArray:
        """The estimated values as one working-scale vector (for SQUAREM)."""
        u = _to_working(xi[prob.est_idx], prob.spec, prob.free_est)[prob.free_est]
        return np.concatenate([u, [mu, np.log(sigma)]])

    def _unpack(
        self, prob: _Problem, vec: FloatArray, base: FloatArray
    ) -> tuple[FloatArray, float, float]:
        """Inverse of :meth:`_pack`; items not estimated keep their rows of ``base``."""
        x = base.copy()
        u = _to_working(x[prob.est_idx], prob.spec, prob.free_est)
        u[prob.free_est] = vec[:-2]
        x[prob.est_idx] = _from_working(u, prob.spec, prob.free_est)
        return x, float(vec[-2]), float(np.exp(vec[-1]))

    def _run_em(self, prob: _Problem) -> tuple[FloatArray, float, float, int, bool, list[float]]:
        """EM cycles, SQUAREM-accelerated, until convergence or ``max_iter`` E-steps.

        Returns ``(xi, mu, sigma, n_iter, converged, history)``.
        """
        xi, mu, sigma = prob.start, 0.0, 1.0
        tol, max_iter, free = self.tol, self.max_iter, prob.free
        history: list[float] = []
        converged = False
        n_iter = 0
        while n_iter < max_iter:
            # Plain EM step x0 -> x1; convergence is judged on plain steps only.
            x1, m1, s1, post0 = self._em_cycle(prob, xi, mu, sigma)
            n_iter += 1
            history.append(post0)
            if _change(xi, mu, sigma, x1, m1, s1, free) < tol:
                xi, mu, sigma, converged = x1, m1, s1, True
                break
            if not self.accelerate or n_iter >= max_iter:
                xi, mu, sigma = x1, m1, s1
                continue
            x2, m2, s2, post1 = self._em_cycle(prob, x1, m1, s1)
            n_iter += 1
            history.append(post1)
            if _change(x1, m1, s1, x2, m2, s2, free) < tol:
                xi, mu, sigma, converged = x2, m2, s2, True
                break
            # SQUAREM extrapolation (Varadhan & Roland, 2008, scheme S3), accepted only if
            # it does not lower the log posterior; otherwise continue from x2.
            p0 = self._pack(prob, xi, mu, sigma)
            p1 = self._pack(prob, x1, m1, s1)
            p2 = self._pack(prob, x2, m2, s2)
            r, v = p1 - p0, p2 - 2.0 * p1 + p0
            ratio = float(np.sqrt(float(r @ r) / max(float(v @ v), 1e-300)))
            alpha = -min(max(ratio, 1.0), 50.0)
            x_ex, m_ex, s_ex = self._unpack(prob, p0 - 2.0 * alpha * r + alpha**2 * v, xi)
            xi, mu, sigma = x2, m2, s2
            if n_iter >= max_iter or not np.all(_valid(x_ex[prob.est_idx], prob.spec)):
                continue
            x3, m3, s3, post_ex = self._em_cycle(prob, x_ex, m_ex, s_ex)
            n_iter += 1
            if post_ex >= post1:
                history.append(post_ex)
                xi, mu, sigma = x3, m3, s3
        return xi, mu, sigma, n_iter, converged, history

    def _final_pass(
        self, prob: _Problem, xi: FloatArray, mu: float, sigma: float
    ) -> tuple[float, FloatArray]:
        """Log-likelihood at the estimates and (with ``compute_se``) standard errors
        ``(J, K)`` from the observed information (Louis, 1982); flags items whose
        information is not positive definite."""
        log_weights = normal_log_weights(prob.grid, mu, sigma)
        k_par = prob.spec.col_free.size
        se = np.zeros((prob.n_items, k_par))
        if self.compute_se:
            loglik, info = _louis_information(
                prob.design,
                self._log_table(prob, xi),
                log_weights.astype(prob.dtype),
                _placeholder(xi, prob.degenerate, prob.spec),
                prob.grid,
                prob.spec,
                prob.free,
                prob.estimated,
                self.n_jobs,
            )
            diag = np.arange(k_par)
            info[:, diag, diag] -= _prior_hessian_natural(xi, prob.spec, prob.free, prob.priors)
            se, failed = _standard_errors(info, prob.free, prob.estimated)
            prob.flags[failed] = "se_unavailable"
        else:
            loglik = self._e_step(prob, xi, log_weights)[2]
        se[prob.degenerate] = np.nan
        return loglik, se

    def _set_results(
        self,
        prob: _Problem,
        xi: FloatArray,
        se: FloatArray,
        mu: float,
        sigma: float,
        loglik: float,
        n_iter: int,
        converged: bool,
        history: list[float],
    ) -> None:
        n_it = prob.n_items
        if prob.spec.is_grm:
            a_out, b_out, c_out = xi[:, 0].copy(), xi[:, 1:].copy(), np.zeros(n_it)
            se_a, se_b, se_c = se[:, 0].copy(), se[:, 1:].copy(), np.zeros(n_it)
            se_b[np.isnan(b_out) & ~prob.degenerate[:, None]] = np.nan
        else:
            a_out, b_out, c_out = xi[:, 0].copy(), xi[:, 1].copy(), xi[:, 2].copy()
            se_a, se_b, se_c = se[:, 0].copy(), se[:, 1].copy(), se[:, 2].copy()
        self.model_ = prob.model
        self.a_, self.b_, self.c_ = a_out, b_out, c_out
        self.se_a_, self.se_b_, self.se_c_ = se_a, se_b, se_c
        self.flags_ = prob.flags
        self.fixed_ = prob.is_fixed
        self.n_responses_ = prob.n_resp
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.loglik_ = float(loglik)
        self.latent_mean_ = mu
        self.latent_sd_ = sigma
        self.history_ = tuple(history)


# --------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------


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

    The same as ``ItemCalibrator(model, priors=..., ...).fit(person, item, score,
    n_items=n_items, fixed=fixed).item_parameters()``: the settings are those of
    :class:`ItemCalibrator`, the data and anchors those of :meth:`ItemCalibrator.fit`,
    whose docstrings describe them, and the errors and warnings.

    Returns
    -------
    ItemParameters

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
    est = ItemCalibrator(
        model,
        priors=priors,
        n_quad=n_quad,
        quad_range=quad_range,
        max_iter=max_iter,
        tol=tol,
        compute_se=compute_se,
        accelerate=accelerate,
        dtype=dtype,
        n_jobs=n_jobs,
        block_size=block_size,
    )
    # _fit rather than fit: the same call depth, so warnings point at our caller.
    return est._fit(person, item, score, n_items, fixed).item_parameters()
