"""The home page's one next step, and a menu with only what the person can use."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
from hocvu.content.models import Lesson, LessonRevision
from hocvu.framework.models import Competence
from hocvu.learning import services as learning
from hocvu.learning.models import EstimateSource, Proficiency
from hocvu.web.next_step import Menu, menu_for, next_step
from tests.conftest import World


def place(learner: Any, levels: dict[str, int]) -> None:
    for code, level in levels.items():
        Proficiency.objects.update_or_create(
            learner=learner,
            competence=Competence.objects.get(code=code),
            defaults={"mean": 0.0, "sd": 0.3, "level": level, "source": EstimateSource.PLACEMENT},
        )


def open_attempt(learner: Any, kind: str, world: World, **state: Any) -> Attempt:
    return Attempt.objects.create(
        learner=learner,
        kind=kind,
        framework_version=world.module.program.framework_version,
        seed=1,
        state=state,
        expires_at=timezone.now() + timedelta(hours=1),
    )


def home(client_user: Any) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(client_user)
    return client.get("/").content.decode()


def primary_buttons(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="button primary" href="([^"]+)">([^<]+)</a>', html)


def test_someone_not_placed_is_sent_to_the_placement_test(world: World) -> None:
    step = next_step(world.learner)
    assert step is not None and (step.kind, step.url) == ("placement", "/learn/placement/")
    assert primary_buttons(home(world.learner)) == [
        ("/learn/placement/", "Làm bài kiểm tra đầu vào")
    ]
    # A placement test left half way is continued, not started again.
    attempt = open_attempt(world.learner, AttemptKind.PLACEMENT, world)
    step = next_step(world.learner)
    assert step is not None and step.kind == "placement_resume"
    assert step.url == f"/learn/placement/{attempt.pk}/"


def test_someone_on_a_path_continues_with_the_next_lesson(world: World) -> None:
    place(world.learner, {"1.1": 0, "1.2": 1, "4.2": 2})  # a gap in 1.1 only
    second = Lesson.objects.create(module=world.module, level=2, kind="text")
    second.published = LessonRevision.objects.create(
        lesson=second, number=1, status="published", title="Bài 2", body="x", minutes=5
    )
    second.save()
    step = next_step(world.learner)
    assert step is not None and step.kind == "lesson" and step.lesson == world.lesson
    assert primary_buttons(home(world.learner)) == [
        (f"/learn/lessons/{world.lesson.pk}/", "Học tiếp: Bài 1")
    ]
    learning.complete_lesson(world.learner, world.lesson)
    step = next_step(world.learner)
    assert step is not None and step.lesson == second
    # Every lesson read but the gap not closed yet: the path, with practice and checks.
    learning.complete_lesson(world.learner, second)
    step = next_step(world.learner)
    assert step is not None and (step.kind, step.url) == ("path", "/learn/path/")


@pytest.fixture
def achievement(world: World) -> Any:
    from hocvu.credentials.setup import install_achievements

    found = install_achievements(world.module.program)
    return next(a for a in found if a.role_profile.code == "commune_council")


def test_someone_at_every_target_is_offered_the_exam(world: World, achievement: Any) -> None:
    place(world.learner, {"1.1": 2, "1.2": 1, "4.2": 2})  # the commune council targets
    step = next_step(world.learner)
    assert step is not None and (step.kind, step.url) == ("exam", "/learn/exam/")
    assert primary_buttons(home(world.learner)) == [("/learn/exam/", "Thi cấp chứng nhận")]


def test_an_exam_in_progress_comes_first(world: World, achievement: Any) -> None:
    exam = open_attempt(world.learner, AttemptKind.EXAM, world, achievement=achievement.pk)
    step = next_step(world.learner)
    assert step is not None and (step.kind, step.url) == ("exam_resume", f"/learn/exam/{exam.pk}/")


def test_the_exam_is_not_offered_below_target_or_after_the_policy_stops_it(
    world: World, achievement: Any
) -> None:
    place(world.learner, {"1.1": 2, "1.2": 1, "4.2": 1})  # 4.2 below target, no module
    step = next_step(world.learner)
    assert step is not None and step.kind == "path"
    place(world.learner, {"4.2": 2})
    passed = open_attempt(world.learner, AttemptKind.EXAM, world, achievement=achievement.pk)
    passed.status = AttemptStatus.FINISHED
    passed.finished_at = timezone.now()
    passed.result = {"passed": True}
    passed.save()
    step = next_step(world.learner)
    assert step is not None and step.kind == "path"  # passed already: no second exam


def test_managers_get_their_dashboard_and_others_no_button(world: World) -> None:
    for manager in (world.manager_a, world.province_manager, world.admin):
        step = next_step(manager)
        assert step is not None and (step.kind, step.url) == ("manage", "/manage/")
    assert next_step(world.outsider) is None
    assert primary_buttons(home(world.outsider)) == []


def test_the_menu_holds_only_what_the_person_can_use(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    assert menu_for(AnonymousUser()) == Menu()
    learner = menu_for(world.learner)
    assert (learner.learn, learner.units, learner.dashboards, learner.roster) == (
        True,
        False,
        False,
        False,
    )
    manager = menu_for(world.manager_a)
    assert (manager.learn, manager.units, manager.dashboards, manager.roster) == (
        False,
        True,
        True,
        True,
    )
    author = menu_for(world.author)
    assert (author.units, author.dashboards, author.roster) == (False, False, False)

    nav = re.compile(r'<nav class="main".*?</nav>', re.S)
    learner_nav = nav.search(home(world.learner))
    assert learner_nav is not None
    assert 'href="/units/"' not in learner_nav.group(0)
    assert 'href="/manage/' not in learner_nav.group(0)
    assert 'href="/learn/"' in learner_nav.group(0)
    manager_nav = nav.search(home(world.manager_a))
    assert manager_nav is not None
    assert 'href="/units/"' in manager_nav.group(0)
    assert 'href="/learn/"' not in manager_nav.group(0)


def test_the_home_page_asks_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    place(world.learner, {"1.1": 0, "1.2": 1, "4.2": 2})
    client = Client()
    client.force_login(world.learner)
    client.get("/")
    with django_assert_max_num_queries(30):
        client.get("/")
