"""Three attempts a year: on the shipped bank every role gets three forms that repeat
nothing, because an area's extra question moves to a competence that still has items."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from hocvu.certification import exam
from tests.certification.test_exam import shipped_blueprint_and_pool

ROOT = Path(__file__).resolve().parents[2]


def shipped_roles() -> list[str]:
    framework = tomllib.loads(
        (ROOT / "hocvu/framework/data/default_framework.toml").read_text(encoding="utf-8")
    )
    return [r["code"] for r in framework["roles"] if any(int(v) for v in r["targets"].values())]


def targets_of(role_code: str) -> list[tuple[str, str, int]]:
    framework = tomllib.loads(
        (ROOT / "hocvu/framework/data/default_framework.toml").read_text(encoding="utf-8")
    )
    area_of = {c["code"]: a["code"] for a in framework["areas"] for c in a["competences"]}
    role = next(r for r in framework["roles"] if r["code"] == role_code)
    return [(area_of[c], c, int(level)) for c, level in role["targets"].items()]


@pytest.mark.parametrize("role_code", shipped_roles())
def test_three_forms_without_a_repeated_item(role_code: str) -> None:
    _cells, pool = shipped_blueprint_and_pool(role_code)
    targets = targets_of(role_code)
    seen: set[str] = set()
    for attempt in range(3):
        unseen = {key: sum(1 for i in items if i.code not in seen) for key, items in pool.items()}
        cells = exam.blueprint_for_targets(targets, unseen)
        form = exam.assemble(cells, pool, seed=attempt, exclude=seen)
        assert not seen & set(form.codes), (role_code, attempt)
        assert len(form.codes) == sum(c.count for c in cells)
        seen |= set(form.codes)


def test_the_extra_question_stays_at_the_top_target_while_it_has_items() -> None:
    targets = [("1", "1.1", 3), ("1", "1.2", 2), ("1", "1.3", 2)]
    first = exam.blueprint_for_targets(targets, {("1.1", 3): 4, ("1.2", 2): 4, ("1.3", 2): 4})
    assert {(c.competence, c.count) for c in first} == {("1.1", 2), ("1.2", 1), ("1.3", 1)}
    # 1.1 has one item left: the extra goes to the neighbour with the most left.
    third = exam.blueprint_for_targets(targets, {("1.1", 3): 1, ("1.2", 2): 2, ("1.3", 2): 3})
    assert {(c.competence, c.count) for c in third} == {("1.1", 1), ("1.2", 1), ("1.3", 2)}
    # Without availability (the blueprint shown before a start) nothing moves.
    assert exam.blueprint_for_targets(targets) == first
