"""The proficiency profile: one row per competence, its name above a small bar.

The geometry is computed here; ``learning/_profile_chart.html`` draws it as HTML with one
inline SVG per row (no JavaScript, a few kilobytes), so long Vietnamese competence names
wrap on a phone instead of being cut or replaced by codes. Every mark stays inside the
axis, which runs from level 0 to level 4.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hocvu.content.services import LEVEL_CUTS
from hocvu.content.standards import level_cuts
from hocvu.learning.services import CompetenceStatus

WIDTH = 300
PAD = 8  # room for the target mark (5 px either side) at levels 0 and 4
TOP = len(LEVEL_CUTS)  # the axis ends at the highest level


def x_of(level_units: float) -> float:
    """The x coordinate of a point on the level axis, clamped to the axis."""
    clamped = min(max(level_units, 0.0), float(TOP))
    return PAD + (WIDTH - 2 * PAD) * clamped / TOP


def theta_to_level_units(theta: float) -> float:
    """Map ability to the level axis: each level's cut (the recorded standard's, where
    ``level_reached`` says it is reached) sits at its level's mark."""
    cuts = level_cuts()
    if theta <= cuts[0]:
        return max(0.0, 1.0 + (theta - cuts[0]))
    for i in range(len(cuts) - 1):
        if theta <= cuts[i + 1]:
            return 1.0 + i + (theta - cuts[i]) / (cuts[i + 1] - cuts[i])
    return len(cuts) + (theta - cuts[-1])


@dataclass(frozen=True)
class ChartRow:
    status: CompetenceStatus
    bar_width: float | None  # None: not measured yet
    whisker: tuple[float, float] | None
    target_x: float | None
    reached: bool


@dataclass(frozen=True)
class ProfileChart:
    width: int
    axis: list[tuple[int, float]]
    rows: list[ChartRow]


def profile_chart(rows: Sequence[CompetenceStatus]) -> ProfileChart:
    """The chart of ``rows`` (already in the framework's order: area, then competence)."""
    drawn = []
    for row in rows:
        bar = whisker = None
        if row.measured and row.mean is not None and row.sd is not None:
            bar = x_of(row.level or 0) - PAD
            whisker = (
                x_of(theta_to_level_units(row.mean - row.sd)),
                x_of(theta_to_level_units(row.mean + row.sd)),
            )
        drawn.append(
            ChartRow(
                status=row,
                bar_width=bar,
                whisker=whisker,
                target_x=x_of(row.target) if row.target else None,
                reached=row.measured and (row.level or 0) >= row.target,
            )
        )
    return ProfileChart(WIDTH, [(level, x_of(level)) for level in range(TOP + 1)], drawn)
