"""What a person should do next, for the home page's one primary button, and which menu
entries they can use.

The next step of someone who learns (a learner role, or a job role with a target profile):

1. an exam in progress: resume it;
2. not placed yet: take (or continue) the placement test;
3. lessons left on the path: continue with the next one;
4. every lesson read but a gap left: the path (practice and mastery checks close it);
5. every target reached: the certification exam when it may be started, the certificate
   once issued, otherwise the path page.

Someone who only manages or watches units gets their dashboard. Texts live in the
template (``web/_next_step.html``), which words each ``kind``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
from hocvu.certification import eligibility, exam, rules
from hocvu.content import services as content
from hocvu.identity import access
from hocvu.identity.models import Role, RoleAssignment, User
from hocvu.learning import services as learning


@dataclass(frozen=True)
class NextStep:
    kind: str  # exam_resume, placement, placement_resume, lesson, path, exam, certificate, manage
    url: str
    lesson: Any = None  # the next lesson (kind "lesson")


def learns(user: User) -> bool:
    """Whether ``user`` follows the program: a learner role anywhere, or a job role."""
    if user.job_role:
        return True
    return RoleAssignment.objects.filter(user=user, role=Role.LEARNER).exists()


def next_step(user: Any) -> NextStep | None:
    """The one thing ``user`` should do next (None: nothing to suggest)."""
    if not getattr(user, "is_authenticated", False):
        return None
    assert isinstance(user, User)
    program = content.default_program()
    if program is not None and learns(user):
        return _learning_step(user, program)
    if access.can(user, "unit.view", None):
        return NextStep("manage", reverse("manage"))
    return None


def _learning_step(user: User, program: Any) -> NextStep:
    achievement = rules.achievement_for(user, program)
    status = exam.eligibility(user, achievement) if achievement is not None else None
    if status is not None and status.active is not None:
        return NextStep("exam_resume", reverse("exam", kwargs={"attempt_id": status.active.pk}))
    rows = learning.profile(user, program.framework_version)
    if not any(r.measured for r in rows):
        placement = (
            Attempt.objects.filter(
                learner=user, kind=AttemptKind.PLACEMENT, status=AttemptStatus.ACTIVE
            )
            .order_by("-started_at")
            .first()
        )
        if placement is not None:
            return NextStep(
                "placement_resume", reverse("placement", kwargs={"attempt_id": placement.pk})
            )
        return NextStep("placement", reverse("placement-start"))
    steps = [s for s in learning.learning_path(user, program) if s.lessons]
    for step in steps:
        for lesson in step.lessons:
            if lesson.pk not in step.done_ids:
                return NextStep(
                    "lesson", reverse("lesson", kwargs={"lesson_id": lesson.pk}), lesson
                )
    if steps:
        return NextStep("path", reverse("path"))
    if achievement is not None and status is not None:
        credential = rules.latest_credential(user, achievement)
        if credential is not None and credential.revoked_at is None:
            return NextStep("certificate", reverse("exam-home"))
        ready = eligibility.open_below_target() or not eligibility.gaps(user, achievement)
        if status.allowed and ready:
            return NextStep("exam", reverse("exam-home"))
    return NextStep("path", reverse("path"))


@dataclass(frozen=True)
class Menu:
    """The entries of the main menu ``user`` can use (the public ones are always there)."""

    learn: bool = False
    units: bool = False
    dashboards: bool = False
    roster: bool = False
    profile: bool = False


def menu_for(user: Any) -> Menu:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Menu()
    watches = access.can(user, "unit.view", None)
    return Menu(
        learn=learns(user),
        units=watches,
        dashboards=watches,
        roster=access.can(user, "person.manage", None),
        profile=True,
    )
