"""The learner's profile, personal path, mastery, review and streak, on the shipped curriculum."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from hocvu.assessment import services as assessment
from hocvu.assessment.models import AttemptKind, AttemptStatus
from hocvu.content.models import (
    Item,
    ItemStatus,
    Lesson,
    LessonRevision,
    Module,
    RevisionStatus,
)
from hocvu.content.standards import level_cuts
from hocvu.framework.models import Competence, Prerequisite
from hocvu.learning import services as learning
from hocvu.learning.models import (
    EstimateSource,
    LessonProgress,
    Proficiency,
    ReviewCard,
    StudyDay,
)
from tests.learning import PASSWORD, Shipped, make_learner, right_answer, shipped, wrong_answer


@pytest.fixture(scope="module")
def _installed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Install the shipped curriculum once for the module; empty the database afterwards."""
    with django_db_blocker.unblock():
        shipped()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def curriculum(db: Any, _installed: None) -> Shipped:
    return shipped()


def minutes(lesson: Lesson) -> int:
    assert lesson.published is not None
    return lesson.published.minutes


def mean_for(level: int) -> float:
    """An ability in the middle of ``level``'s band by the standard in force (band 0 below
    the first cut)."""
    cuts = level_cuts()
    return cuts[0] - 0.5 if level == 0 else cuts[level - 1] + 0.5


def set_levels(learner: Any, curriculum: Shipped, levels: dict[str, int]) -> None:
    comps = {c.code: c for c in Competence.objects.filter(version=curriculum.version)}
    for code, level in levels.items():
        Proficiency.objects.update_or_create(
            learner=learner,
            competence=comps[code],
            defaults={
                "mean": mean_for(level),
                "sd": 0.3,
                "level": level,
                "source": EstimateSource.PLACEMENT,
            },
        )


def targets_of(curriculum: Shipped, role: str) -> dict[str, int]:
    profile = curriculum.version.role_profiles.get(code=role)
    return {t.competence.code: t.level for t in profile.targets.select_related("competence")}


def codes() -> list[str]:
    return list(
        Competence.objects.order_by("area__position", "position").values_list("code", flat=True)
    )


def expected_lessons(curriculum: Shipped, code: str, lo: int, hi: int) -> list[int]:
    return list(
        Lesson.objects.filter(
            module__program=curriculum.program,
            module__competence__code=code,
            level__gt=lo,
            level__lte=hi,
            published__isnull=False,
        )
        .order_by("level", "position")
        .values_list("pk", flat=True)
    )


# -- profile and path ----------------------------------------------------------------------


def test_profile_lists_every_competence_with_target_and_level(curriculum: Shipped) -> None:
    learner = make_learner()
    targets = targets_of(curriculum, "commune_council")
    set_levels(learner, curriculum, {"1.1": 3, "4.2": 0})
    rows = learning.profile(learner, curriculum.version)
    assert [r.competence.code for r in rows] == codes()
    assert len(rows) == 24
    by_code = {r.competence.code: r for r in rows}
    assert all(by_code[c].target == t for c, t in targets.items())
    assert by_code["1.1"].level == 3 and by_code["1.1"].gap == 0 and by_code["1.1"].measured
    assert by_code["4.2"].level == 0 and by_code["4.2"].gap == targets["4.2"]
    assert not by_code["1.2"].measured and by_code["1.2"].gap == targets["1.2"]


def test_path_has_exactly_the_lessons_between_level_and_target(curriculum: Shipped) -> None:
    learner = make_learner()
    targets = targets_of(curriculum, "commune_council")
    # Every kind of case: below target by one or two levels, at target, above target.
    levels = {code: (i % 4) for i, code in enumerate(codes())}
    set_levels(learner, curriculum, levels)
    steps = learning.learning_path(learner, curriculum.program)
    on_path = {s.competence.code: s for s in steps}
    below = {c for c in targets if levels[c] < targets[c]}
    assert below and len(below) < 24, "the case should mix gaps and met targets"
    assert set(on_path) == below
    for code, step in on_path.items():
        assert (step.from_level, step.to_level) == (levels[code], targets[code])
        assert [lesson.pk for lesson in step.lessons] == expected_lessons(
            curriculum, code, levels[code], targets[code]
        )
        assert step.lessons, f"no lesson for {code}"
        assert all(levels[code] < lesson.level <= targets[code] for lesson in step.lessons)
        assert step.minutes == sum(minutes(lesson) for lesson in step.lessons)
        assert step.module.competence.code == code and step.done == 0
    # A competence at or above its target contributes nothing.
    for code in set(targets) - below:
        assert code not in on_path


def test_unmeasured_competences_count_from_level_zero(curriculum: Shipped) -> None:
    learner = make_learner()
    targets = targets_of(curriculum, "commune_council")
    steps = learning.learning_path(learner, curriculum.program)
    assert {s.competence.code for s in steps} == {c for c, t in targets.items() if t > 0}
    for step in steps:
        assert step.from_level == 0
        assert {lesson.level for lesson in step.lessons} == set(
            range(1, targets[step.competence.code] + 1)
        )


def test_learner_at_target_everywhere_has_an_empty_path(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, targets_of(curriculum, "commune_council"))
    assert learning.learning_path(learner, curriculum.program) == []
    client = Client()
    assert client.login(username=learner.username, password=PASSWORD)
    assert client.get("/learn/path/").status_code == 200


def check_prerequisite_order(curriculum: Shipped, steps: list[Any]) -> int:
    """Assert every applicable prerequisite is respected; return how many applied."""
    position = {s.competence.pk: n for n, s in enumerate(steps)}
    ranges = {s.competence.pk: (s.from_level, s.to_level) for s in steps}
    applied = 0
    for p in Prerequisite.objects.filter(target__competence__version=curriculum.version):
        dependent, required = p.target.competence_id, p.requires.competence_id
        if dependent in position and required in position:
            lo, hi = ranges[dependent]
            if lo < p.target.level <= hi:
                applied += 1
                assert position[required] < position[dependent], (
                    f"{p.requires.competence.code} must come before {p.target.competence.code}"
                )
    return applied


@pytest.mark.parametrize("role", ["na_official", "na_deputy", "commune_council"])
def test_prerequisites_come_before_their_dependents(curriculum: Shipped, role: str) -> None:
    learner = make_learner(job_role=role)
    set_levels(learner, curriculum, dict.fromkeys(codes(), 0))
    steps = learning.learning_path(learner, curriculum.program)
    assert len(steps) == sum(1 for t in targets_of(curriculum, role).values() if t > 0)
    assert check_prerequisite_order(curriculum, steps) > 0
    if role == "na_official":
        # Here the framework order alone would be wrong (1.3 level 3 needs 4.1 level 2).
        order = [s.competence.code for s in steps]
        assert order.index("4.1") < order.index("1.3")
        assert order.index("3.3") < order.index("2.2")


def test_prerequisite_already_met_does_not_reorder(curriculum: Shipped) -> None:
    learner = make_learner(job_role="na_official")
    levels = dict.fromkeys(codes(), 0)
    levels["4.1"] = 3  # 4.1 reached: it leaves the path; 1.3 keeps its place
    set_levels(learner, curriculum, levels)
    steps = learning.learning_path(learner, curriculum.program)
    order = [s.competence.code for s in steps]
    assert "4.1" not in order
    check_prerequisite_order(curriculum, steps)


def test_path_page_shows_the_modules_in_path_order(curriculum: Shipped) -> None:
    learner = make_learner(job_role="na_official")
    set_levels(learner, curriculum, dict.fromkeys(codes(), 0))
    # The page shows the path only after a finished placement test.
    placement = assessment.start_placement(learner, curriculum.version)
    placement.status = AttemptStatus.FINISHED
    placement.save()
    client = Client()
    assert client.login(username=learner.username, password=PASSWORD)
    html = client.get("/learn/path/").content.decode()
    shown = re.findall(r"<h2>(\d\.\d) ", html)
    steps = learning.learning_path(learner, curriculum.program)
    assert shown == [s.competence.code for s in steps]
    assert str(learning.linear_minutes(curriculum.program)) in html


def _path_headline(learner: Any, version: Any) -> str:
    """The path page's headline, in Vietnamese (the default language)."""
    placement = assessment.start_placement(learner, version)
    placement.status = AttemptStatus.FINISHED
    placement.save()
    client = Client()
    assert client.login(username=learner.username, password=PASSWORD)
    html = client.get("/learn/path/").content.decode()
    (headline,) = re.findall(r'<p class="path-headline">(.*?)</p>', html, re.S)
    return str(headline)


def test_path_headline_is_true_for_a_learner_who_needs_everything(curriculum: Shipped) -> None:
    learner = make_learner(job_role="na_official")
    set_levels(learner, curriculum, dict.fromkeys(codes(), 0))
    headline = _path_headline(learner, curriculum.version)
    target = learning.linear_minutes(
        curriculum.program, learning.role_targets(learner, curriculum.version)
    )
    # Needing everything, the path is every lesson up to the targets: no "instead of" claim.
    assert headline.startswith(f"Khoảng {target} phút học: bài đánh giá đầu vào cho thấy")
    assert "thay vì" not in headline and "giúp bạn bớt" not in headline


def test_path_headline_counts_what_the_learner_already_knows(curriculum: Shipped) -> None:
    learner = make_learner(job_role="na_official")
    set_levels(learner, curriculum, {code: (i % 3) for i, code in enumerate(codes())})
    steps = learning.learning_path(learner, curriculum.program)
    mine = sum(s.minutes for s in steps)
    target = learning.linear_minutes(
        curriculum.program, learning.role_targets(learner, curriculum.version)
    )
    headline = _path_headline(learner, curriculum.version)
    assert 0 < mine < target
    assert headline.startswith(f"Khoảng {mine} phút học: chỉ những bài")
    assert f"sẽ mất {target} phút" in headline and f"giúp bạn bớt {target - mine} phút" in headline


def test_linear_minutes_is_the_whole_course(curriculum: Shipped) -> None:
    total = LessonRevision.objects.filter(
        lesson__module__program=curriculum.program, status=RevisionStatus.PUBLISHED
    ).aggregate(n=Sum("minutes"))["n"]
    by_lesson = sum(
        minutes(lesson)
        for lesson in Lesson.objects.filter(module__program=curriculum.program).select_related(
            "published"
        )
    )
    assert learning.linear_minutes(curriculum.program) == by_lesson == total
    assert Lesson.objects.filter(module__program=curriculum.program).count() == 96
    # Up to each target only: the lessons at or below the target levels.
    targets = {
        t.competence_id: t.level
        for t in curriculum.version.role_profiles.get(code="commune_council").targets.all()
    }
    limited = sum(
        minutes(lesson)
        for lesson in Lesson.objects.filter(module__program=curriculum.program).select_related(
            "published", "module"
        )
        if lesson.level <= targets.get(lesson.module.competence_id, 0)
    )
    assert learning.linear_minutes(curriculum.program, targets) == limited < by_lesson


def test_a_personal_path_is_shorter_than_the_course(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, {code: (i % 3) for i, code in enumerate(codes())})
    steps = learning.learning_path(learner, curriculum.program)
    assert 0 < sum(s.minutes for s in steps) < learning.linear_minutes(curriculum.program)


def test_completed_lessons_are_counted_on_the_path(curriculum: Shipped) -> None:
    learner = make_learner()
    steps = learning.learning_path(learner, curriculum.program)
    first = steps[0].lessons[0]
    learning.open_lesson(learner, first)
    assert learning.continue_where_left(learner) == first
    assert learning.learning_path(learner, curriculum.program)[0].done == 0
    learning.complete_lesson(learner, first)
    learning.complete_lesson(learner, first)  # twice: still one completion
    assert LessonProgress.objects.filter(learner=learner, completed_at__isnull=False).count() == 1
    assert learning.learning_path(learner, curriculum.program)[0].done == 1


# -- mastery check -------------------------------------------------------------------------


def module_of(curriculum: Shipped, code: str) -> Module:
    return Module.objects.get(program=curriculum.program, competence__code=code)


def take_check(learner: Any, module: Module, level: int, n_right: int | None) -> Any:
    """Answer a mastery check: all right (``None``) or only the first ``n_right``."""
    attempt = assessment.start_practice(
        learner, module, [level], size=5, kind=AttemptKind.MASTERY_CHECK
    )
    items = assessment.practice_items(attempt)
    for n, item in enumerate(items):
        good = n_right is None or n < n_right
        assessment.record_answer(
            user=learner,
            attempt_id=attempt.pk,
            item_uid=item.uid,
            answer=right_answer(item) if good else wrong_answer(item),
            answer_id=uuid.uuid4(),
        )
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FINISHED
    return attempt


def test_passing_the_mastery_check_removes_the_module(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, dict.fromkeys(codes(), 0))
    module = module_of(curriculum, "1.1")
    target = targets_of(curriculum, "commune_council")["1.1"]
    before = [s.competence.code for s in learning.learning_path(learner, curriculum.program)]
    assert "1.1" in before
    attempt = take_check(learner, module, target, None)
    assert attempt.result["passed"] is True
    assert attempt.result["correct"] == attempt.result["total"] >= 1
    after = [s.competence.code for s in learning.learning_path(learner, curriculum.program)]
    assert after == [c for c in before if c != "1.1"]
    prof = Proficiency.objects.get(learner=learner, competence=module.competence)
    assert prof.level >= target and prof.source == EstimateSource.MASTERY_CHECK


def test_failing_the_mastery_check_keeps_the_module(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, dict.fromkeys(codes(), 0))
    module = module_of(curriculum, "4.2")
    target = targets_of(curriculum, "commune_council")["4.2"]
    attempt = take_check(learner, module, target, 0)
    assert attempt.result["passed"] is False
    steps = learning.learning_path(learner, curriculum.program)
    assert "4.2" in [s.competence.code for s in steps]


def test_mastery_threshold_is_80_percent(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, dict.fromkeys(codes(), 0))
    module = module_of(curriculum, "2.1")
    assert not learning.pass_mastery_check(learner, module, 2, 3, 4)  # 75 %
    assert not learning.pass_mastery_check(learner, module, 2, 0, 0)
    assert Proficiency.objects.get(learner=learner, competence=module.competence).level == 0
    assert learning.pass_mastery_check(learner, module, 2, 4, 5)  # 80 %
    prof = Proficiency.objects.get(learner=learner, competence=module.competence)
    assert prof.level == 2
    assert "2.1" not in [
        s.competence.code for s in learning.learning_path(learner, curriculum.program)
    ]
    # A pass never lowers a level already reached.
    assert learning.pass_mastery_check(learner, module, 1, 5, 5)
    assert Proficiency.objects.get(pk=prof.pk).level == 2


# -- practice: mastery and review ----------------------------------------------------------


def practice_answers(learner: Any, curriculum: Shipped, code: str, right: bool) -> list[Item]:
    module = module_of(curriculum, code)
    attempt = assessment.start_practice(learner, module, [1, 2], size=4)
    items = assessment.practice_items(attempt)
    for item in items:
        assessment.record_answer(
            user=learner,
            attempt_id=attempt.pk,
            item_uid=item.uid,
            answer=right_answer(item) if right else wrong_answer(item),
            answer_id=uuid.uuid4(),
        )
    return items


def test_right_practice_answers_raise_mastery(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, {"1.1": 1})
    before = Proficiency.objects.get(learner=learner, competence__code="1.1")
    items = practice_answers(learner, curriculum, "1.1", right=True)
    after = Proficiency.objects.get(pk=before.pk)
    assert after.mean > before.mean
    assert after.n_answers == len(items) and after.n_correct == len(items)
    assert after.source == EstimateSource.PRACTICE
    assert after.level >= before.level


def test_wrong_practice_answers_lower_mastery(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, {"1.1": 2})
    before = Proficiency.objects.get(learner=learner, competence__code="1.1")
    items = practice_answers(learner, curriculum, "1.1", right=False)
    after = Proficiency.objects.get(pk=before.pk)
    assert after.mean < before.mean
    assert after.n_answers == len(items) and after.n_correct == 0
    assert after.level <= before.level


def test_practice_without_placement_starts_a_proficiency(curriculum: Shipped) -> None:
    learner = make_learner()
    practice_answers(learner, curriculum, "2.1", right=True)
    prof = Proficiency.objects.get(learner=learner, competence__code="2.1")
    assert prof.n_answers >= 1 and prof.source == EstimateSource.PRACTICE


def test_practice_creates_review_cards_that_become_due(curriculum: Shipped) -> None:
    learner = make_learner()
    now = timezone.now()
    right = practice_answers(learner, curriculum, "1.1", right=True)
    wrong = practice_answers(learner, curriculum, "4.2", right=False)
    cards = {c.item_id: c for c in ReviewCard.objects.filter(learner=learner)}
    assert set(cards) == {i.pk for i in right + wrong}
    # Every card lies in the future; a wrong answer comes back sooner than a right one.
    assert all(card.due > now for card in cards.values())
    assert all(cards[i.pk].due < min(cards[j.pk].due for j in right) for i in wrong)
    assert learning.due_reviews(learner, now=now) == []
    # Daily review: nothing comes back the same day; a wrong answer returns the next day.
    assert learning.due_reviews(learner, now=now + timedelta(hours=12), limit=50) == []
    soon = learning.due_reviews(learner, now=now + timedelta(days=1, hours=1), limit=50)
    assert {i.pk for i in soon} == {i.pk for i in wrong}
    later = learning.due_reviews(learner, now=now + timedelta(days=60), limit=50)
    assert {i.pk for i in later} == {i.pk for i in right + wrong}
    # The review answers move the cards on.
    due_card = cards[wrong[0].pk]
    ReviewCard.objects.filter(pk=due_card.pk).update(due=now - timedelta(minutes=1))
    items = learning.due_reviews(learner)
    attempt = assessment.start_review(learner, items)
    assert attempt.kind == AttemptKind.REVIEW
    item = assessment.practice_items(attempt)[0]
    assessment.record_answer(
        user=learner,
        attempt_id=attempt.pk,
        item_uid=item.uid,
        answer=right_answer(item),
        answer_id=uuid.uuid4(),
    )
    assert ReviewCard.objects.get(learner=learner, item=item).due > timezone.now()


def test_placement_answers_do_not_create_review_cards(curriculum: Shipped) -> None:
    learner = make_learner()
    attempt = assessment.start_placement(learner, curriculum.version)
    item = assessment.next_placement_item(attempt)
    assert item is not None
    assessment.record_answer(
        user=learner,
        attempt_id=attempt.pk,
        item_uid=item.uid,
        answer=right_answer(item),
        answer_id=uuid.uuid4(),
    )
    assert not ReviewCard.objects.filter(learner=learner).exists()


# -- streak --------------------------------------------------------------------------------


def test_streak_counts_consecutive_days(curriculum: Shipped) -> None:
    learner = make_learner()
    today = date(2026, 3, 10)

    def studied(*days_ago: int) -> None:
        StudyDay.objects.filter(learner=learner).delete()
        for n in days_ago:
            learning.mark_study_day(learner, today - timedelta(days=n))

    assert learning.streak(learner, today) == 0
    studied(0)
    assert learning.streak(learner, today) == 1
    studied(0, 1, 2, 3)
    assert learning.streak(learner, today) == 4
    studied(0, 1, 3, 4, 5)  # a gap two days ago ends the streak there
    assert learning.streak(learner, today) == 2
    studied(1, 2, 3)  # not yet today: yesterday's streak still counts this morning
    assert learning.streak(learner, today) == 3
    studied(2, 3)  # missed yesterday: the streak is broken
    assert learning.streak(learner, today) == 0
    studied(*range(0, 30))
    assert learning.streak(learner, today) == 30
    learning.mark_study_day(learner, today)  # twice the same day: one day
    assert StudyDay.objects.filter(learner=learner, day=today).count() == 1


def test_studying_marks_today(curriculum: Shipped) -> None:
    learner = make_learner()
    practice_answers(learner, curriculum, "1.1", right=True)
    assert learning.streak(learner) == 1
    assert StudyDay.objects.filter(learner=learner, day=timezone.localdate()).exists()


def test_pilot_items_are_never_in_practice(curriculum: Shipped) -> None:
    learner = make_learner()
    module = module_of(curriculum, "1.1")
    Item.objects.filter(competence=module.competence, level=1).update(status=ItemStatus.PILOT)
    attempt = assessment.start_practice(learner, module, [1, 2], size=10)
    assert all(i.level == 2 for i in assessment.practice_items(attempt))


# -- pages around the path -----------------------------------------------------------------


def logged_in(learner: Any) -> Client:
    client = Client()
    assert client.login(username=learner.username, password=PASSWORD)
    return client


def test_next_after_the_last_path_lesson_stays_on_the_path(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, dict.fromkeys(codes(), 0))
    step = next(
        s for s in learning.learning_path(learner, curriculum.program) if s.competence.code == "4.1"
    )
    last = step.lessons[-1]
    assert last.level == step.to_level == 2
    html = logged_in(learner).get(f"/learn/lessons/{last.pk}/").content.decode()
    done_form = html[html.index(f'action="/learn/lessons/{last.pk}/done/"') :]
    target = re.search(r'name="next" value="([^"]*)"', done_form)
    assert target is not None
    beyond = Lesson.objects.filter(module=step.module, level__gt=step.to_level)
    assert all(target.group(1) != f"/learn/lessons/{lesson.pk}/" for lesson in beyond)


def test_dashboard_minutes_left_drop_when_a_lesson_is_read(curriculum: Shipped) -> None:
    learner = make_learner()
    set_levels(learner, curriculum, dict.fromkeys(codes(), 0))
    client = logged_in(learner)
    pattern = re.compile(r"(\d+) (?:minutes|phút)")

    def shown() -> int:
        found = pattern.findall(client.get("/learn/").content.decode())
        assert found
        return int(found[0])

    before = shown()
    lesson = learning.learning_path(learner, curriculum.program)[0].lessons[0]
    assert client.post(f"/learn/lessons/{lesson.pk}/done/").status_code == 302
    assert shown() == before - minutes(lesson)


def test_lesson_done_does_not_redirect_off_site(curriculum: Shipped) -> None:
    learner = make_learner()
    lesson = Lesson.objects.filter(module__program=curriculum.program)[0]
    response = logged_in(learner).post(
        f"/learn/lessons/{lesson.pk}/done/", {"next": "https://example.com/phish"}
    )
    assert response.status_code == 302
    assert not response["Location"].startswith(("http://", "https://", "//")), response["Location"]
