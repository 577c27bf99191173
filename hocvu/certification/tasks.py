"""Background jobs of certificates (run by the ``django_tasks`` database worker).

``issue_if_earned`` is enqueued when an exam is passed; ``issue_batch`` issues a
campaign's certificates in chunks (``manage.py issue_certificates``). The job that scores
an exam at its deadline (``close_exam``) lives with the exam, in ``exam.py``.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from hocvu.certification import rules
from hocvu.credentials.models import Achievement
from hocvu.identity.models import User


@task()
def issue_if_earned(learner_id: int, achievement_id: int) -> str | None:
    """Issue the certificate if the rules say it is earned; the certificate id or None.

    Idempotent: running it again returns the same certificate."""
    learner = User.objects.filter(pk=learner_id).first()
    achievement = (
        Achievement.objects.select_related("role_profile", "program")
        .filter(pk=achievement_id)
        .first()
    )
    if learner is None or achievement is None:
        return None
    credential = rules.issue_if_earned(learner, achievement)
    return str(credential.pk) if credential is not None else None


@task()
def issue_batch(achievement_id: int, learner_ids: list[int]) -> dict[str, Any]:
    """Issue the certificates of many learners (a campaign chunk), each in its own
    transaction, so one failure does not undo the others. Idempotent."""
    achievement = Achievement.objects.select_related("role_profile", "program").get(
        pk=achievement_id
    )
    issued: list[str] = []
    not_earned: list[int] = []
    failed: dict[int, str] = {}
    for learner in User.objects.filter(pk__in=learner_ids).order_by("pk"):
        try:
            credential = rules.issue_if_earned(learner, achievement)
        except Exception as exc:
            failed[learner.pk] = f"{type(exc).__name__}: {exc}"
            continue
        if credential is None:
            not_earned.append(learner.pk)
        else:
            issued.append(str(credential.pk))
    return {"issued": issued, "not_earned": not_earned, "failed": failed}
