"""Standard setting: the bookmark method on the ordered item booklet, and its accuracy.

A *cut score* says where on the ability scale a level is reached. This module sets it by
the **bookmark method** (Lewis, Mitzel & Green, 1996; Mitzel, Lewis, Patz & Green, 2001)
with a response probability of 2/3 (RP67):

1. **Ordered item booklet (OIB).** Every item is placed at its *RP location*, the ability
   at which a candidate answers it correctly with probability ``rp``. Under the 3PL
   (:mod:`hocvu.psychometrics.irt`), ``c + (1 - c) / (1 + exp(-a (theta - b))) = rp``
   gives ``theta_rp = b + log((rp - c) / (1 - rp)) / a`` (defined for ``c < rp``). The
   booklet lists the items from the lowest RP location to the highest.
2. **Bookmark.** For a level ``L`` a panellist pictures the *just-qualified candidate*
   (JQC) of level ``L`` and goes through the booklet asking "would the JQC answer this
   item correctly with probability at least 2/3?"; the bookmark goes after the last
   page where the answer is still yes.
3. **Cut.** The cut of level ``L`` is the RP location of the last page before the
   bookmark: the ability at which the JQC has exactly a 2/3 chance on the hardest item
   they must master. With several panellists, the cut is the median of their cuts
   (:func:`panel_cut`), reported with its standard error over panellists.

Panel judgements from the level descriptors
--------------------------------------------
:func:`descriptor_bookmark` places the bookmark the way the framework's descriptors
answer the panel's question. Each item is written for one level, to test that level's
can-do statement, and a higher level includes the lower ones; so the JQC of level ``L``
must master every item written for a level ``<= L`` and no item written for a higher
level. Because RP locations of different levels interleave in the booklet, no bookmark
agrees with every judgement; the bookmark is put where the fewest judgements are
contradicted (items of level ``> L`` before it plus items of level ``<= L`` after it),
the rule item-descriptor matching uses for its threshold region (Ferrara, Perie &
Johnson, 2008). For the highest level every item must be mastered, so its bookmark
follows the last page. :func:`bookmark_standard` runs the whole procedure for every
level and reports the inputs with the result, so the decision can be recorded and
re-derived (``hocvu/content/data/standards.toml``, decision 0010).

Accuracy and consistency at a cut
---------------------------------
:func:`rudner_indices` gives Rudner's (2001, 2005) expected classification accuracy and
consistency from ability estimates and their standard errors;
:func:`classification_agreement` the same figures from a simulation with known true
abilities and two parallel forms.

References
----------
Ferrara, S., Perie, M., & Johnson, E. (2008). Matching the judgmental task with standard
setting panelist expertise: The item-descriptor (ID) matching method. *Journal of Applied
Testing Technology*, 9(1), 1-22.

Lewis, D. M., Mitzel, H. C., & Green, D. R. (1996). *Standard setting: A bookmark
approach*. Symposium at the Council of Chief State School Officers National Conference
on Large-Scale Assessment, Phoenix, AZ.

Mitzel, H. C., Lewis, D. M., Patz, R. J., & Green, D. R. (2001). The bookmark procedure:
Psychological perspectives. In G. J. Cizek (Ed.), *Setting Performance Standards:
Concepts, Methods, and Perspectives* (pp. 249-281). Erlbaum.

Rudner, L. M. (2001). Computing the expected proportions of misclassified examinees.
*Practical Assessment, Research & Evaluation*, 7(14).

Rudner, L. M. (2005). Expected classification accuracy. *Practical Assessment, Research
& Evaluation*, 10(13).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr

from hocvu.psychometrics.irt import FloatArray, prob

__all__ = [
    "RP67",
    "AgreementReport",
    "BookmarkResult",
    "OrderedItemBooklet",
    "StandardResult",
    "bookmark_cut",
    "bookmark_standard",
    "classification_agreement",
    "descriptor_bookmark",
    "ordered_item_booklet",
    "panel_cut",
    "rp_location",
    "rudner_indices",
]

#: The response probability of the bookmark method as usually run (2/3).
RP67 = 0.67


def rp_location(a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0, rp: float = RP67) -> FloatArray:
    """The ability at which a 3PL item is answered correctly with probability ``rp``.

    Parameters
    ----------
    a, b, c : array_like
        Item parameters (logistic metric).
    rp : float
        Response probability, in ``(0, 1)``.

    Returns
    -------
    ndarray
        ``b + log((rp - c) / (1 - rp)) / a``.

    Raises
    ------
    ValueError
        If ``rp`` is outside ``(0, 1)``, a parameter is not finite, ``a <= 0``, or an
        item's lower asymptote ``c`` is at least ``rp`` (guessing alone reaches it: the
        item has no RP location).
    """
    if not 0.0 < rp < 1.0:
        raise ValueError(f"rp must be in (0, 1), got {rp}")
    a_, b_, c_ = (np.asarray(x, dtype=np.float64) for x in (a, b, c))
    a_, b_, c_ = np.broadcast_arrays(a_, b_, c_)
    if not (np.all(np.isfinite(a_)) and np.all(np.isfinite(b_)) and np.all(np.isfinite(c_))):
        raise ValueError("item parameters must be finite")
    if np.any(a_ <= 0):
        raise ValueError("discrimination a must be positive")
    if np.any(c_ < 0) or np.any(c_ >= rp):
        raise ValueError(f"every lower asymptote c must be in [0, rp={rp})")
    out: FloatArray = b_ + np.log((rp - c_) / (1.0 - rp)) / a_
    return out


@dataclass(frozen=True)
class OrderedItemBooklet:
    """Items sorted by RP location (page 1 is the easiest).

    Attributes
    ----------
    ids : tuple of str
        Item ids in booklet order.
    locations : ndarray
        RP location of each page (non-decreasing).
    levels : ndarray of int
        The level each item was written for.
    rp : float
    """

    ids: tuple[str, ...]
    locations: FloatArray
    levels: NDArray[np.int64]
    rp: float

    def __len__(self) -> int:
        return len(self.ids)


def ordered_item_booklet(
    ids: Sequence[str],
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    levels: ArrayLike,
    rp: float = RP67,
) -> OrderedItemBooklet:
    """Build the ordered item booklet.

    Items with equal RP locations keep a stable order by id, so the booklet does not
    depend on the order the items were read in.

    Raises
    ------
    ValueError
        On an empty or inconsistent item list, duplicate ids or invalid parameters
        (see :func:`rp_location`).
    """
    ids_t = tuple(str(i) for i in ids)
    n = len(ids_t)
    if n == 0:
        raise ValueError("the booklet needs at least one item")
    if len(set(ids_t)) != n:
        raise ValueError("item ids must be unique")
    lv = np.asarray(levels)
    arrays = [np.asarray(x, dtype=np.float64) for x in (a, b, c)]
    if any(x.shape != (n,) for x in arrays) or lv.shape != (n,):
        raise ValueError("a, b, c and levels need one value per item")
    if not np.all(np.isfinite(lv.astype(np.float64))) or np.any(lv != np.round(lv)):
        raise ValueError("levels must be integers")
    if np.any(lv < 1):
        raise ValueError("levels start at 1")
    loc = rp_location(arrays[0], arrays[1], arrays[2], rp=rp)
    order = sorted(range(n), key=lambda i: (float(loc[i]), ids_t[i]))
    return OrderedItemBooklet(
        ids=tuple(ids_t[i] for i in order),
        locations=np.asarray(loc[order], dtype=np.float64),
        levels=np.asarray(lv[order], dtype=np.int64),
        rp=float(rp),
    )


def bookmark_cut(booklet: OrderedItemBooklet, bookmark: int) -> float:
    """The cut of a bookmark: the RP location of the last page before it.

    Parameters
    ----------
    booklet : OrderedItemBooklet
    bookmark : int
        The number of pages the JQC masters (the bookmark sits after page
        ``bookmark``), from 1 to ``len(booklet)``.

    Raises
    ------
    ValueError
        If the bookmark is outside the booklet (before the first page no cut exists:
        the JQC would master nothing in it).
    """
    if isinstance(bookmark, bool) or not isinstance(bookmark, int | np.integer):
        raise ValueError("the bookmark must be a page number")
    if not 1 <= bookmark <= len(booklet):
        raise ValueError(f"the bookmark must be after a page from 1 to {len(booklet)}")
    return float(booklet.locations[int(bookmark) - 1])


@dataclass(frozen=True)
class BookmarkResult:
    """A bookmark placed from the descriptors, with the judgements it contradicts."""

    level: int
    bookmark: int
    cut: float
    contradicted: int
    above_before: int  # items of a higher level before the bookmark
    mastered_after: int  # items of level <= L after it
    ties: tuple[int, ...]  # every bookmark with the same (fewest) contradictions


def descriptor_bookmark(booklet: OrderedItemBooklet, level: int) -> BookmarkResult:
    """The bookmark of ``level`` that contradicts the fewest descriptor judgements.

    Judgement per page: the JQC of ``level`` masters items written for levels
    ``<= level`` and not items of higher levels. A bookmark after page ``k``
    contradicts the higher-level items on pages ``1..k`` and the lower-or-equal-level
    items on pages ``k+1..n``. Among equally good bookmarks the median one is taken
    (the panel's median, the usual way to combine bookmarks).

    Raises
    ------
    ValueError
        If no item is written for a level ``<= level`` (the JQC would have nothing to
        master).
    """
    lv = booklet.levels
    mastered = lv <= level
    if not mastered.any():
        raise ValueError(f"no item is written for level {level} or below")
    # contradicted(k) for k = 1..n: higher-level items among the first k pages plus
    # mastered items among the rest.
    above_before = np.cumsum(~mastered)
    mastered_after = int(mastered.sum()) - np.cumsum(mastered)
    contradicted = above_before + mastered_after
    best = int(contradicted.min())
    ties = tuple(int(k) + 1 for k in np.flatnonzero(contradicted == best))
    k = ties[(len(ties) - 1) // 2]
    return BookmarkResult(
        level=int(level),
        bookmark=k,
        cut=bookmark_cut(booklet, k),
        contradicted=best,
        above_before=int(above_before[k - 1]),
        mastered_after=int(mastered_after[k - 1]),
        ties=ties,
    )


def panel_cut(booklet: OrderedItemBooklet, bookmarks: Sequence[int]) -> tuple[float, float]:
    """The panel's cut from each panellist's bookmark: ``(median cut, standard error)``.

    The standard error is the SD of the panellists' cuts over ``sqrt(n)`` (0 for one
    panellist), the usual measure of how much the cut depends on who sat on the panel.
    """
    if len(bookmarks) == 0:
        raise ValueError("at least one bookmark is required")
    cuts = np.array([bookmark_cut(booklet, int(k)) for k in bookmarks])
    se = float(cuts.std(ddof=1) / math.sqrt(cuts.size)) if cuts.size > 1 else 0.0
    return float(np.median(cuts)), se


@dataclass(frozen=True)
class StandardResult:
    """The standard for every level, with its inputs.

    ``cuts[L]`` is the ability at which level ``L`` is reached; ``bookmarks[L]`` the
    bookmark it came from; ``expected_correct[L][M]`` the expected share of correct
    answers of a candidate at ``cuts[L]`` on the items written for level ``M`` (what
    the cut means in plain words).
    """

    method: str
    rp: float
    n_items: int
    items_per_level: Mapping[int, int]
    cuts: Mapping[int, float]
    bookmarks: Mapping[int, BookmarkResult]
    expected_correct: Mapping[int, Mapping[int, float]] = field(default_factory=dict)


def bookmark_standard(
    ids: Sequence[str],
    a: ArrayLike,
    b: ArrayLike,
    c: ArrayLike,
    levels: ArrayLike,
    *,
    rp: float = RP67,
) -> StandardResult:
    """Cut scores for every level by the bookmark method with descriptor judgements.

    Parameters
    ----------
    ids, a, b, c, levels
        The items of the booklet: ids, 3PL parameters and the level each was written
        for (1..L).
    rp : float
        Response probability (default RP67).

    Returns
    -------
    StandardResult

    Raises
    ------
    ValueError
        On invalid items, or when the cuts would not increase with the level (the bank
        does not order its levels: the booklet cannot support a standard).
    """
    booklet = ordered_item_booklet(ids, a, b, c, levels, rp=rp)
    a_ = np.asarray(a, dtype=np.float64)
    b_ = np.asarray(b, dtype=np.float64)
    c_ = np.asarray(c, dtype=np.float64)
    lv = np.asarray(levels).astype(np.int64)
    present = sorted({int(x) for x in lv})
    marks = {level: descriptor_bookmark(booklet, level) for level in present}
    cuts = {level: marks[level].cut for level in present}
    values = [cuts[level] for level in present]
    if any(y <= x for x, y in itertools.pairwise(values)):
        raise ValueError(f"cuts do not increase with the level: {cuts}")
    expected = {
        level: {
            m: float(prob(cuts[level], a_[lv == m], b_[lv == m], c_[lv == m]).mean())
            for m in present
        }
        for level in present
    }
    return StandardResult(
        method=f"bookmark, RP{round(100 * rp)}, descriptor judgements",
        rp=float(rp),
        n_items=len(booklet),
        items_per_level={m: int((lv == m).sum()) for m in present},
        cuts=cuts,
        bookmarks=marks,
        expected_correct=expected,
    )


# ---------------------------------------------------------------------------------------
# Accuracy and consistency of decisions at a cut
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementReport:
    """Pass/fail decisions at one cut.

    Attributes
    ----------
    accuracy : float
        Share of decisions equal to the true status.
    consistency : float
        Share of candidates with the same decision on two parallel forms (NaN when only
        one form was given).
    false_pass : float
        Share of all candidates who pass while truly below the cut.
    false_fail : float
        Share of all candidates who fail while truly at or above it.
    pass_rate, true_pass_rate : float
    n : int
    """

    accuracy: float
    consistency: float
    false_pass: float
    false_fail: float
    pass_rate: float
    true_pass_rate: float
    n: int


def rudner_indices(
    theta_hat: ArrayLike, se: ArrayLike, cut: float, *, passed: ArrayLike | None = None
) -> AgreementReport:
    """Rudner's expected classification accuracy and consistency.

    For a candidate with estimate ``theta_hat`` and standard error ``se`` the true
    ability is taken as ``N(theta_hat, se**2)``; the probability that it lies on the
    side of the cut the decision put it is the expected accuracy (Rudner, 2001, 2005).
    Consistency is the probability that a parallel form, with the same error, decides
    the same way: ``p**2 + (1 - p)**2`` with ``p = Phi((theta_hat - cut) / se)``.

    Parameters
    ----------
    theta_hat, se : array_like, shape (n,)
    cut : float
    passed : array_like of bool, optional
        The decisions taken; default ``theta_hat >= cut``.
    """
    t = np.asarray(theta_hat, dtype=np.float64)
    s = np.asarray(se, dtype=np.float64)
    if t.shape != s.shape or t.ndim != 1 or t.size == 0:
        raise ValueError("theta_hat and se must be 1-D arrays of the same, non-zero length")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(s)) and np.all(s > 0)):
        raise ValueError("estimates must be finite and standard errors positive")
    if not math.isfinite(cut):
        raise ValueError("cut must be finite")
    dec = t >= cut if passed is None else np.asarray(passed, dtype=bool)
    if dec.shape != t.shape:
        raise ValueError("passed must have one decision per candidate")
    p = ndtr((t - cut) / s)  # probability the true ability is at or above the cut
    correct = np.where(dec, p, 1.0 - p)
    return AgreementReport(
        accuracy=float(correct.mean()),
        consistency=float((p**2 + (1.0 - p) ** 2).mean()),
        false_pass=float(np.where(dec, 1.0 - p, 0.0).mean()),
        false_fail=float(np.where(dec, 0.0, p).mean()),
        pass_rate=float(dec.mean()),
        true_pass_rate=float(p.mean()),
        n=int(t.size),
    )


def classification_agreement(
    true_pass: ArrayLike, first: ArrayLike, second: ArrayLike | None = None
) -> AgreementReport:
    """Accuracy, consistency and error rates of simulated pass/fail decisions.

    Parameters
    ----------
    true_pass : array_like of bool, shape (n,)
        Whether each simulated candidate's true ability is at or above the cut.
    first : array_like of bool, shape (n,)
        Decisions on the first form.
    second : array_like of bool, shape (n,), optional
        Decisions on a parallel form (for consistency).
    """
    truth = np.asarray(true_pass, dtype=bool)
    one = np.asarray(first, dtype=bool)
    if truth.ndim != 1 or truth.size == 0 or one.shape != truth.shape:
        raise ValueError("true_pass and first must be 1-D of the same, non-zero length")
    consistency = float("nan")
    if second is not None:
        two = np.asarray(second, dtype=bool)
        if two.shape != truth.shape:
            raise ValueError("second must have one decision per candidate")
        consistency = float((one == two).mean())
    return AgreementReport(
        accuracy=float((one == truth).mean()),
        consistency=consistency,
        false_pass=float((one & ~truth).mean()),
        false_fail=float((~one & truth).mean()),
        pass_rate=float(one.mean()),
        true_pass_rate=float(truth.mean()),
        n=int(truth.size),
    )
