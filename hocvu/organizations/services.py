"""Building and querying the unit tree."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Concat, Substr

from hocvu.organizations import signals
from hocvu.organizations.models import Unit, UnitKind

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _segment(number: int) -> str:
    if number < 0 or number >= 36**Unit.SEGMENT:
        raise ValueError("unit number out of range")
    out = []
    for _ in range(Unit.SEGMENT):
        number, rest = divmod(number, 36)
        out.append(_DIGITS[rest])
    return "".join(reversed(out))


def _next_child_path(parent: Unit | None) -> str:
    siblings = Unit.objects.filter(parent=parent) if parent else Unit.objects.filter(parent=None)
    last = siblings.order_by("-path").values_list("path", flat=True).first()
    number = int(last[-Unit.SEGMENT :], 36) + 1 if last else 0
    return (parent.path if parent else "") + _segment(number)


@transaction.atomic
def create_unit(
    *, code: str, name: str, kind: str, parent: Unit | None = None, name_en: str = ""
) -> Unit:
    """Create a unit as the last child of ``parent`` (or as a new root)."""
    if kind not in UnitKind.values:
        raise ValueError(f"unknown unit kind {kind!r}")
    if parent is not None:
        # Lock the parent so two concurrent inserts don't take the same path.
        parent = Unit.objects.select_for_update().get(pk=parent.pk)
    path = _next_child_path(parent)
    depth = 0 if parent is None else parent.depth + 1
    return Unit.objects.create(
        parent=parent, path=path, depth=depth, code=code, name=name, name_en=name_en, kind=kind
    )


def bulk_create_children(parent: Unit, children: Iterable[tuple[str, str, str, str]]) -> list[Unit]:
    """Create many children of ``parent`` at once: ``(code, name, name_en, kind)`` tuples."""
    with transaction.atomic():
        parent = Unit.objects.select_for_update().get(pk=parent.pk)
        last = Unit.objects.filter(parent=parent).order_by("-path").values_list("path", flat=True)
        first = last.first()
        number = int(first[-Unit.SEGMENT :], 36) + 1 if first else 0
        units = []
        for offset, (code, name, name_en, kind) in enumerate(children):
            if kind not in UnitKind.values:
                raise ValueError(f"unknown unit kind {kind!r}")
            units.append(
                Unit(
                    parent=parent,
                    path=parent.path + _segment(number + offset),
                    depth=parent.depth + 1,
                    code=code,
                    name=name,
                    name_en=name_en,
                    kind=kind,
                )
            )
        return Unit.objects.bulk_create(units, batch_size=1000)


def subtree(unit: Unit, *, include_self: bool = True) -> QuerySet[Unit]:
    """All units under ``unit``: one prefix scan on the path index."""
    qs = Unit.objects.filter(path__startswith=unit.path)
    return qs if include_self else qs.exclude(pk=unit.pk)


def ancestors(unit: Unit, *, include_self: bool = True) -> QuerySet[Unit]:
    """The chain from the root down to ``unit``, root first."""
    seg = Unit.SEGMENT
    prefixes = [unit.path[: i + seg] for i in range(0, len(unit.path), seg)]
    if not include_self:
        prefixes = prefixes[:-1]
    return Unit.objects.filter(path__in=prefixes).order_by("depth")


def is_within(unit_path: str, scope_path: str) -> bool:
    """True when the unit with ``unit_path`` lies in the subtree rooted at ``scope_path``."""
    return unit_path.startswith(scope_path)


@transaction.atomic
def move_unit(unit: Unit, new_parent: Unit) -> Unit:
    """Move ``unit`` and its whole subtree under ``new_parent``."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    new_parent = Unit.objects.select_for_update().get(pk=new_parent.pk)
    if new_parent.path.startswith(unit.path):
        raise ValueError("a unit cannot be moved under itself")
    old_path, old_depth = unit.path, unit.depth
    new_path = _next_child_path(new_parent)
    shift = new_parent.depth + 1 - old_depth
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1)),
        depth=F("depth") + shift,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()
    signals.unit_moved.send(sender=Unit, unit_id=unit.pk, old_path=old_path)
    return unit


NATIONAL_TREE = __import__("pathlib").Path(__file__).parent / "data" / "vietnam_units.toml"


def _mid_phrase(name: str) -> str:
    """'Tỉnh Lai Châu' -> 'tỉnh Lai Châu', as it reads inside a longer unit name."""
    return name[:1].lower() + name[1:]


@transaction.atomic
def install_national_tree() -> Unit:
    """Create the shipped tree (idempotent): nation, Assembly, bodies, delegations, councils."""
    import tomllib

    existing = Unit.objects.filter(code="VN").first()
    if existing is not None:
        return existing
    with NATIONAL_TREE.open("rb") as handle:
        data = tomllib.load(handle)
    nat = data["national"]
    root = create_unit(
        code=nat["code"], name=nat["name"], name_en=nat["name_en"], kind=UnitKind.NATIONAL
    )
    qh = data["assembly"]
    assembly = create_unit(
        code=qh["code"], name=qh["name"], name_en=qh["name_en"], kind=UnitKind.ASSEMBLY, parent=root
    )
    bodies = [
        (b["code"], b["name"], b["name_en"], UnitKind.ASSEMBLY_BODY)
        for b in data["assembly_bodies"]
    ]
    delegations = [
        (
            f"DDBQH-{p['code']}",
            f"Đoàn đại biểu Quốc hội {_mid_phrase(p['name'])}",
            f"National Assembly Delegation of {p['name_en']}",
            UnitKind.DELEGATION,
        )
        for p in data["provinces"]
    ]
    bulk_create_children(assembly, bodies + delegations)
    hd = data["councils"]
    councils = create_unit(
        code=hd["code"], name=hd["name"], name_en=hd["name_en"], kind=UnitKind.COUNCILS, parent=root
    )
    bulk_create_children(
        councils,
        [
            (
                f"HDND-{p['code']}",
                f"Hội đồng nhân dân {_mid_phrase(p['name'])}",
                f"People's Council of {p['name_en']}",
                UnitKind.PROVINCIAL_COUNCIL,
            )
            for p in data["provinces"]
        ],
    )
    return root
