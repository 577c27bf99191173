"""Certificate rules: passed exam + every competence at target -> one certificate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.certification.test_exam import (
    client_for,
    exam_world,
    post_answer,
    right_answer,
    start_on_page,
)

__all__ = ["exam_world"]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


def at_target(learner: Any, achievement: Any, *, except_code: str = "") -> None:
    """Put every targeted competence of the learner at its target level."""
    from hocvu.learning.models import Proficiency

    for target in achievement.role_profile.targets.select_related("competence"):
        level = target.level - (1 if target.competence.code == except_code else 0)
        Proficiency.objects.update_or_create(
            learner=learner,
            competence=target.competence,
            defaults={"mean": 0.0, "sd": 0.3, "level": level, "source": "mastery_check"},
        )


def passed_exam(learner: Any, achievement: Any, passed: bool = True) -> Any:
    """A finished exam attempt of ``learner`` (as ``finish_exam`` leaves it)."""
    from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus

    now = timezone.now()
    return Attempt.objects.create(
        learner=learner,
        kind=AttemptKind.EXAM,
        status=AttemptStatus.FINISHED,
        framework_version=achievement.role_profile.version,
        seed=1,
        state={"items": [], "achievement": achievement.pk},
        expires_at=now,
        finished_at=now,
        result={"passed": passed, "theta": 0.5 if passed else -0.5},
    )


@pytest.mark.django_db
def test_a_passed_exam_and_a_profile_at_target_issue_one_certificate(
    exam_world: Any, immediate_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    from hocvu.certification import exam
    from hocvu.certification.tasks import issue_if_earned
    from hocvu.content.models import Item
    from hocvu.credentials.models import Credential, EidOutbox

    learner, achievement = exam_world.learner, exam_world.achievement
    at_target(learner, achievement)
    client = client_for(learner)
    assert start_on_page(client).status_code == 302
    attempt = exam.exam_attempts(learner, achievement.pk).get()
    items = [Item.objects.get(code=c) for c in attempt.state["items"]]
    for item in items[:-1]:
        post_answer(client, attempt, item, right_answer(item))
    at_target(learner, achievement)  # practice updates during the exam do not matter here
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("exam-submit", args=[attempt.pk]), {"confirm": "yes"})
    assert callbacks, "a pass enqueues the certificate rules"
    attempt.refresh_from_db()
    assert attempt.result["passed"] is True
    credential = Credential.objects.get(learner=learner, achievement=achievement)
    # The task running again (a retry, a duplicate enqueue) issues nothing new.
    assert issue_if_earned.call(learner.pk, achievement.pk) == str(credential.pk)
    assert issue_if_earned.call(learner.pk, achievement.pk) == str(credential.pk)
    assert Credential.objects.filter(learner=learner).count() == 1
    assert EidOutbox.objects.filter(credential=credential, action="issue").count() == 1
    page = client.get(reverse("exam-result", args=[attempt.pk]))
    assert reverse("credential-pdf", args=[credential.pk]) in page.content.decode()


@pytest.mark.django_db
def test_a_passed_exam_with_a_competence_below_target_issues_nothing(
    exam_world: Any, immediate_tasks: None
) -> None:
    from hocvu.certification import rules
    from hocvu.certification.tasks import issue_if_earned
    from hocvu.credentials.models import Credential

    learner, achievement = exam_world.learner, exam_world.achievement
    passed_exam(learner, achievement)
    at_target(learner, achievement, except_code="4.2")
    decision = rules.decide(learner, achievement)
    assert decision.exam_passed and not decision.earned
    assert decision.below_target == ["4.2"]
    assert issue_if_earned.call(learner.pk, achievement.pk) is None
    assert not Credential.objects.exists()
    # Unmeasured competences are below target too.
    from hocvu.learning.models import Proficiency

    Proficiency.objects.filter(learner=learner).delete()
    assert set(rules.decide(learner, achievement).below_target) == {"1.1", "1.2", "4.2"}
    # Reaching the target later makes the same task issue it.
    at_target(learner, achievement)
    assert issue_if_earned.call(learner.pk, achievement.pk) is not None
    assert Credential.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_exam_issues_nothing(exam_world: Any) -> None:
    from hocvu.certification import rules

    learner, achievement = exam_world.learner, exam_world.achievement
    passed_exam(learner, achievement, passed=False)
    at_target(learner, achievement)
    assert rules.issue_if_earned(learner, achievement) is None


def make_learners(world: Any, n: int) -> list[Any]:
    from hocvu.identity.models import Role
    from hocvu.identity.services import assign_role, create_person

    people = []
    for i in range(n):
        unit = world.commune_a if i % 2 == 0 else world.commune_q
        person = create_person(
            username=f"hv{i}",
            full_name=f"Nguyễn Văn Học {i}",
            unit=unit,
            password="x",
            job_role="commune_council",
        )
        assign_role(person, Role.LEARNER, unit)
        people.append(person)
    return people


@pytest.mark.django_db
def test_batch_issuance_is_idempotent_and_skips_who_has_not_earned(
    exam_world: Any, immediate_tasks: None
) -> None:
    from hocvu.certification.tasks import issue_batch
    from hocvu.credentials.models import Credential, EidOutbox

    achievement = exam_world.achievement
    people = make_learners(exam_world, 6)
    for person in people[:4]:
        passed_exam(person, achievement)
        at_target(person, achievement)
    passed_exam(people[4], achievement)  # below target
    at_target(people[5], achievement)  # no exam
    ids = [p.pk for p in people]
    first = issue_batch.call(achievement.pk, ids)
    assert len(first["issued"]) == 4 and sorted(first["not_earned"]) == ids[4:]
    assert not first["failed"]
    again = issue_batch.call(achievement.pk, ids)
    assert sorted(again["issued"]) == sorted(first["issued"])
    assert Credential.objects.count() == 4 == EidOutbox.objects.count()
    slots = set(Credential.objects.values_list("status_list_id", "status_index"))
    assert len(slots) == 4


@pytest.mark.django_db
def test_the_command_enqueues_batches_for_a_unit(exam_world: Any, immediate_tasks: None) -> None:
    from io import StringIO

    from hocvu.credentials.models import Credential

    achievement = exam_world.achievement
    people = make_learners(exam_world, 6)
    for person in people:
        passed_exam(person, achievement)
        at_target(person, achievement)
    out = StringIO()
    call_command(
        "issue_certificates",
        "--achievement",
        str(achievement.pk),
        "--unit",
        exam_world.province_p.code,
        "--chunk",
        "2",
        stdout=out,
    )
    assert "3 learners, 2 jobs" in out.getvalue()
    in_p = {p.pk for p in people if p.unit_id == exam_world.commune_a.pk}
    assert set(Credential.objects.values_list("learner_id", flat=True)) == in_p
    call_command("issue_certificates", "--achievement", str(achievement.pk), stdout=out)
    assert Credential.objects.count() == 6


@pytest.mark.django_db
def test_achievements_are_installed_once_per_role(exam_world: Any) -> None:
    from hocvu.credentials.models import Achievement
    from hocvu.credentials.setup import install_achievements

    program = exam_world.module.program
    n = program.framework_version.role_profiles.count()
    assert Achievement.objects.filter(program=program).count() == n
    install_achievements(program)
    assert Achievement.objects.filter(program=program).count() == n
    deputy = Achievement.objects.get(program=program, role_profile__code="na_deputy")
    assert "Đại biểu Quốc hội" in deputy.name and deputy.criteria


@pytest.mark.django_db
def test_an_exam_past_its_deadline_is_scored_by_the_task(exam_world: Any) -> None:
    from hocvu.certification import exam
    from hocvu.certification.exam import close_exam

    attempt = exam.start_exam(
        exam_world.learner, exam_world.achievement, now=timezone.now() - timedelta(hours=1)
    )
    result = close_exam.call(str(attempt.pk))
    assert result is not None and result["timed_out"] is True and result["answered"] == 0
    fresh = exam.start_exam(exam_world.learner_b, exam_world.achievement)
    assert close_exam.call(str(fresh.pk)) is None  # not yet due
