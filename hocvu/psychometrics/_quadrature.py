"""Quadrature and the sparse posterior, shared by calibration and ability estimation.

Both :mod:`hocvu.psychometrics.calibration` (the E-step of Bock-Aitkin EM) and
:mod:`hocvu.psychometrics.estimation` (EAP for many persons) discretize ``theta`` on a
fixed grid of equally spaced nodes and need the same three things:

* a table of log category probabilities ``T[item * C + score, q] = log P(score | theta_q)``
  (:func:`log_table`);
* the responses as row blocks of a sparse persons x codes indicator matrix ``M``
  (:func:`build_design`), so that ``M @ T`` is every person's log-likelihood at every
  node without a dense persons x items matrix;
* the normalized posterior weights of a block, ``softmax(M @ T + log pi)``
  (:func:`posterior_block`), with the normal log weights ``log pi``
  (:func:`normal_log_weights`), computed block by block in threads (:func:`map_blocks`).

The nodes are equally spaced with normal weights (a rectangle rule; Bock & Aitkin,
1981; Bock & Mislevy, 1982) rather than Gauss-Hermite nodes, so one set of nodes serves
every latent mean and SD that the fixed-parameter calibration re-estimates each cycle.

References
----------
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item
parameters: Application of an EM algorithm. *Psychometrika*, 46(4), 443-459.

Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a
microcomputer environment. *Applied Psychological Measurement*, 6(4), 431-444.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from hocvu.psychometrics import grm, irt
from hocvu.psychometrics._validation import IntArray
from hocvu.psychometrics.irt import FloatArray

__all__ = [
    "P_FLOOR",
    "Bank",
    "Block",
    "Design",
    "build_design",
    "check_n_quad",
    "log_table",
    "map_blocks",
    "normal_log_weights",
    "posterior_block",
]

_T = TypeVar("_T")

#: Smallest probability taken to the log: keeps log tables and scores finite.
P_FLOOR = 1e-300

Block: TypeAlias = sp.csr_matrix | NDArray[np.floating]


@dataclass(frozen=True)
class Bank:
    """Validated item parameters: dichotomous (``grm=False``) or graded.

    Attributes
    ----------
    a, c : ndarray, shape ``(J,)``
        Discriminations and lower asymptotes (``c`` is unused by the GRM).
    b : ndarray, shape ``(J,)`` or ``(J, C - 1)``
        Difficulties, or GRM thresholds with trailing ``NaN`` for shorter items.
    grm : bool
        Whether ``b`` holds graded-response thresholds.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray
    grm: bool

    @property
    def n_items(self) -> int:
        return int(self.a.size)

    @property
    def n_categories(self) -> int:
        return int(self.b.shape[1]) + 1 if self.grm else 2

    def category_probs(self, theta: FloatArray) -> FloatArray:
        """Category probabilities on ``theta`` of shape ``(Q,)``: shape ``(Q, J, C)``."""
        if self.grm:
            return grm.category_prob(theta, self.a, self.b)
        p1 = irt.prob(theta[:, None], self.a, self.b, self.c)
        return np.stack([1.0 - p1, p1], axis=-1)

    def item_max_score(self) -> IntArray:
        if self.grm:
            return np.asarray((~np.isnan(self.b)).sum(axis=1), dtype=np.int64)
        return np.ones(self.n_items, dtype=np.int64)


def check_n_quad(n_quad: int) -> None:
    """Refuse grids too coarse to integrate over (fewer than 5 nodes)."""
    if n_quad < 5:
        raise ValueError(f"n_quad must be at least 5; got {n_quad}")


def log_table(bank: Bank, grid: FloatArray, dtype: type[np.floating]) -> NDArray[np.floating]:
    """Log category probabilities as a ``(J * C, Q)`` table indexed by ``item * C + score``."""
    p = np.clip(bank.category_probs(grid), P_FLOOR, 1.0)  # (Q, J, C)
    table = np.log(p).reshape(grid.size, -1).T
    return np.ascontiguousarray(table, dtype=dtype)


def normal_log_weights(grid: FloatArray, mean: float, sd: float) -> FloatArray:
    """Log quadrature weights ``log pi_q`` of ``N(mean, sd^2)`` on ``grid``, summing to 1."""
    z = (grid - mean) / sd
    lw = -0.5 * z * z
    lw -= np.log(np.exp(lw - lw.max()).sum()) + lw.max()
    return lw


@dataclass(frozen=True)
class Design:
    """Responses as row blocks of a persons x codes indicator matrix.

    ``code = item * n_categories + score``; persons are renumbered ``0..n_active-1``
    (``active`` maps them back). Blocks are sparse CSR matrices; when the data are dense
    (e.g. complete designs) and small enough they are stored as dense arrays instead,
    so that the products run in BLAS.
    """

    blocks: tuple[Block, ...]
    starts: tuple[int, ...]
    n_active: int
    active: IntArray
    n_codes: int


def build_design(
    person: IntArray,
    codes: IntArray,
    n_codes: int,
    *,
    n_persons: int | None = None,
    dtype: type[np.floating] = np.float64,
    block_size: int = 65536,
    dense_density: float = 0.1,
    dense_max_bytes: int = 2**30,
) -> Design:
    """Build the indicator matrix of ``(person, code)`` pairs, shape ``(n_active, n_codes)``,
    in row blocks of ``block_size`` persons."""
    n_total = int(person.max()) + 1 if n_persons is None else n_persons
    counts = np.bincount(person, minlength=n_total)
    present = counts > 0
    active = np.flatnonzero(present).astype(np.int64)
    new_index = np.cumsum(present) - 1
    rows = new_index[person].astype(np.int32)
    n_active = int(active.size)
    full = sp.coo_matrix(
        (np.ones(rows.size, dtype=dtype), (rows, codes.astype(np.int32))),
        shape=(n_active, n_codes),
    ).tocsr()
    del rows
    starts = tuple(range(0, n_active, block_size))
    cells = n_active * n_codes
    dense = (
        full.nnz >= dense_density * cells and cells * np.dtype(dtype).itemsize <= dense_max_bytes
    )
    blocks: tuple[Block, ...]
    if dense:
        blocks = tuple(full[s : s + block_size].toarray() for s in starts)
    else:
        blocks = tuple(full[s : s + block_size] for s in starts)
    return Design(blocks, starts, n_active, active, n_codes)


def _n_workers(n_jobs: int | None, n_tasks: int) -> int:
    cpus = os.cpu_count() or 1
    wanted = cpus if n_jobs is None or n_jobs <= 0 else n_jobs
    return max(1, min(wanted, n_tasks))


def map_blocks(
    fn: Callable[[int, Block], _T], blocks: Sequence[Block], n_jobs: int | None
) -> list[_T]:
    """Apply ``fn`` to each block, in threads (sparse products release the GIL).

    Dense blocks run one after the other: their products already use the BLAS threads,
    and stacking our threads on top of BLAS's oversubscribes the cores. Results come
    back in block order, so sums over them do not depend on the thread schedule.
    """
    dense = bool(blocks) and isinstance(blocks[0], np.ndarray)
    workers = 1 if dense else _n_workers(n_jobs, len(blocks))
    if workers == 1:
        return [fn(k, blk) for k, blk in enumerate(blocks)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, range(len(blocks)), blocks))


def posterior_block(
    block: Block, table: NDArray[np.floating], log_prior: NDArray[np.floating]
) -> tuple[NDArray[np.floating], FloatArray]:
    """Posterior weights ``(rows, Q)`` of one block and each row's log marginal likelihood."""
    w = np.asarray(block @ table)
    w += log_prior
    mx = w.max(axis=1, keepdims=True)
    w -= mx
    np.exp(w, out=w)
    total = w.sum(axis=1, keepdims=True)
    w /= total
    loglik = np.log(total[:, 0].astype(np.float64)) + mx[:, 0].astype(np.float64)
    return w, loglik
