"""When a certificate is earned, and issuing it exactly once.

An achievement (a program level for a role profile) is earned when the learner has
passed its certification exam AND every competence the role profile targets is at its
target level in the learner's profile (:func:`hocvu.learning.services.profile`).
Issuing goes through :func:`hocvu.credentials.services.issue_credential`, which returns
the existing certificate while an unrevoked one exists; this module also serialises
concurrent runs for the same learner, so a task that runs twice issues once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
from hocvu.credentials import services
from hocvu.credentials.models import Achievement, Credential
from hocvu.identity.models import User
from hocvu.learning import services as learning


@dataclass(frozen=True)
class Decision:
    earned: bool
    exam_passed: bool
    below_target: list[str] = field(default_factory=list)  # competence codes


def exam_passed(learner: User, achievement: Achievement) -> bool:
    return Attempt.objects.filter(
        learner=learner,
        kind=AttemptKind.EXAM,
        status=AttemptStatus.FINISHED,
        state__achievement=achievement.pk,
        result__passed=True,
    ).exists()


def below_target(learner: User, achievement: Achievement) -> list[str]:
    """Codes of the role profile's competences the learner has not reached yet."""
    targets = {
        t.competence_id: t.level for t in achievement.role_profile.targets.all() if t.level >= 1
    }
    rows = learning.profile(learner, achievement.role_profile.version)
    return [
        row.competence.code
        for row in rows
        if row.competence.pk in targets and (row.level or 0) < targets[row.competence.pk]
    ]


def decide(learner: User, achievement: Achievement) -> Decision:
    passed = exam_passed(learner, achievement)
    missing = below_target(learner, achievement)
    return Decision(earned=passed and not missing, exam_passed=passed, below_target=missing)


def current_credential(learner: User, achievement: Achievement) -> Credential | None:
    return (
        Credential.objects.filter(learner=learner, achievement=achievement, revoked_at__isnull=True)
        .order_by("-issued_at")
        .first()
    )


def latest_credential(learner: User, achievement: Achievement) -> Credential | None:
    """The learner's most recent certificate for ``achievement``, revoked or not (what the
    learner's pages show: a revoked one says so, with the reason and date)."""
    return (
        Credential.objects.filter(learner=learner, achievement=achievement)
        .order_by("-issued_at", "-pk")
        .first()
    )


def issue_if_earned(learner: User, achievement: Achievement) -> Credential | None:
    """The learner's certificate for ``achievement`` if earned (issued now if needed)."""
    with transaction.atomic():
        # Serialise per learner: two runs of the same task cannot both issue.
        User.objects.select_for_update().filter(pk=learner.pk).first()
        existing = current_credential(learner, achievement)
        if existing is not None:
            return existing
        if not decide(learner, achievement).earned:
            return None
        return services.issue_credential(learner, achievement)


def achievement_for(learner: User, program: Any) -> Achievement | None:
    """The achievement of ``program`` for the learner's role, if one is set up."""
    role = learning.role_profile(learner, program.framework_version)
    if role is None:
        return None
    return (
        Achievement.objects.filter(program=program, role_profile=role)
        .select_related("role_profile", "program")
        .order_by("pk")
        .first()
    )
