"""Validating and storing rosters: all or nothing, once, duplicates, scope."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hocvu.audit.models import AuditEvent
from hocvu.identity.models import Role, RoleAssignment, User
from hocvu.identity.services import national_id_index
from hocvu.roster import services
from hocvu.roster.models import Contact, Decision, ImportStatus, RosterImport, RowStatus
from tests.conftest import World
from tests.roster.conftest import cccd, person, text, xlsx

pytestmark = pytest.mark.django_db


def codes(report: services.Report, level: str | None = None) -> list[tuple[int, str, str]]:
    return [
        (p.row, p.column, p.code) for p in report.problems() if level is None or p.level == level
    ]


def test_it_stores_a_clean_file_with_learner_roles_and_one_audit_event(world: World) -> None:
    before = User.objects.count()
    events = AuditEvent.objects.count()
    data = xlsx([person(1), person(2, unit="HDND-P-A", phone="+84 98 765 4321")])
    imp = services.stage(data, "ds.xlsx", actor=world.manager_a, unit=world.commune_a)
    assert imp.status == ImportStatus.PREVIEW
    assert User.objects.count() == before  # nothing before the commit
    outcome = services.commit(imp, actor=world.manager_a)
    assert outcome.committed and outcome.created == 2
    assert User.objects.count() == before + 2
    stored = User.objects.get(national_id_index=national_id_index(cccd(1985, "female", serial=2)))
    assert stored.full_name == person(2)[0]
    assert stored.unit == world.commune_a
    assert stored.job_role == "commune_council"
    assert not stored.has_usable_password()
    assert stored.national_id == cccd(1985, "female", serial=2)
    assert RoleAssignment.objects.filter(user=stored, role=Role.LEARNER, unit=world.commune_a)
    assert Contact.objects.get(person=stored).phone == "0987654321"
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "roster.import"
    assert event.data["created"] == 2
    assert cccd(1985, "female", serial=2) not in str(event.data)
    imp.refresh_from_db()
    assert imp.status == ImportStatus.COMMITTED and imp.payload == ""
    assert imp.created_count == 2


def test_one_bad_row_stores_nothing(world: World) -> None:
    before = User.objects.count()
    rows = [person(n) for n in range(1, 6)] + [person(6, dob="31/02/1985")]
    imp = services.stage(xlsx(rows), "x.xlsx", actor=world.manager_a, unit=world.commune_a)
    assert imp.status == ImportStatus.INVALID
    assert imp.error_rows == 1
    assert imp.payload == ""
    with pytest.raises(services.CommitRefused):
        services.commit(imp, actor=world.manager_a)
    assert User.objects.count() == before
    problem = imp.problems.get(level="error")
    assert (problem.row, problem.column, problem.code) == (7, "Ngày sinh", "date.invalid")


def test_uploading_the_same_file_twice_creates_nobody_twice(world: World) -> None:
    data = text([person(n) for n in range(1, 4)])
    first = services.stage(data, "a.csv", actor=world.manager_a, unit=world.commune_a)
    services.commit(first, actor=world.manager_a)
    count = User.objects.count()
    second = services.stage(data, "a.csv", actor=world.manager_a, unit=world.commune_a)
    assert second.status == ImportStatus.PREVIEW
    assert set(second.rows.values_list("status", flat=True)) == {RowStatus.UNCHANGED}
    assert second.problems.filter(code="file.already_imported").exists()
    outcome = services.commit(second, actor=world.manager_a)
    assert (outcome.created, outcome.unchanged) == (0, 3)
    assert User.objects.count() == count
    # Committing the same import again is a no-op too (a double click).
    assert services.commit(second, actor=world.manager_a).created == 0
    assert User.objects.count() == count


def test_a_changed_row_updates_the_stored_person(world: World) -> None:
    services.commit(
        services.stage(text([person(1)]), "a.csv", actor=world.manager_a, unit=world.commune_a),
        actor=world.manager_a,
    )
    changed = text([person(1, position="Phó Chủ tịch HĐND xã", phone="0987654321")])
    imp = services.stage(changed, "b.csv", actor=world.manager_a, unit=world.commune_a)
    row = imp.rows.get()
    assert row.status == RowStatus.DUPLICATE and row.decision == Decision.UPDATE
    assert row.match is not None
    outcome = services.commit(imp, actor=world.manager_a)
    assert outcome.updated == 1 and outcome.created == 0
    row.match.refresh_from_db()
    assert row.match.position == "Phó Chủ tịch HĐND xã"
    assert Contact.objects.get(person=row.match).phone == "0987654321"


def test_the_same_citizen_id_twice_in_a_file_keeps_the_first(world: World) -> None:
    same = cccd(1985, "female", serial=1)
    report = services.validate(
        text([person(1), person(2, id=same)]), actor=world.manager_a, unit=world.commune_a
    )
    assert (3, "Số CCCD", "dup.file_id") in codes(report, "duplicate")
    assert report.rows[1].choices == (Decision.SKIP,)
    outcome = services.apply(report, actor=world.manager_a, unit=world.commune_a)
    assert outcome.created == 1 and outcome.skipped == 1


def test_same_name_and_birth_date_asks_for_a_decision(world: World) -> None:
    rows = [person(1), person(2, name=person(1)[0].upper(), dob=person(1)[1])]
    imp = services.stage(text(rows), "a.csv", actor=world.manager_a, unit=world.commune_a)
    row = imp.rows.get(row=3)
    assert row.status == RowStatus.DUPLICATE
    assert row.choice_list() == [Decision.SKIP, Decision.CREATE]
    assert row.decision == Decision.SKIP
    services.decide(imp, {3: Decision.CREATE, 2: Decision.SKIP})  # row 2 needs no decision
    outcome = services.commit(imp, actor=world.manager_a)
    assert outcome.created == 2


def test_same_name_and_birth_date_as_a_stored_person(world: World) -> None:
    learner = world.learner
    learner.date_of_birth = date(1985, 2, 2)
    learner.save()
    # "Dang Thi Mai" without diacritics still matches "Đặng Thị Mai".
    row = person(1, name="Dang Thi Mai", dob="02/02/1985")
    report = services.validate(text([row]), actor=world.manager_a, unit=world.commune_a)
    assert codes(report, "duplicate") == [(2, "Họ và tên", "dup.db_name")]
    assert "Đặng Thị Mai" in str(report.rows[0].problems[0].params)
    # A manager of another unit learns only that someone exists.
    world.learner_b.date_of_birth = learner.date_of_birth
    world.learner_b.full_name = "Đặng Thị Mai"
    world.learner_b.save()
    learner.date_of_birth = None
    learner.save()
    report = services.validate(text([row]), actor=world.manager_a, unit=world.commune_a)
    assert codes(report, "duplicate") == [(2, "Họ và tên", "dup.db_name_outside")]
    assert report.rows[0].problems[0].params == {}


def test_a_citizen_id_stored_outside_the_managers_scope_is_skipped(world: World) -> None:
    report = services.validate(
        text([person(1, id="001190000002", gender="Nữ", dob="01/01/1990")]),
        actor=world.manager_a,
        unit=world.commune_a,
    )
    assert codes(report, "duplicate") == [(2, "Số CCCD", "dup.db_id_outside")]
    assert report.rows[0].choices == (Decision.SKIP,)
    assert report.rows[0].match_visible is False
    assert world.learner_b.full_name not in str([p.params for p in report.problems()])


def test_units_outside_the_managers_subtree_are_refused(world: World) -> None:
    rows = [person(1, unit="HDND-P-B"), person(2, unit="HDND-Q-C"), person(3, unit="NO-SUCH")]
    report = services.validate(text(rows), actor=world.manager_a, unit=world.commune_a)
    assert [c for c in codes(report, "error")] == [
        (2, "Mã đơn vị", "unit.unknown"),
        (3, "Mã đơn vị", "unit.unknown"),
        (4, "Mã đơn vị", "unit.unknown"),
    ]
    # The province manager may fill commune B, but not province Q's commune.
    report = services.validate(text(rows[:2]), actor=world.province_manager, unit=world.province_p)
    assert codes(report, "error") == [(3, "Mã đơn vị", "unit.unknown")]


def test_an_empty_unit_code_means_the_chosen_unit(world: World) -> None:
    report = services.validate(
        text([person(1, unit="")]), actor=world.manager_a, unit=world.commune_a
    )
    assert codes(report) == [(2, "Mã đơn vị", "unit.default")]
    assert report.rows[0].unit_id == world.commune_a.pk


@pytest.mark.parametrize("persona", ["manager_b", "learner", "outsider"])
def test_nobody_imports_into_a_unit_they_do_not_manage(world: World, persona: str) -> None:
    with pytest.raises(services.NotAllowed):
        services.validate(text([person(1)]), actor=getattr(world, persona), unit=world.commune_a)


def test_roles_by_code_or_vietnamese_or_english_title(world: World) -> None:
    rows = [
        person(1, role="commune_council"),
        person(2, role="Đại biểu HĐND cấp xã"),
        person(3, role="dai bieu hdnd cap xa"),
        person(4, role="Commune People's Council delegate"),
        person(5, role="Chủ tịch nước"),
        person(6, role=""),
    ]
    report = services.validate(text(rows), actor=world.manager_a, unit=world.commune_a)
    assert [r.job_role for r in report.rows[:4]] == ["commune_council"] * 4
    assert codes(report, "error") == [(6, "Vai trò", "role.unknown"), (7, "Vai trò", "required")]


def test_the_template_example_row_is_skipped(world: World) -> None:
    example = [
        services.EXAMPLE[k]
        for k in ("full_name", "date_of_birth", "gender", "national_id", "phone", "email")
    ]
    rows = [[*example, "HDND-P-A", "x", "commune_council"], person(1)]
    report = services.validate(text(rows), actor=world.manager_a, unit=world.commune_a)
    assert report.rows[0].status == RowStatus.SKIPPED
    assert codes(report) == [(2, "", "example.skipped")]
    assert services.apply(report, actor=world.manager_a, unit=world.commune_a).created == 1


def test_missing_fields_are_counted_for_data_quality(world: World) -> None:
    rows = [person(1, phone="", email=""), person(2, email="")]
    imp = services.stage(text(rows), "a.csv", actor=world.manager_a, unit=world.commune_a)
    assert imp.missing == {"phone": 1, "email": 2}


def test_a_concurrent_insert_rolls_everything_back(world: World, monkeypatch: Any) -> None:
    imp = services.stage(
        text([person(1), person(2)]), "a.csv", actor=world.manager_a, unit=world.commune_a
    )
    from hocvu.identity.services import create_person

    # Someone registers person 2 between the preview and the commit, in another unit.
    create_person(
        username="other",
        full_name="X Y",
        unit=world.commune_q,
        national_id=cccd(1985, "female", serial=2),
    )
    before = User.objects.count()
    outcome = services.commit(imp, actor=world.manager_a)
    # Re-validation at commit sees it: that row is skipped, the other stored.
    assert outcome.created == 1 and outcome.skipped == 1
    assert User.objects.count() == before + 1
    assert RosterImport.objects.get(pk=imp.pk).status == ImportStatus.COMMITTED


def test_storing_costs_the_same_number_of_queries_for_10_or_60_rows(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size, offset in ((10, 100), (60, 200)):
        rows = [person(offset + n) for n in range(size)]
        imp = services.stage(text(rows), "a.csv", actor=world.manager_a, unit=world.commune_a)
        with CaptureQueriesContext(connection) as queries:
            assert services.commit(imp, actor=world.manager_a).created == size
        counts.append(len(queries))
    assert counts[1] == counts[0], counts


def test_imported_people_count_in_campaign_progress_at_once(world: World) -> None:
    from hocvu.campaigns.models import PersonStatus

    imp = services.stage(
        text([person(1), person(2)]), "a.csv", actor=world.manager_a, unit=world.commune_a
    )
    services.commit(imp, actor=world.manager_a)
    ids = User.objects.filter(full_name__in=[person(1)[0], person(2)[0]]).values_list(
        "pk", flat=True
    )
    statuses = PersonStatus.objects.filter(person_id__in=list(ids))
    assert statuses.count() == 2
    assert {s.unit_id for s in statuses} == {world.commune_a.pk}


def test_a_preview_larger_than_one_insert_statement_is_kept_whole(world: World) -> None:
    rows = [
        person(n, name=person(n)[0].upper() + " " + "ABCDEFGHIK"[n % 10] * 2)
        for n in range(1, 1201)
    ]
    imp = services.stage(text(rows), "a.csv", actor=world.manager_a, unit=world.commune_a)
    assert imp.rows.count() == 1200 == imp.total_rows
    assert imp.problems.filter(code="normalised", field="full_name").count() == 1200
    assert sorted(imp.rows.values_list("row", flat=True)) == list(range(2, 1202))
