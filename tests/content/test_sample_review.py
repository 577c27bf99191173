"""The review sample: reproducible from its seed, stratified over areas, levels and pools."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hocvu.content import services
from hocvu.content.management.commands.sample_review import draw


def sample(seed: int, items: int = 30, lessons: int = 10) -> str:
    out = StringIO()
    call_command("sample_review", seed=seed, items=items, lessons=lessons, stdout=out)
    return out.getvalue()


def test_the_same_seed_gives_the_same_sample_and_another_seed_another() -> None:
    assert sample(7) == sample(7)
    assert sample(7) != sample(8)


def test_items_cover_every_area_and_level_and_both_pools_in_proportion() -> None:
    items, lessons = draw(20261205, 30, 10, curriculum=services.CURRICULUM, exam=services.EXAM)
    codes = [u.code for u in items]
    assert len(set(codes)) == 30
    by_area = Counter(u.area for u in items)
    assert sorted(by_area) == ["1", "2", "3", "4", "5", "6"] and set(by_area.values()) == {5}
    for area in by_area:
        assert {u.level for u in items if u.area == area} == {1, 2, 3, 4}
    levels = Counter(u.level for u in items)
    assert max(levels.values()) - min(levels.values()) <= 2
    pools = Counter(u.pool for u in items)
    assert pools == {"exam": 10, "learning": 20}
    assert all(u.code.startswith("X-") == (u.pool == "exam") for u in items)
    assert max(Counter(u.area for u in items if u.pool == "exam").values()) <= 2
    # Lessons: distinct, every area, a spread of levels.
    assert len({u.code for u in lessons}) == 10
    assert {u.area for u in lessons} == {"1", "2", "3", "4", "5", "6"}
    assert set(Counter(u.level for u in lessons).values()) <= {2, 3}


def test_the_lesson_sample_does_not_depend_on_the_number_of_items() -> None:
    _, few = draw(3, 6, 10, curriculum=services.CURRICULUM, exam=services.EXAM)
    _, many = draw(3, 40, 10, curriculum=services.CURRICULUM, exam=services.EXAM)
    assert [u.code for u in few] == [u.code for u in many]


def test_a_sample_larger_than_a_stratum_fails_clearly() -> None:
    # 96 lessons in all (3 per level in area 1): 400 cannot be drawn.
    with pytest.raises(CommandError, match="no lesson left"):
        sample(1, items=0, lessons=400)
    with pytest.raises(CommandError, match="must not be negative"):
        sample(1, items=-1)
