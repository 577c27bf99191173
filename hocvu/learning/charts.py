"""The proficiency profile as an inline SVG: no JavaScript, a few kilobytes."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from hocvu.content.services import LEVEL_CUTS
from hocvu.learning.services import CompetenceStatus

ROW = 26
LABEL = 44
WIDTH = 320
SCALE = 4.5  # the axis runs from level 0 to 4.5


def _x(level_units: float) -> float:
    clamped = min(max(level_units, 0.0), SCALE)
    return LABEL + (WIDTH - LABEL - 8) * clamped / SCALE


def theta_to_level_units(theta: float) -> float:
    """Map ability to the level axis: each cut score sits at its level's mark."""
    cuts = LEVEL_CUTS
    if theta <= cuts[0]:
        return max(0.0, 1.0 + (theta - cuts[0]))
    for i in range(len(cuts) - 1):
        if theta <= cuts[i + 1]:
            return 1.0 + i + (theta - cuts[i]) / (cuts[i + 1] - cuts[i])
    return len(cuts) + (theta - cuts[-1])


def profile_chart(rows: Sequence[CompetenceStatus]) -> SafeString:
    """One row per competence: the level reached (bar), its uncertainty (whisker), the
    role's target (diamond)."""
    height = ROW * len(rows) + 30
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg" '
        f'class="chart">',
        '<title id="chart-title">'
        + escape(_("Your level in each competence against your target"))
        + "</title>",
    ]
    for level in range(0, 5):
        x = _x(level)
        parts.append(
            f'<line x1="{x:.1f}" y1="14" x2="{x:.1f}" y2="{height - 4}" stroke="#d0d7de"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="10" text-anchor="middle" fill="#57606a">{level}</text>')
    for i, row in enumerate(rows):
        y = 18 + i * ROW
        code = escape(row.competence.code)
        parts.append(f'<text x="2" y="{y + 14}" fill="#1b1f24">{code}</text>')
        if row.measured and row.mean is not None and row.sd is not None:
            level = row.level or 0
            color = "#1a7f37" if level >= row.target else "#0969da"
            parts.append(
                f'<rect x="{LABEL}" y="{y + 5}" width="{_x(level) - LABEL:.1f}" height="12" '
                f'rx="2" fill="{color}"><title>{code}: {level}</title></rect>'
            )
            lo = theta_to_level_units(row.mean - row.sd)
            hi = theta_to_level_units(row.mean + row.sd)
            parts.append(
                f'<line x1="{_x(lo):.1f}" y1="{y + 11}" x2="{_x(hi):.1f}" y2="{y + 11}" '
                f'stroke="#1b1f24" stroke-width="1.5"/>'
            )
        if row.target:
            x = _x(row.target)
            parts.append(
                f'<path d="M{x:.1f} {y + 3}l5 8-5 8-5-8z" fill="#b3261e">'
                f"<title>{escape(_('Target'))}: {row.target}</title></path>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text part is escaped above
