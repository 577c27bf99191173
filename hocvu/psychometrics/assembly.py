"""Assembly of comparable test forms from a blueprint: random draws balanced at the cut.

A *blueprint* asks for ``counts[k]`` items from each cell ``k`` of the item pool (for the
certification exam, a cell is a competence at a level). Every candidate gets their own
form, and forms must be comparable: the same expected score and the same measurement
precision where the pass/fail decision is made. Both are properties of the form at the
cut score ``theta_c`` (Lord, 1980):

* the test characteristic curve (TCC) at the cut, ``sum_j P_j(theta_c)``, the expected
  number-correct score of a candidate exactly at the cut;
* the test information at the cut, ``sum_j I_j(theta_c)`` (Birnbaum, 1968), whose
  inverse square root is the standard error of ability there.

``P`` and ``I`` are the 3PL response function and item information of
:mod:`hocvu.psychometrics.irt` (:func:`~hocvu.psychometrics.irt.prob`,
:func:`~hocvu.psychometrics.irt.information`).

Method
------
1. **Target form** (:func:`form_target`): the average form of the blueprint, the sum
   over cells of ``counts[k]`` times the mean ``P`` (and mean ``I``) at the cut over the
   cell's items. Every form is held to it, so forms drawn for different candidates are
   parallel to one another.
2. **Random draw** (:func:`assemble_form`): from each cell, in blueprint order,
   ``counts[k]`` items are drawn without replacement with a seeded
   :class:`random.Random` (so a form is reproducible from its seed): the cell's eligible
   items in random order, each taken unless it is an *enemy* of an item already on the
   form (``enemies``: pairs of items that test the same thing and so never share a
   form). Items the candidate has already seen (``exclude``) are never eligible when
   ``reuse`` is false (a cell with too few others makes the form infeasible); with
   ``reuse`` true they are left out of a cell whenever it has enough others, otherwise
   the whole cell is eligible and the repeated items are reported. A draw that the enemy
   rule leaves short is retried with the next random order (:data:`DRAW_TRIES` times)
   before the form is declared infeasible (:class:`InfeasibleForm`).
3. **Greedy exchange**: while the form's deviation from the target exceeds the
   tolerance, the single swap of a chosen item for an unchosen eligible item *of the
   same cell* (so the blueprint holds) with no enemy on the rest of the form that most
   reduces the deviation is made, at most ``max_swaps`` times. The deviation is the
   larger of ``|TCC - target| / tcc_tolerance`` and
   ``|info - target| / (info_tolerance * target)``; a form is within tolerance when it
   is at most 1. This is a minimax item-exchange heuristic of
   the kind used to assemble parallel forms against a target TCC and information
   function (Ackerman, 1989; van der Linden, 2005), cheap enough to run per candidate.
4. The chosen items are shuffled with the same generator, so the order of the
   questions differs between forms too.

The random draws and the shuffle use Python's :class:`random.Random` rather than a
NumPy generator so that a form depends on nothing but its seed and the pool order.

References
----------
Ackerman, T. A. (1989). *An alternative methodology for creating parallel test forms
using the IRT information function*. Paper presented at the annual meeting of the
National Council on Measurement in Education, San Francisco.

Birnbaum, A. (1968). Some latent trait models and their use in inferring an examinee's
ability. In F. M. Lord & M. R. Novick, *Statistical theories of mental test scores*.
Addison-Wesley.

Lord, F. M. (1980). *Applications of item response theory to practical testing
problems*. Erlbaum.

van der Linden, W. J. (2005). *Linear models for optimal test design*. Springer.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hocvu.psychometrics import irt
from hocvu.psychometrics._validation import IntArray

__all__ = [
    "AssembledForm",
    "FormTarget",
    "InfeasibleForm",
    "assemble_form",
    "deviation",
    "form_target",
]

#: Random orders tried before a draw that the enemy rule leaves short is given up.
DRAW_TRIES = 50


class InfeasibleForm(ValueError):
    """No form meets the blueprint with the items allowed (too few unseen items in a
    cell, or the enemy rule leaves a cell short). ``cell``: the cell that fell short."""

    def __init__(self, message: str, cell: int) -> None:
        super().__init__(message)
        self.cell = cell


@dataclass(frozen=True)
class FormTarget:
    """What every form of a blueprint is held to.

    Attributes
    ----------
    tcc : float
        Expected score at the cut (test characteristic curve).
    info : float
        Test information at the cut.
    length : int
        Items per form (``sum(counts)``).
    """

    tcc: float
    info: float
    length: int


@dataclass(frozen=True)
class AssembledForm:
    """One assembled form.

    Attributes
    ----------
    items : ndarray of int, shape ``(length,)``
        Indices into the pool of the chosen items, in presentation order.
    tcc, info : float
        The form's expected score and information at the cut.
    swaps : int
        Exchanges made to bring the form within tolerance.
    reused : ndarray of int
        Chosen items that were in ``exclude`` (their cell had too few others), in the
        order they were drawn.
    """

    items: IntArray
    tcc: float
    info: float
    swaps: int
    reused: IntArray


@dataclass(frozen=True)
class _Pool:
    p: list[float]  # P(cut) per item
    info: list[float]  # I(cut) per item
    members: list[list[int]]  # item indices of each cell, in pool order
    counts: list[int]


def _prepare(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, cell: ArrayLike, counts: ArrayLike, cut: float
) -> _Pool:
    a_ = np.asarray(a, dtype=np.float64)
    b_ = np.asarray(b, dtype=np.float64)
    c_ = np.asarray(c, dtype=np.float64)
    cell_ = np.asarray(cell)
    counts_ = np.asarray(counts)
    if a_.ndim != 1 or a_.shape != b_.shape or a_.shape != c_.shape or a_.shape != cell_.shape:
        raise ValueError(
            "a, b, c and cell must be one-dimensional arrays of the same length; got shapes "
            f"{a_.shape}, {b_.shape}, {c_.shape}, {cell_.shape}"
        )
    if not (np.all(np.isfinite(a_)) and np.all(np.isfinite(b_)) and np.all(np.isfinite(c_))):
        raise ValueError("item parameters must be finite")
    if np.any(a_ <= 0):
        raise ValueError("discriminations a must be positive")
    if np.any((c_ < 0) | (c_ >= 1)):
        raise ValueError("lower asymptotes c must lie in [0, 1)")
    if not math.isfinite(cut):
        raise ValueError("cut must be finite")
    if (
        counts_.ndim != 1
        or (counts_.size and counts_.dtype.kind not in "iu")
        or np.any(counts_ < 0)
    ):
        raise ValueError("counts must be a one-dimensional array of non-negative integers")
    n_cells = int(counts_.size)
    if cell_.size and (cell_.dtype.kind not in "iu" or cell_.min() < -1 or cell_.max() >= n_cells):
        raise ValueError(f"cell must hold integers in -1..{n_cells - 1} (-1: in no cell)")
    members: list[list[int]] = [[] for _ in range(n_cells)]
    for j, k in enumerate(cell_.tolist()):
        if k >= 0:
            members[k].append(j)
    for k, (m, n) in enumerate(zip(members, counts_.tolist(), strict=True)):
        if len(m) < n:
            raise ValueError(f"cell {k} has {len(m)} items but the blueprint asks for {n}")
    p = irt.prob(cut, a_, b_, c_)
    inf = irt.information(cut, a_, b_, c_)
    return _Pool(p.tolist(), inf.tolist(), members, [int(n) for n in counts_.tolist()])


def form_target(
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    cell: ArrayLike,
    counts: ArrayLike,
    cut: float = 0.0,
) -> FormTarget:
    """The average form of the blueprint: expected score and information at the cut.

    Parameters
    ----------
    a, b, c : array_like of float, shape ``(n_items,)``
        3PL parameters of the pool, on the scale of ``cut``.
    cell : array_like of int, shape ``(n_items,)``
        The blueprint cell of each item, ``0..n_cells - 1``, or ``-1`` for none.
    counts : array_like of int, shape ``(n_cells,)``
        Items per form from each cell.
    cut : float
        The cut score.

    Returns
    -------
    FormTarget
        ``tcc = sum_k counts[k] * mean_{j in cell k} P_j(cut)``, likewise ``info``.

    Raises
    ------
    ValueError
        For mismatched shapes, invalid parameters, or a cell with fewer items than its
        count.
    """
    pool = _prepare(a, b, c, cell, counts, cut)
    return _target(pool)


def _target(pool: _Pool) -> FormTarget:
    tcc = info = 0.0
    for members, n in zip(pool.members, pool.counts, strict=True):
        if not members:
            continue  # an empty cell with count 0 adds nothing
        tcc += n * sum(pool.p[j] for j in members) / len(members)
        info += n * sum(pool.info[j] for j in members) / len(members)
    return FormTarget(tcc=tcc, info=info, length=sum(pool.counts))


def deviation(
    tcc: float,
    info: float,
    target: FormTarget,
    tcc_tolerance: float = 0.5,
    info_tolerance: float = 0.10,
) -> float:
    """The larger of the two deviations from ``target``, each in units of its tolerance
    (absolute for the expected score, relative for the information); ``<= 1``: within."""
    return max(
        abs(tcc - target.tcc) / tcc_tolerance,
        abs(info - target.info) / (info_tolerance * target.info) if target.info > 0 else 0.0,
    )


def assemble_form(
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    cell: ArrayLike,
    counts: ArrayLike,
    seed: int,
    *,
    exclude: ArrayLike | None = None,
    reuse: bool = True,
    enemies: Iterable[tuple[int, int]] = (),
    cut: float = 0.0,
    target: FormTarget | None = None,
    tcc_tolerance: float = 0.5,
    info_tolerance: float = 0.10,
    max_swaps: int = 60,
) -> AssembledForm:
    """Assemble one form: a seeded random draw per cell, then greedy exchanges within
    cells until the expected score and the information at the cut match the target.

    Parameters
    ----------
    a, b, c : array_like of float, shape ``(n_items,)``
        3PL parameters of the pool, on the scale of ``cut``.
    cell : array_like of int, shape ``(n_items,)``
        The blueprint cell of each item, ``0..n_cells - 1``, or ``-1`` for none. Within a
        cell, items are drawn from in pool order.
    counts : array_like of int, shape ``(n_cells,)``
        Items per form from each cell, drawn in cell order.
    seed : int
        Seed of the :class:`random.Random` that draws and orders the items.
    exclude : array_like of bool, shape ``(n_items,)``, optional
        Items to avoid (seen before).
    reuse : bool
        True: an excluded item is still used in a cell with too few others (and
        reported in ``reused``). False: never; such a cell raises :class:`InfeasibleForm`.
    enemies : iterable of (int, int)
        Pairs of pool indices that never share a form (symmetric).
    cut : float
        The cut score at which forms are balanced.
    target : FormTarget, optional
        Default :func:`form_target` of the same pool and blueprint.
    tcc_tolerance, info_tolerance : float
        Allowed deviation of the expected score (in score points) and of the
        information (as a fraction of the target's).
    max_swaps : int
        Exchanges tried at most.

    Returns
    -------
    AssembledForm

    Raises
    ------
    ValueError
        For mismatched shapes, invalid parameters or tolerances, or a cell with fewer
        items than its count.
    InfeasibleForm
        When the unseen items (``reuse`` false) or the enemy rule leave a cell short.

    Examples
    --------
    >>> form = assemble_form(
    ...     a=[1.0, 1.2, 0.8, 1.1], b=[-0.5, 0.0, 0.4, 1.0], c=[0.2, 0.0, 0.25, 0.0],
    ...     cell=[0, 0, 1, 1], counts=[1, 1], seed=7)
    >>> sorted(form.items.tolist()) in ([0, 2], [0, 3], [1, 2], [1, 3])
    True
    """
    if not (tcc_tolerance > 0 and info_tolerance > 0):
        raise ValueError("tcc_tolerance and info_tolerance must be positive")
    if max_swaps < 0:
        raise ValueError(f"max_swaps must be non-negative; got {max_swaps}")
    pool = _prepare(a, b, c, cell, counts, cut)
    n_items = len(pool.p)
    seen: NDArray[np.bool_] = np.zeros(n_items, dtype=bool)
    if exclude is not None:
        seen = np.asarray(exclude)
        if seen.shape != (n_items,) or (seen.dtype != np.bool_ and n_items > 0):
            raise ValueError(f"exclude must be a boolean array of shape ({n_items},)")
    is_seen = seen.tolist()
    if target is None:
        target = _target(pool)

    def dev(t: float, i: float) -> float:
        return deviation(t, i, target, tcc_tolerance, info_tolerance)

    foes: list[set[int]] = [set() for _ in range(n_items)]
    for x, y in enemies:
        if not (0 <= x < n_items and 0 <= y < n_items):
            raise ValueError(f"enemies must be pairs of indices in 0..{n_items - 1}")
        if x != y:
            foes[x].add(y)
            foes[y].add(x)

    rng = random.Random(seed)  # noqa: S311 - reproducible forms, not a secret  # nosec B311
    cells: list[list[int]] = []
    reuses: list[bool] = []
    for k, (members, n) in enumerate(zip(pool.members, pool.counts, strict=True)):
        fresh = [j for j in members if not is_seen[j]]
        if len(fresh) < n and not reuse:
            raise InfeasibleForm(
                f"cell {k} has {len(fresh)} unseen items but the blueprint asks for {n}", k
            )
        cells.append(fresh if len(fresh) >= n else members)
        reuses.append(len(fresh) < n)
    chosen = _draw(cells, pool.counts, foes, rng)
    reused = [j for k, picked in enumerate(chosen) if reuses[k] for j in picked if is_seen[j]]
    spare = [[j for j in cells[k] if j not in picked] for k, picked in enumerate(chosen)]
    on_form = {j for picked in chosen for j in picked}

    p, inf = pool.p, pool.info
    tcc = sum(p[j] for picked in chosen for j in picked)
    info = sum(inf[j] for picked in chosen for j in picked)
    swaps = 0
    current = dev(tcc, info)
    while current > 1.0 and swaps < max_swaps:
        best: tuple[float, int, int, int] | None = None
        for k in range(len(chosen)):
            for out_pos, out in enumerate(chosen[k]):
                for in_pos, new in enumerate(spare[k]):
                    if foes[new] and any(f in on_form and f != out for f in foes[new]):
                        continue
                    d = dev(tcc - p[out] + p[new], info - inf[out] + inf[new])
                    if d < current - 1e-12 and (best is None or d < best[0]):
                        best = (d, k, out_pos, in_pos)
        if best is None:
            break
        current, k, out_pos, in_pos = best
        out, new = chosen[k][out_pos], spare[k][in_pos]
        chosen[k][out_pos], spare[k][in_pos] = new, out
        on_form.discard(out)
        on_form.add(new)
        tcc += p[new] - p[out]
        info += inf[new] - inf[out]
        swaps += 1
    order = [j for picked in chosen for j in picked]
    rng.shuffle(order)  # the order of questions differs too
    return AssembledForm(
        items=np.asarray(order, dtype=np.int64),
        tcc=float(tcc),
        info=float(info),
        swaps=swaps,
        reused=np.asarray(reused, dtype=np.int64),
    )


def _draw(
    cells: list[list[int]], counts: list[int], foes: list[set[int]], rng: random.Random
) -> list[list[int]]:
    """``counts[k]`` items of each cell, no two of them enemies: the cell's items in a
    random order, each taken unless an enemy is already on the form; a draw left short
    is retried with new orders (:data:`DRAW_TRIES`) before giving up."""
    short = 0
    for _ in range(DRAW_TRIES):
        chosen: list[list[int]] = []
        on_form: set[int] = set()
        for k, (eligible, n) in enumerate(zip(cells, counts, strict=True)):
            picked: list[int] = []
            if not any(foes[j] for j in eligible):
                picked = rng.sample(eligible, n)  # the plain draw, when no enemy is near
                if any(foes[j] & on_form for j in picked):
                    picked = []
            if not picked and n:
                for j in rng.sample(eligible, len(eligible)):
                    if len(picked) == n:
                        break
                    if not foes[j] & on_form:
                        picked.append(j)
                        on_form.add(j)
            on_form.update(picked)
            if len(picked) < n:
                short = k
                break
            chosen.append(picked)
        else:
            return chosen
    raise InfeasibleForm(
        f"cell {short} cannot be filled without two enemies on one form "
        f"(tried {DRAW_TRIES} random orders)",
        short,
    )
