from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hocvu.organizations.models import Unit, UnitKind
from hocvu.organizations.services import (
    ancestors,
    bulk_create_children,
    create_unit,
    install_national_tree,
    move_unit,
    subtree,
)


@pytest.mark.django_db
def test_it_builds_the_national_tree() -> None:
    root = install_national_tree()
    assert install_national_tree() == root  # idempotent
    assert Unit.objects.filter(kind=UnitKind.DELEGATION).count() == 34
    assert Unit.objects.filter(kind=UnitKind.PROVINCIAL_COUNCIL).count() == 34
    hanoi = Unit.objects.get(code="DDBQH-HNI")
    assert hanoi.name == "Đoàn đại biểu Quốc hội thành phố Hà Nội"
    assert [u.code for u in ancestors(hanoi)] == ["VN", "QH", "DDBQH-HNI"]
    assembly = Unit.objects.get(code="QH")
    assert subtree(assembly).count() == 1 + 11 + 34


@pytest.mark.django_db
def test_subtree_is_one_query_and_exact() -> None:
    root = create_unit(code="R", name="R", kind=UnitKind.NATIONAL)
    a = create_unit(code="A", name="A", kind=UnitKind.OTHER, parent=root)
    b = create_unit(code="B", name="B", kind=UnitKind.OTHER, parent=root)
    bulk_create_children(a, [(f"A{i}", f"A{i}", "", UnitKind.OTHER) for i in range(40)])
    bulk_create_children(b, [(f"B{i}", f"B{i}", "", UnitKind.OTHER) for i in range(3)])
    with CaptureQueriesContext(connection) as queries:
        codes = set(subtree(a).values_list("code", flat=True))
    assert len(queries) == 1
    assert codes == {"A"} | {f"A{i}" for i in range(40)}
    assert subtree(a, include_self=False).count() == 40


@pytest.mark.django_db
def test_sibling_paths_sort_in_creation_order_past_the_first_digit() -> None:
    root = create_unit(code="R", name="R", kind=UnitKind.NATIONAL)
    kids = bulk_create_children(root, [(f"K{i}", f"K{i}", "", UnitKind.OTHER) for i in range(40)])
    extra = create_unit(code="K40", name="K40", kind=UnitKind.OTHER, parent=root)
    paths = [k.path for k in kids] + [extra.path]
    assert paths == sorted(paths)
    assert len(set(paths)) == 41


@pytest.mark.django_db
def test_it_moves_a_subtree() -> None:
    root = create_unit(code="R", name="R", kind=UnitKind.NATIONAL)
    a = create_unit(code="A", name="A", kind=UnitKind.OTHER, parent=root)
    b = create_unit(code="B", name="B", kind=UnitKind.OTHER, parent=root)
    a1 = create_unit(code="A1", name="A1", kind=UnitKind.OTHER, parent=a)
    a11 = create_unit(code="A11", name="A11", kind=UnitKind.OTHER, parent=a1)
    move_unit(a1, b)
    a1.refresh_from_db()
    a11.refresh_from_db()
    assert a1.parent == b and a1.depth == 2 and a11.depth == 3
    assert set(subtree(b).values_list("code", flat=True)) == {"B", "A1", "A11"}
    assert set(subtree(a).values_list("code", flat=True)) == {"A"}
    with pytest.raises(ValueError, match="under itself"):
        move_unit(b, a11)


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_and_nothing_is_created() -> None:
    root = create_unit(code="R", name="R", kind=UnitKind.NATIONAL)
    with pytest.raises(ValueError, match="unknown unit kind"):
        bulk_create_children(root, [("X1", "X1", "", UnitKind.OTHER), ("X2", "X2", "", "planet")])
    assert Unit.objects.count() == 1
