"""The campaign trend as an inline SVG: shares over time, the targets, the forecast.

No JavaScript and a few kilobytes; the viewBox scales to a phone's width and every mark
has a text equivalent (the ``<title>``/``<desc>`` and the table beside the chart).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from html import escape

from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from hocvu.campaigns.forecast import Forecast

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 26
MAX_POINTS = 150
COLORS = {"activated": "#8c959f", "at_target": "#0969da", "certified": "#b3261e"}


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def trend_chart(
    lines: Mapping[str, Sequence[tuple[date, float]]],
    labels: Mapping[str, str],
    *,
    start: date,
    end: date,
    targets: Sequence[tuple[date, float]] = (),
    forecast: Forecast | None = None,
    today: date | None = None,
    chart_id: str = "trend",
) -> SafeString:
    """Shares (0-1) per day from ``start`` to ``end``; target diamonds; the forecast as a
    dashed segment from today's value to the deadline with its interval as a whisker."""
    if end <= start:
        end = start + timedelta(days=1)
    span = (end - start).days
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * min(max((day - start).days, 0), span) / span

    def y(share: float) -> float:
        return TOP + plot_h * (1 - min(max(share, 0.0), 1.0))

    title = _("Share of people over time, with the targets and the forecast")
    described = [f"{labels[k]}: {_pct(v[-1][1])}" for k, v in lines.items() if v and k in labels]
    described += [
        _("target %(share)s by %(date)s")
        % {"share": _pct(s), "date": date_format(d, "SHORT_DATE_FORMAT")}
        for d, s in targets
    ]
    if forecast is not None:
        described.append(
            _("forecast %(share)s (%(low)s–%(high)s) on %(date)s")
            % {
                "share": _pct(forecast.share),
                "low": _pct(forecast.low),
                "high": _pct(forecast.high),
                "date": date_format(forecast.day, "SHORT_DATE_FORMAT"),
            }
        )
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg" '
        'class="trend-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(described))}</desc>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - RIGHT}" y2="{y(tick):.1f}" '
            'stroke="#d0d7de"/>'
            f'<text x="{LEFT - 4}" y="{y(tick) + 3:.1f}" text-anchor="end" fill="#57606a">'
            f"{_pct(tick)}</text>"
        )
    # A date label at the start, the end and each new quarter in between, a fifth of the
    # width (63 px) clear of the ends so that two labels of ~40 px never overlap.
    marks = [start]
    month = date(start.year, start.month, 1)
    while month < end:
        month = date(month.year + (month.month // 12), month.month % 12 + 1, 1)
        if (
            month.month in (1, 4, 7, 10)
            and (month - start).days > span / 5
            and (end - month).days > span / 5
        ):
            marks.append(month)
    marks.append(end)
    for mark in marks:
        anchor = "start" if mark == start else "end" if mark == end else "middle"
        parts.append(
            f'<text x="{x(mark):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" fill="#57606a">'
            f"{escape(date_format(mark, 'm/Y'))}</text>"
        )
    for key, points in lines.items():
        visible = [(d, v) for d, v in points if start <= d <= end]
        if not visible:
            continue
        if len(visible) > MAX_POINTS:
            # A phone's width shows ~150 steps: keep every k-th day and the last one.
            k = -(-len(visible) // MAX_POINTS)
            visible = visible[::k] + ([visible[-1]] if (len(visible) - 1) % k else [])
        # Steps: a value holds until the next day with a change.
        coords = [f"{x(visible[0][0]):.1f},{y(visible[0][1]):.1f}"]
        for (_d0, v0), (d1, v1) in itertools.pairwise(visible):
            coords.append(f"{x(d1):.1f},{y(v0):.1f}")
            coords.append(f"{x(d1):.1f},{y(v1):.1f}")
        last_day = today if today is not None and today > visible[-1][0] else visible[-1][0]
        coords.append(f"{x(min(last_day, end)):.1f},{y(visible[-1][1]):.1f}")
        width = 2.5 if key == "certified" else 1.5
        parts.append(
            f'<polyline fill="none" stroke="{COLORS.get(key, "#1b1f24")}" '
            f'stroke-width="{width}" points="{" ".join(coords)}"/>'
        )
    if forecast is not None and today is not None:
        current = lines.get("certified") or next(iter(lines.values()), [])
        if current:
            x0, y0 = x(today), y(current[-1][1])
            x1 = x(forecast.day)
            parts.append(
                f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y(forecast.share):.1f}" '
                f'stroke="{COLORS["certified"]}" stroke-dasharray="4 3" stroke-width="1.5"/>'
                f'<line x1="{x1:.1f}" y1="{y(forecast.low):.1f}" x2="{x1:.1f}" '
                f'y2="{y(forecast.high):.1f}" stroke="{COLORS["certified"]}" stroke-width="1"/>'
            )
    for day, share in targets:
        cx, cy = x(day), y(share)
        parts.append(
            f'<path d="M{cx:.1f} {cy - 5:.1f} l5 5 l-5 5 l-5 -5 z" fill="#fff" '
            'stroke="#1b1f24" stroke-width="1.5"/>'
            f'<text x="{cx - 7:.1f}" y="{cy + 3:.1f}" text-anchor="end" fill="#1b1f24">'
            f"{_pct(share)}</text>"
        )
    if today is not None and start <= today <= end:
        parts.append(
            f'<line x1="{x(today):.1f}" y1="{TOP}" x2="{x(today):.1f}" y2="{HEIGHT - BOTTOM}" '
            'stroke="#57606a" stroke-dasharray="1 2"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped  # nosec B308 B703
