"""Receivers that turn the lower apps' saves into progress (see ``progress``).

The lower apps know nothing of campaigns: these receivers listen to ``post_save`` on
their models. Each one changes only what its event can change, so the frequent events
(a lesson opened, a study day) cost two or three small queries.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_delete

from hocvu.campaigns import progress
from hocvu.campaigns.models import PersonStatus
from hocvu.identity.signals import people_changed
from hocvu.learning.signals import proficiencies_changed
from hocvu.organizations.signals import unit_moved

DISPATCH = "hocvu.campaigns"


def person_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """Unit, name, role, active flag or a usable password (activation) may have changed."""
    fields = kwargs.get("update_fields")
    if kwargs.get("raw") or (fields is not None and set(fields) <= {"last_login"}):
        return  # a login changes nothing that is counted
    usable = instance.has_usable_password()
    role_changed = False

    def change(status: PersonStatus) -> None:
        nonlocal role_changed
        progress.describe_person(status, instance)
        if usable and status.activated_on is None:
            status.activated_on = progress.local_day(instance.date_joined if created else None)
        role_changed = status.job_role != instance.job_role
        status.job_role = instance.job_role
        if role_changed and not created:
            progress.refresh_targets(status)

    progress.update_person(instance.pk, change)


def person_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    progress.remove_person(instance.pk)


def attempt_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A finished placement test: placed, and active that day."""
    if kwargs.get("raw") or instance.status != "finished" or instance.finished_at is None:
        return
    day = progress.local_day(instance.finished_at)

    def change(status: PersonStatus) -> None:
        if instance.kind == "placement":
            status.placed_on = progress.earliest(status.placed_on, day)
        progress.touch(status, day)

    progress.update_person(instance.learner_id, change)


def lesson_progress_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A lesson opened or completed: learning, and active that day."""
    if kwargs.get("raw"):
        return
    first = progress.local_day(instance.first_opened_at)
    last = progress.local_day(instance.last_opened_at or instance.first_opened_at)

    def change(status: PersonStatus) -> None:
        status.learning_on = progress.earliest(status.learning_on, first)
        progress.touch(status, last)

    progress.update_person(instance.learner_id, change)


def study_day_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if kwargs.get("raw") or not created:
        return
    progress.update_person(instance.learner_id, lambda s: progress.touch(s, instance.day))


def proficiency_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    progress.update_person(instance.learner_id, progress.refresh_targets)


def proficiencies_bulk_changed(sender: Any, learner_id: int = 0, **kwargs: Any) -> None:
    """A placement stored all of a learner's estimates at once (no post_save was sent)."""
    progress.update_person(learner_id, progress.refresh_targets)


def credential_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Issued or revoked: 'certified' follows the earliest certificate still valid."""
    if kwargs.get("raw"):
        return
    progress.update_person(instance.learner_id, progress.refresh_certified)


def people_bulk_changed(sender: Any, user_ids: Any = (), **kwargs: Any) -> None:
    """People created or changed with ``bulk_create``/``update`` (no post_save was sent)."""
    progress.sync_people(user_ids)


def subtree_moved(sender: Any, unit_id: int = 0, old_path: str = "", **kwargs: Any) -> None:
    """A unit and its subtree moved under another parent (``move_unit``: no post_save)."""
    progress.unit_moved(unit_id, old_path)


def connect() -> None:
    from hocvu.assessment.models import Attempt
    from hocvu.credentials.models import Credential
    from hocvu.learning.models import LessonProgress, Proficiency, StudyDay

    user = get_user_model()
    post_save.connect(person_saved, sender=user, dispatch_uid=f"{DISPATCH}.person")
    pre_delete.connect(person_deleted, sender=user, dispatch_uid=f"{DISPATCH}.person_deleted")
    post_save.connect(attempt_saved, sender=Attempt, dispatch_uid=f"{DISPATCH}.attempt")
    post_save.connect(lesson_progress_saved, sender=LessonProgress, dispatch_uid=f"{DISPATCH}.lp")
    post_save.connect(study_day_saved, sender=StudyDay, dispatch_uid=f"{DISPATCH}.study_day")
    post_save.connect(proficiency_saved, sender=Proficiency, dispatch_uid=f"{DISPATCH}.prof")
    post_save.connect(credential_saved, sender=Credential, dispatch_uid=f"{DISPATCH}.credential")
    # Writes that bypass post_save are announced by the lower apps' own signals (bulk
    # people from roster imports, subtree moves, a placement's estimates);
    # ``rebuild_progress`` repairs anything else.
    people_changed.connect(people_bulk_changed, dispatch_uid=f"{DISPATCH}.people_changed")
    unit_moved.connect(subtree_moved, dispatch_uid=f"{DISPATCH}.unit_moved")
    proficiencies_changed.connect(
        proficiencies_bulk_changed, dispatch_uid=f"{DISPATCH}.proficiencies_changed"
    )
