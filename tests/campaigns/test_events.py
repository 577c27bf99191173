"""Status transitions through the real services, and the aggregates against a rebuild.

A learner activates, finishes a placement test (``hocvu.assessment.services``), opens a
lesson, reaches every target, is certified (``hocvu.credentials.services``) and revoked;
after each step the person's status and the day totals of their commune and of every
ancestor move, and equal what ``rebuild_progress`` computes from the source tables.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.utils import timezone

from hocvu.campaigns.models import PersonStatus, UnitDay
from hocvu.campaigns.rebuild import latest_totals, snapshot
from tests.learning import make_learner, shipped, wrong_answer

pytestmark = pytest.mark.django_db


def totals(unit: Any) -> dict[str, int]:
    row = UnitDay.objects.filter(unit=unit).order_by("-day").first()
    return row.totals() if row is not None else {}


def status(person: Any) -> PersonStatus:
    return PersonStatus.objects.get(pk=person.pk)


def assert_rebuild_agrees(*, history: bool = True) -> None:
    incremental, last = snapshot(), latest_totals()
    call_command("rebuild_progress", verbosity=0)
    assert latest_totals() == last
    if history:
        assert snapshot() == incremental


def finish_placement(learner: Any, version: Any) -> Any:
    from hocvu.assessment import services

    attempt = services.start_placement(learner, version)
    for _ in range(80):
        item = services.next_placement_item(attempt)
        if item is None:
            break
        outcome = services.record_answer(
            user=learner,
            attempt_id=attempt.pk,
            item_uid=item.uid,
            answer=wrong_answer(item),
            answer_id=uuid.uuid4(),
        )
        if outcome.finished:
            break
    attempt.refresh_from_db()
    assert attempt.status == "finished"
    return attempt


def test_each_step_moves_the_person_and_every_ancestor(settings: Any) -> None:
    from hocvu.credentials import services as credentials
    from hocvu.credentials.setup import install_achievements
    from hocvu.learning import services as learning
    from hocvu.learning.models import Proficiency

    curriculum = shipped()
    learner = make_learner(job_role="commune_council")
    commune, root = learner.unit, learner.unit.parent
    today = timezone.localdate()

    # Created with a password: counted and activated from today.
    s = status(learner)
    assert s.counted and s.unit_path == commune.path and s.name_folded == "nguyen thi thu"
    assert s.activated_on == today and s.placed_on is None and s.gaps is None
    for unit in (commune, root):
        assert totals(unit) == {
            "people": 1, "activated": 1, "placed": 0, "learning": 0, "at_target": 0,
            "certified": 0,
        }  # fmt: skip

    finish_placement(learner, curriculum.version)
    s = status(learner)
    assert s.placed_on == today and s.last_activity == today
    assert s.gaps is not None and s.gaps > 0 and s.at_target_on is None  # all answers wrong
    assert totals(commune)["placed"] == totals(root)["placed"] == 1
    assert_rebuild_agrees()

    lesson = learning.learning_path(learner, curriculum.program)[0].lessons[0]
    learning.open_lesson(learner, lesson)
    assert status(learner).learning_on == today
    assert totals(root)["learning"] == 1

    targets = learning.role_targets(learner, curriculum.version)
    for competence_id, level in targets.items():
        Proficiency.objects.update_or_create(
            learner=learner,
            competence_id=competence_id,
            defaults={"mean": 1.0, "sd": 0.2, "level": level, "source": "mastery_check"},
        )
    s = status(learner)
    assert s.gaps == 0 and s.at_target_on == today
    assert totals(root)["at_target"] == 1
    assert_rebuild_agrees()

    achievement = next(
        a
        for a in install_achievements(curriculum.program)
        if a.role_profile.code == "commune_council"
    )
    credential = credentials.issue_credential(learner, achievement)
    assert status(learner).certified_on == today
    assert totals(commune)["certified"] == totals(root)["certified"] == 1
    assert_rebuild_agrees()

    credentials.revoke_credential(credential, reason="test")
    assert status(learner).certified_on is None
    assert totals(commune)["certified"] == totals(root)["certified"] == 0
    assert_rebuild_agrees()

    # A competence falling below target takes 'at target' away again.
    first = next(iter(targets))
    Proficiency.objects.filter(learner=learner, competence_id=first).update(level=0)
    Proficiency.objects.get(learner=learner, competence_id=first).save()
    s = status(learner)
    assert s.gaps == 1 and s.at_target_on is None
    assert totals(root)["at_target"] == 0
    assert_rebuild_agrees(history=False)


def test_a_move_between_units_and_a_deactivation_are_counted_once() -> None:
    shipped()
    mover = make_learner()
    stayer = make_learner()
    old, new = mover.unit, stayer.unit
    root = old.parent
    assert totals(root)["people"] == 2

    mover.unit = new
    mover.save()
    assert totals(old)["people"] == 0 and totals(old)["activated"] == 0
    assert totals(new)["people"] == 2
    assert totals(root)["people"] == 2  # the common ancestor saw no change
    assert status(mover).unit_path == new.path
    assert_rebuild_agrees(history=False)

    mover.is_active = False
    mover.save()
    assert totals(new)["people"] == 1 and totals(root)["people"] == 1
    assert not status(mover).counted
    assert_rebuild_agrees(history=False)

    mover.delete()
    stayer.delete()
    assert totals(root)["people"] == 0
    assert_rebuild_agrees(history=False)


def test_an_imported_person_counts_as_activated_once_they_set_a_password() -> None:
    from hocvu.identity.models import User

    shipped()
    colleague = make_learner()
    person = User.objects.create(
        username="nhap-khau", full_name="Lê Văn Tám", unit=colleague.unit, password="!"
    )
    assert not person.has_usable_password()
    assert status(person).counted and status(person).activated_on is None
    assert totals(colleague.unit)["people"] == 2 and totals(colleague.unit)["activated"] == 1
    person.last_login = timezone.now()
    person.save(update_fields=["last_login"])  # a login alone changes nothing
    person.password = make_password("mot-mat-khau-dai-2026")
    person.save(update_fields=["password"])
    assert status(person).activated_on == timezone.localdate()
    assert totals(colleague.unit)["activated"] == 2
    assert_rebuild_agrees()


def test_people_created_in_bulk_are_synced_in_one_pass() -> None:
    from hocvu.campaigns.progress import sync_people
    from hocvu.identity.models import User

    shipped()
    colleague = make_learner()
    made = User.objects.bulk_create(
        User(username=f"bulk{i}", full_name=f"Trần Văn {i}", unit=colleague.unit, password="!")
        for i in range(25)
    )
    assert totals(colleague.unit)["people"] == 1  # bulk_create sends no signal
    sync_people(u.pk for u in made)
    assert totals(colleague.unit)["people"] == 26
    assert totals(colleague.unit.parent)["people"] == 26
    sync_people(u.pk for u in made)  # again: nothing counted twice
    assert totals(colleague.unit)["people"] == 26
    assert_rebuild_agrees()


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_lose_no_count() -> None:
    """Threads adding people and certificates to one commune at once: every count lands."""
    import threading

    from django.db import connection

    from hocvu.identity.services import create_person
    from hocvu.organizations.models import UnitKind
    from hocvu.organizations.services import create_unit

    if connection.vendor != "postgresql":
        # The SQLite test database is an in-memory shared cache, where a second writer fails
        # at once ("table is locked") instead of waiting as it does on the WAL file in use.
        pytest.skip("concurrent writers need PostgreSQL (or a file database)")
    root = create_unit(code="VN", name="Toàn quốc", kind=UnitKind.NATIONAL)
    province = create_unit(code="P", name="Tỉnh", kind=UnitKind.PROVINCIAL_COUNCIL, parent=root)
    commune = create_unit(code="X", name="Xã", kind=UnitKind.COMMUNE_COUNCIL, parent=province)
    threads, per_thread = 6, 5
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(t: int) -> None:
        from django.db import connections

        try:
            barrier.wait()
            for i in range(per_thread):
                create_person(
                    username=f"t{t}-{i}", full_name=f"Người {t} {i}", unit=commune, password="!"
                )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not errors, errors
    expected = threads * per_thread
    for unit in (commune, province, root):
        assert totals(unit)["people"] == expected, (connection.vendor, unit.code)
    assert UnitDay.objects.filter(unit=root).count() == 1  # one row for the day, not six
    assert_rebuild_agrees()


def test_a_subtree_moved_to_another_parent_carries_its_people() -> None:
    from hocvu.organizations.models import UnitKind
    from hocvu.organizations.services import create_unit, move_unit

    shipped()
    learner = make_learner()
    commune, root = learner.unit, learner.unit.parent
    p = create_unit(code="P", name="Tỉnh P", kind=UnitKind.PROVINCIAL_COUNCIL, parent=root)
    q = create_unit(code="Q", name="Tỉnh Q", kind=UnitKind.PROVINCIAL_COUNCIL, parent=root)
    move_unit(commune, p)  # the organizations app's unit_moved signal moves the counts
    commune.refresh_from_db()
    assert status(learner).unit_path == commune.path
    assert totals(p)["people"] == 1 and totals(root)["people"] == 1
    move_unit(commune, q)
    assert totals(p)["people"] == 0 and totals(q)["people"] == 1
    assert totals(commune)["people"] == 1 and totals(root)["people"] == 1
    assert_rebuild_agrees(history=False)
