"""The exam's pass mark: the recorded standard applied to a candidate's answers.

The standard (decision 0010, :mod:`hocvu.content.standards`) says at which ability each
level is reached. The exam tests each competence at the role's target level, so it is
scored on the *standard-relative* scale: an item written for level ``L`` enters with its
difficulty measured from the cut of ``L`` (``b - cut_L``). A candidate at the cut of
their target level in every competence sits at 0 on this scale, which is the pass mark.
The ability is the EAP estimate with a ``N(0, 1)`` prior centred on the pass mark (so
shrinkage favours neither side); unanswered questions count as incorrect; PASS when the
estimate is at least 0.

What a candidate is told: the number of correct answers that the pass mark corresponds
to on their own questions (the expected score of a candidate exactly at the pass mark),
and, before the exam, the same on the role's average form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from hocvu.content.standards import Standard, in_force
from hocvu.psychometrics import irt
from hocvu.psychometrics.estimation import estimate_ability

__all__ = [
    "PassDecision",
    "Scored",
    "TypicalPassMark",
    "decide",
    "expected_at_cut",
    "standard_for",
    "typical",
]


class Scored(Protocol):
    """An exam item as the pass mark needs it (read-only attributes)."""

    @property
    def level(self) -> int: ...
    @property
    def a(self) -> float: ...
    @property
    def b(self) -> float: ...
    @property
    def c(self) -> float: ...


@dataclass(frozen=True)
class PassDecision:
    """The pass decision on one form.

    ``theta`` and ``se`` are on the standard-relative scale (0 is the pass mark);
    ``expected_correct`` is the score of a candidate exactly at the pass mark on this
    form (``percent_cut`` the same as a share of the form's length).
    """

    passed: bool
    theta: float
    se: float
    correct: int
    total: int
    expected_correct: float
    percent_cut: float
    standard: str


def standard_for(started: date | datetime | None) -> Standard:
    """The standard an exam started at ``started`` is scored by."""
    return in_force(started)


def _relative_b(items: Sequence[Scored], standard: Standard) -> list[float]:
    return [float(i.b) - standard.cut(int(i.level)) for i in items]


def expected_at_cut(items: Sequence[Scored], standard: Standard) -> float:
    """Expected number of correct answers of a candidate exactly at the pass mark."""
    if not items:
        return 0.0
    p = irt.prob(0.0, [i.a for i in items], _relative_b(items, standard), [i.c for i in items])
    return float(p.sum())


def decide(responses: Sequence[int], items: Sequence[Scored], standard: Standard) -> PassDecision:
    """Score one form by ``standard``.

    Parameters
    ----------
    responses : sequence of {0, 1}
        One score per item of the form (0 for an unanswered question).
    items : sequence
        The form's items (``level``, ``a``, ``b``, ``c``).
    standard : Standard

    Raises
    ------
    ValueError
        If the lengths differ, a score is not 0/1, or the form is empty.
    """
    if len(responses) != len(items):
        raise ValueError("one response per item is required")
    if not items:
        raise ValueError("an exam form has at least one item")
    if any(r not in (0, 1) for r in responses):
        raise ValueError("responses must be 0 or 1")
    estimate = estimate_ability(
        list(responses),
        [float(i.a) for i in items],
        _relative_b(items, standard),
        [float(i.c) for i in items],
        method="eap",
        prior_mean=0.0,
        prior_sd=1.0,
    )
    expected = expected_at_cut(items, standard)
    return PassDecision(
        passed=bool(estimate.theta >= 0.0),
        theta=round(float(estimate.theta), 4),
        se=round(float(estimate.se), 4),
        correct=int(sum(responses)),
        total=len(items),
        expected_correct=round(expected, 2),
        percent_cut=round(100.0 * expected / len(items), 1),
        standard=standard.id,
    )


@dataclass(frozen=True)
class TypicalPassMark:
    """The pass mark of a role's exam in plain numbers, before a form exists."""

    correct: int  # about this many correct answers
    total: int
    percent: float
    standard: str
    decided: date


def typical(
    cells: Sequence[Any], pool: Mapping[tuple[str, int], Sequence[Scored]]
) -> TypicalPassMark:
    """What the pass mark means on the role's average form: for each blueprint cell, the
    mean expected score at the pass mark over the cell's items, times the cell's count."""
    standard = in_force()
    expected = 0.0
    total = 0
    for cell in cells:
        members = list(pool.get((cell.competence, cell.level), []))
        if not members:
            continue
        expected += cell.count * expected_at_cut(members, standard) / len(members)
        total += cell.count
    return TypicalPassMark(
        correct=round(expected),
        total=total,
        percent=round(100.0 * expected / total, 0) if total else 0.0,
        standard=standard.id,
        decided=standard.decided,
    )
