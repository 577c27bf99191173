"""The proficiency chart: names, not codes; every mark inside the 0–4 axis."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from hocvu.learning import charts
from hocvu.learning.services import CompetenceStatus


class _Competence:
    def __init__(self, code: str) -> None:
        self.code = code
        self.title = f"Năng lực {code}"


def status(level: int | None, mean: float | None, sd: float | None, target: int) -> Any:
    return CompetenceStatus(_Competence("1.1"), target, level, mean, sd)  # type: ignore[arg-type]


def test_marks_stay_inside_the_axis_at_both_ends() -> None:
    left, right = charts.x_of(0), charts.x_of(4)
    chart = charts.profile_chart(
        [
            status(4, 5.0, 2.5, 4),  # far above the top cut, very uncertain
            status(0, -5.0, 2.5, 1),  # far below the first cut
            status(None, None, None, 2),  # not measured yet
        ]
    )
    top, bottom, unmeasured = chart.rows
    assert top.whisker is not None and bottom.whisker is not None
    for lo, hi in (top.whisker, bottom.whisker):
        assert left <= lo <= hi <= right
    assert top.bar_width == right - charts.PAD and top.reached
    assert bottom.bar_width == 0 and not bottom.reached
    assert unmeasured.bar_width is None and unmeasured.whisker is None
    assert [x for _, x in chart.axis] == [charts.x_of(n) for n in range(5)]
    assert chart.axis[-1] == (4, right)
    # The target mark (5 px either side) fits at level 4 and at level 0.
    assert right + 5 <= charts.WIDTH and left - 5 >= 0


def test_the_profile_page_names_every_competence(db: Any) -> None:
    from tests.learning import make_learner, shipped
    from tests.learning.test_path import codes, set_levels

    curriculum = shipped()
    learner = make_learner(job_role="na_official")
    set_levels(learner, curriculum, {code: i % 4 for i, code in enumerate(codes())})
    client = Client()
    client.force_login(learner)
    html = client.get("/learn/profile/").content.decode()
    chart = html.split('class="profile-chart"', 1)[1].split("</ol>", 1)[0]
    names = re.findall(r'<span class="profile-name">([^<]+)</span>', chart)
    from hocvu.framework.models import Competence

    expected = [
        f"{c.code} {c.title}"
        for c in Competence.objects.filter(version=curriculum.version).order_by(
            "area__position", "position"
        )
    ]
    assert names == expected
    assert "<figure>" in html and 'role="img"' in chart
