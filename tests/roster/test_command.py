"""manage.py import_roster: exit status, report, nothing stored on errors, same scope."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hocvu.identity.models import User
from hocvu.roster.models import RosterImport
from tests.conftest import World
from tests.roster.conftest import person, text, xlsx

pytestmark = pytest.mark.django_db


def run(*args: str) -> int:
    try:
        call_command("import_roster", *args)
    except CommandError as exc:
        return exc.returncode
    return 0


def read_report(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def test_a_clean_file_checks_with_status_0_and_stores_nothing(world: World, tmp_path: Path) -> None:
    roster = tmp_path / "ds.xlsx"
    roster.write_bytes(xlsx([person(1), person(2)]))
    before = User.objects.count()
    assert run(str(roster), "--unit", "HDND-P-A", "--as", "manager_a") == 0
    assert User.objects.count() == before
    assert not RosterImport.objects.exists()


def test_commit_stores_and_a_second_run_creates_nobody(world: World, tmp_path: Path) -> None:
    roster = tmp_path / "ds.csv"
    roster.write_bytes(text([person(1), person(2)]))
    before = User.objects.count()
    args = (str(roster), "--unit", "HDND-P-A", "--as", "manager_a", "--commit")
    assert run(*args) == 0
    assert User.objects.count() == before + 2
    assert run(*args) == 0
    assert User.objects.count() == before + 2
    assert RosterImport.objects.filter(status="committed").count() == 2


def test_errors_exit_1_store_nothing_and_are_reported(world: World, tmp_path: Path) -> None:
    roster = tmp_path / "ds.csv"
    rows = [person(1), person(2, gender="Nam"), person(3, phone="=cmd|' /C calc'!A0")]
    roster.write_bytes(text(rows))
    report = tmp_path / "report.csv"
    before = User.objects.count()
    status = run(
        str(roster), "--unit", "HDND-P-A", "--as", "manager_a", "--commit", "--report", str(report)
    )
    assert status == 1
    assert User.objects.count() == before
    assert not RosterImport.objects.exists()
    lines = read_report(report)
    assert lines[0] == ["row", "column", "level", "message"]
    assert lines[1][:3] == ["3", "Số CCCD", "error"]
    assert "giới tính" in lines[1][3]  # Vietnamese
    assert lines[2][:3] == ["4", "Số điện thoại", "error"]
    assert all(rows[1][3] not in ",".join(line) for line in lines)  # no ID number


def test_warnings_and_duplicates_are_in_the_report_but_exit_0(world: World, tmp_path: Path) -> None:
    roster = tmp_path / "ds.csv"
    rows = [person(1, name="trần thị thu b"), person(2, name="Trần Thị Thu B", dob=person(1)[1])]
    roster.write_bytes(text(rows))
    report = tmp_path / "r.csv"
    assert run(str(roster), "--unit", "HDND-P-A", "--as", "manager_a", "--report", str(report)) == 0
    levels = {(line[0], line[2]) for line in read_report(report)[1:]}
    assert levels == {("2", "warning"), ("3", "duplicate")}


@pytest.mark.parametrize(
    ("unit", "username"),
    [
        ("HDND-P-B", "manager_a"),
        ("HDND-P-A", "learner"),
        ("HDND-P-A", "nobody"),
        ("NO-SUCH", "admin"),
    ],
)
def test_scope_is_the_same_as_on_the_web(
    world: World, tmp_path: Path, unit: str, username: str
) -> None:
    roster = tmp_path / "ds.csv"
    roster.write_bytes(text([person(1, unit="")]))
    before = User.objects.count()
    assert run(str(roster), "--unit", unit, "--as", username, "--commit") == 2
    assert User.objects.count() == before


def test_a_unit_code_outside_the_chosen_unit_is_an_error(world: World, tmp_path: Path) -> None:
    roster = tmp_path / "ds.csv"
    roster.write_bytes(text([person(1, unit="HDND-P-B")]))
    assert run(str(roster), "--unit", "HDND-P-A", "--as", "province_manager", "--commit") == 1


def test_an_unreadable_file_exits_1(world: World, tmp_path: Path) -> None:
    roster = tmp_path / "ds.xlsx"
    roster.write_bytes(b"PK\x03\x04garbage")
    report = tmp_path / "r.csv"
    assert run(str(roster), "--unit", "HDND-P-A", "--as", "manager_a", "--report", str(report)) == 1
    assert read_report(report)[1][:3] == ["", "", "error"]
    assert run(str(tmp_path / "missing.csv"), "--unit", "HDND-P-A", "--as", "manager_a") == 2
