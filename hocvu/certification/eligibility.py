"""Whether a candidate is ready to sit the exam, said before an attempt is spent.

The certificate needs the exam passed AND every competence of the role at its target
(:mod:`hocvu.certification.rules`). An attempt taken while competences are still below
target can pass and still give no certificate, and every start counts against the yearly
limit (``exam.MAX_ATTEMPTS_PER_YEAR``). So, unless the installation opens the exam earlier
(setting ``CERTIFICATION_EXAM_BELOW_TARGET = True``, e.g. for a program that lets
candidates sit the exam first and close gaps afterwards), a start is refused while any
competence is below target, and the exam page names those competences. A start is also
an explicit, confirmed act: :func:`start` refuses an unconfirmed request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from hocvu.certification import exam
from hocvu.credentials.models import Achievement
from hocvu.identity.models import User
from hocvu.learning import services as learning


@dataclass(frozen=True)
class Gap:
    """A competence of the role not at its target yet."""

    code: str
    title: str
    title_en: str
    level: int  # the learner's level now (0: not reached level 1, or not measured)
    target: int


class NotReady(ValueError):
    """The exam cannot be started (yet): ``code`` is ``below_target`` or ``unconfirmed``."""

    def __init__(self, code: str, gaps: list[Gap] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.gaps = gaps or []


def open_below_target() -> bool:
    """Whether this installation lets candidates start with competences below target."""
    return bool(getattr(settings, "CERTIFICATION_EXAM_BELOW_TARGET", False))


def gaps(learner: User, achievement: Achievement) -> list[Gap]:
    """The role's competences the learner has not reached yet, in framework order."""
    targets = {
        t.competence_id: t.level for t in achievement.role_profile.targets.all() if t.level >= 1
    }
    out = []
    for row in learning.profile(learner, achievement.role_profile.version):
        target = targets.get(row.competence.pk)
        if target is not None and (row.level or 0) < target:
            comp = row.competence
            out.append(Gap(comp.code, comp.title, comp.title_en, row.level or 0, target))
    return out


def start(learner: User, achievement: Achievement, *, confirmed: bool) -> Any:
    """Start (or resume) the exam. A new attempt needs ``confirmed`` and, unless the
    installation allows otherwise, every competence at target; raises :class:`NotReady`,
    or what :func:`exam.start_exam` raises (policy, unavailable)."""
    status = exam.eligibility(learner, achievement)
    if status.active is not None:
        return status.active  # resuming costs nothing
    missing = gaps(learner, achievement)
    if missing and not open_below_target():
        raise NotReady("below_target", missing)
    if not confirmed:
        raise NotReady("unconfirmed", missing)
    return exam.start_exam(learner, achievement)
