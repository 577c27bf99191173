"""The forecast and the target schedule: closed-form cases."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from hocvu.campaigns.forecast import MIN_POINTS, daily, expected_share, forecast, linear

TODAY = date(2026, 6, 30)


def line(days: int, start: float, per_day: float) -> list[tuple[date, float]]:
    return [(TODAY - timedelta(days=days - 1 - i), start + per_day * i) for i in range(days)]


def test_it_reads_an_exact_line_at_the_deadline_with_no_uncertainty() -> None:
    series = line(30, 0.10, 0.005)  # reaches 0.245 today
    result = forecast(series, TODAY, TODAY + timedelta(days=20))
    assert result is not None
    assert result.share == pytest.approx(0.245 + 0.1)
    assert result.low == pytest.approx(result.share)
    assert result.high == pytest.approx(result.share)
    assert result.slope_per_day == pytest.approx(0.005)
    assert result.window == 30


def test_it_caps_at_one_hundred_percent() -> None:
    result = forecast(line(30, 0.5, 0.02), TODAY, TODAY + timedelta(days=365))
    assert result is not None and result.share == 1.0 and result.high == 1.0


def test_it_never_forecasts_below_today() -> None:
    falling = line(30, 0.6, -0.01)
    result = forecast(falling, TODAY, TODAY + timedelta(days=60))
    assert result is not None
    assert result.share == pytest.approx(falling[-1][1])
    assert result.low == pytest.approx(falling[-1][1])


def test_noise_widens_the_interval_around_the_trend() -> None:
    rng = np.random.default_rng(7)
    noisy = [(d, v + float(rng.normal(0, 0.01))) for d, v in line(30, 0.2, 0.004)]
    result = forecast(noisy, TODAY, TODAY + timedelta(days=30))
    assert result is not None
    assert result.low < result.share < result.high
    assert result.share == pytest.approx(0.2 + 0.004 * 59, abs=0.03)
    # The 95 % interval reading 30 days ahead is a few residual SDs wide, not more.
    assert 0.02 < result.high - result.low < 0.15


def test_too_little_history_gives_no_forecast() -> None:
    assert forecast(line(MIN_POINTS - 1, 0.1, 0.01), TODAY, TODAY + timedelta(days=9)) is None
    assert linear([], TODAY) is None


def test_a_flat_month_looks_sixty_days_back() -> None:
    series = line(60, 0.0, 0.01)[:30] + [(TODAY - timedelta(days=29 - i), 0.29) for i in range(30)]
    result = forecast(series, TODAY, TODAY + timedelta(days=10))
    assert result is not None and result.window == 60


def test_days_without_change_carry_the_last_value() -> None:
    series = [(TODAY - timedelta(days=10), 0.2), (TODAY - timedelta(days=3), 0.3)]
    points = daily(series, TODAY, 7)
    assert [v for _, v in points] == [0.2] * 3 + [0.3] * 4
    assert points[-1][0] == TODAY


def test_the_schedule_rises_in_straight_lines_through_the_targets() -> None:
    start = date(2025, 9, 1)
    targets = [(date(2025, 12, 31), 0.4), (date(2026, 12, 31), 1.0)]
    assert expected_share(targets, start, start) == 0.0
    halfway = start + (date(2025, 12, 31) - start) / 2
    assert expected_share(targets, start, halfway) == pytest.approx(0.2, abs=0.002)
    assert expected_share(targets, start, date(2025, 12, 31)) == pytest.approx(0.4)
    assert expected_share(targets, start, date(2026, 7, 1)) == pytest.approx(0.4 + 0.6 * 182 / 365)
    assert expected_share(targets, start, date(2027, 3, 1)) == 1.0
    assert expected_share([], start, date(2026, 1, 1)) == 0.0


def test_the_chart_stays_small_and_describes_itself() -> None:
    from hocvu.campaigns.charts import MAX_POINTS, trend_chart

    start = date(2025, 9, 1)
    days = [(start + timedelta(days=i), i / 1000) for i in range(460)]
    svg = str(
        trend_chart(
            {"certified": days},
            {"certified": "Được chứng nhận"},
            start=start,
            end=date(2026, 12, 31),
            targets=[(date(2025, 12, 31), 0.4), (date(2026, 12, 31), 1.0)],
            forecast=forecast(days, days[-1][0], date(2026, 12, 31)),
            today=days[-1][0],
        )
    )
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "<title" in svg and "<desc" in svg and "Được chứng nhận: 46%" in svg
    assert svg.count(",") < 2 * 2 * (MAX_POINTS + 2) + 50  # steps: two points a day kept
    assert "<script" not in svg


def test_chart_labels_are_escaped() -> None:
    from hocvu.campaigns.charts import trend_chart

    start = date(2026, 1, 1)
    svg = str(
        trend_chart(
            {"certified": [(start, 0.1), (start + timedelta(days=3), 0.2)]},
            {"certified": "<script>alert(1)</script>"},
            start=start,
            end=start + timedelta(days=10),
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
