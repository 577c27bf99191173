"""The exam's pass mark: the recorded standard applied to the answers (decision 0010)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from hocvu.certification import pass_mark
from hocvu.content.standards import in_force
from hocvu.psychometrics.classification import LEVEL_CUTS
from hocvu.psychometrics.irt import prob


@dataclass(frozen=True)
class It:
    level: int
    a: float
    b: float
    c: float


def provisional_form(levels: list[int]) -> list[It]:
    """A 30-question form as the shipped bank gives it: a = 1, b mid-band, mostly four
    options, some typed answers and some true/false."""
    kinds = [0.25, 0.25, 0.0, 0.25, 0.5, 0.25]
    return [
        It(level, 1.0, LEVEL_CUTS[level - 1] + 0.5, kinds[n % len(kinds)])
        for n, level in enumerate(levels)
    ]


FORM = provisional_form([2] * 12 + [3] * 12 + [1] * 6)


def test_all_right_passes_and_all_wrong_fails() -> None:
    std = in_force()
    assert pass_mark.decide([1] * len(FORM), FORM, std).passed
    assert not pass_mark.decide([0] * len(FORM), FORM, std).passed


def test_more_correct_answers_never_turn_a_pass_into_a_fail() -> None:
    std = in_force()
    rng = np.random.default_rng(3)
    order = rng.permutation(len(FORM))
    passed = []
    for k in range(len(FORM) + 1):
        responses = [0] * len(FORM)
        for j in order[:k]:
            responses[j] = 1
        passed.append(pass_mark.decide(responses, FORM, std).passed)
    first = passed.index(True)
    assert all(passed[first:]) and not any(passed[:first])


def test_the_standard_asks_more_than_the_old_bottom_of_the_band_rule() -> None:
    std = in_force()
    decision = pass_mark.decide([1] * len(FORM), FORM, std)
    old = float(
        prob(
            0.0,
            [i.a for i in FORM],
            [i.b - LEVEL_CUTS[i.level - 1] for i in FORM],
            [i.c for i in FORM],
        ).mean()
    )
    assert 0.45 < old < 0.6  # the old rule: about 52 % correct
    assert decision.percent_cut > 100 * old + 10
    assert 65 < decision.percent_cut < 85
    assert decision.expected_correct == pytest.approx(decision.percent_cut * 30 / 100, abs=0.05)
    assert decision.standard == std.id


def test_a_candidate_at_the_cut_passes_about_half_the_time() -> None:
    # True ability exactly at the standard's cut of each item's level: the decision is a
    # coin toss (neither side favoured); a candidate 1 logit above nearly always passes.
    std = in_force()
    rng = np.random.default_rng(11)
    rates = {}
    for shift in (0.0, 1.0):
        theta = np.array([std.cut(i.level) + shift for i in FORM])
        p = prob(theta, [i.a for i in FORM], [i.b for i in FORM], [i.c for i in FORM])
        wins = 0
        for _ in range(600):
            responses = (rng.random(len(FORM)) < p).astype(int).tolist()
            wins += pass_mark.decide(responses, FORM, std).passed
        rates[shift] = wins / 600
    assert 0.35 < rates[0.0] < 0.65
    assert rates[1.0] > 0.9


def test_bad_input_is_refused() -> None:
    std = in_force()
    with pytest.raises(ValueError):
        pass_mark.decide([1, 0], FORM, std)
    with pytest.raises(ValueError):
        pass_mark.decide([], [], std)
    with pytest.raises(ValueError):
        pass_mark.decide([2] + [0] * 29, FORM, std)


# -- in plain words, on the pages -----------------------------------------------------------

from tests.certification.test_exam import (  # noqa: E402
    _exam_open_below_target,  # noqa: F401  (autouse fixture)
    client_for,
    exam_world,  # noqa: F401  (fixture)
    post_answer,
    right_answer,
    start_on_page,
)


@pytest.mark.django_db
def test_the_exam_home_says_when_a_candidate_passes(exam_world: Any) -> None:  # noqa: F811
    from django.urls import reverse
    from django.utils import translation

    with translation.override("vi"):
        page = client_for(exam_world.learner).get(reverse("exam-home")).content.decode()
    assert 'id="pass-mark"' in page
    assert "Bạn đạt khi" in page
    # On the 5-question blueprint of this world: about 4 of 5 (the standard, not 52 %).
    match = re.search(r"khoảng (\d+) trên (\d+) câu đúng \((\d+)%\)", page)
    assert match, page
    n, total, percent = (int(x) for x in match.groups())
    assert total == 5 and 65 <= percent <= 85 and n == round(total * percent / 100)
    assert "bookmark" in page


@pytest.mark.django_db
def test_the_result_names_the_pass_mark_of_the_form_and_the_standard(exam_world: Any) -> None:  # noqa: F811
    from django.urls import reverse

    from hocvu.assessment.models import Attempt
    from hocvu.certification import exam
    from hocvu.content.models import Item

    client = client_for(exam_world.learner)
    start_on_page(client)
    attempt = exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).get()
    items = [Item.objects.get(code=c) for c in attempt.state["items"]]
    for item in items:
        post_answer(client, attempt, item, right_answer(item))
    result = exam.finish_exam(Attempt.objects.get(pk=attempt.pk))
    assert result["passed"] is True and result["standard"] == in_force().id
    assert 0 < result["expected_at_cut"] < result["total"]
    page = client.get(reverse("exam-result", args=[attempt.pk])).content.decode()
    assert 'id="pass-mark"' in page
    assert f"{result['total']}" in page and f"{round(result['expected_at_cut'])}" in page


@pytest.mark.django_db
def test_the_typical_pass_mark_is_computed_once_per_bank_revision(exam_world: Any) -> None:  # noqa: F811
    """The exam's start page shows the role's typical pass mark; it reads the whole secure
    pool, so it is kept per bank revision, and a changed item brings a fresh figure."""
    from unittest import mock

    from hocvu.certification import exam, views
    from hocvu.content.models import Item, ItemPool

    achievement = exam_world.achievement
    role = achievement.role_profile
    with mock.patch.object(exam, "pool_for", wraps=exam.pool_for) as read:
        first = views._typical_pass_mark(achievement)
        assert views._typical_pass_mark(achievement) == first
        assert read.call_count == 1, "the second page view read the pool again"
        # Every exam item far harder: the expected score at the pass mark falls.
        for item in Item.objects.filter(pool=ItemPool.EXAM, competence__version=role.version):
            item.b = float(item.b) + 3.0
            item.save(update_fields=["b"])  # a saved item bumps the bank revision
        after = views._typical_pass_mark(achievement)
        assert read.call_count == 2
    assert first is not None and after is not None
    assert after.percent < first.percent
    assert after == pass_mark.typical(exam.blueprint(role), exam.pool_for(role))
