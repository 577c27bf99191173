"""Forecast of a share at a future day: a straight line through the recent daily series.

Method (deliberately simple, so a manager can check it by hand): take the daily share
over the last ``window`` days (30 by default, 60 when the last 30 days moved too little to
fit), fit ``share = a + b·day`` by ordinary least squares, and read the line at the
deadline. The uncertainty is the 95 % prediction interval of that reading,
``± t · s · sqrt(1 + 1/n + (x0 - x̄)² / Sxx)`` with ``t`` ≈ 1.96 (normal approximation,
the series has 30-60 points) and ``s`` the residual standard deviation. Everything is
clipped to [0, 1], and the forecast never falls below today's share (a share of
certified people does not go down on its own). Fewer than 7 days of history: no forecast.

Campaigns follow S-curves, so a line over the last month overshoots near saturation and
undershoots in the steep middle; the cap and the interval say as much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

Z95 = 1.96
MIN_POINTS = 7


@dataclass(frozen=True)
class Forecast:
    """The expected share at ``day`` and its 95 % interval, all in [0, 1]."""

    day: date
    share: float
    low: float
    high: float
    slope_per_day: float
    window: int


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def daily(series: list[tuple[date, float]], end: date, days: int) -> list[tuple[date, float]]:
    """The last ``days`` days up to ``end``, one value a day (carried forward)."""
    if not series:
        return []
    start = end - timedelta(days=days - 1)
    out: list[tuple[date, float]] = []
    value: float | None = None
    it = iter(sorted(series))
    pending = next(it, None)
    day = min(start, series[0][0])
    while day <= end:
        while pending is not None and pending[0] <= day:
            value = pending[1]
            pending = next(it, None)
        if day >= start and value is not None:
            out.append((day, value))
        day += timedelta(days=1)
    return out


def linear(points: list[tuple[date, float]], at: date) -> Forecast | None:
    """Least-squares line through ``points`` read at ``at`` (see the module docstring)."""
    n = len(points)
    if n < MIN_POINTS:
        return None
    origin = points[-1][0]
    xs = [float((d - origin).days) for d, _ in points]
    ys = [v for _, v in points]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = my - slope * mx
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    s = math.sqrt(sum(r * r for r in residuals) / (n - 2)) if n > 2 else 0.0
    x0 = float((at - origin).days)
    centre = intercept + slope * x0
    half = Z95 * s * math.sqrt(1 + 1 / n + (x0 - mx) ** 2 / sxx)
    floor = ys[-1]
    return Forecast(
        day=at,
        share=_clip(max(centre, floor)),
        low=_clip(max(centre - half, floor)),
        high=_clip(max(centre + half, floor)),
        slope_per_day=slope,
        window=n,
    )


def forecast(
    series: list[tuple[date, float]], today: date, deadline: date, window: int = 30
) -> Forecast | None:
    """The share expected at ``deadline`` from the series up to ``today``."""
    points = daily(series, today, window)
    if len(points) >= MIN_POINTS and points[-1][1] == points[0][1] and window < 60:
        points = daily(series, today, 60)  # a flat month: look further back
    return linear(points, max(deadline, today))


def expected_share(targets: list[tuple[date, float]], starts_on: date, day: date) -> float:
    """The share the targets call for on ``day``: straight lines from 0 at the start
    through each dated target (0 before the start, the last target after it)."""
    if day <= starts_on or not targets:
        return 0.0
    previous_day, previous_share = starts_on, 0.0
    for by, share in sorted(targets):
        if day <= by:
            span = (by - previous_day).days
            if span <= 0:
                return share
            return previous_share + (share - previous_share) * (day - previous_day).days / span
        previous_day, previous_share = by, share
    return previous_share
