"""Reading: validate an incoming CASE 1.1 ``CFPackage`` of this format into a definition.

:func:`read_package` touches no database: it turns the package into the definition that
:func:`hocvu.framework.services.create_version_from_definition` takes, or raises
:class:`~hocvu.framework.case.vocabulary.CaseError` naming the first problem found (e.g.
``CFItems[8].fullStatement: missing``). Because the whole package is checked before anything is
written, a malformed package never leaves a half-imported version behind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hocvu.framework.case.vocabulary import (
    AREA,
    ASSOCIATION_TYPES,
    CASE_VERSION,
    COMPETENCE,
    COMPETENCE_LEVEL,
    EXTENSION,
    FORMAT_VERSION,
    ITEM_TYPES,
    PROFICIENCY_LEVEL,
    ROLE_PROFILE,
    ROLE_TARGET,
    TRANSLATION,
    CaseError,
    TypeDefinition,
    level_code,
)
from hocvu.framework.models import LEVELS

_TYPES_BY_ID = {d.identifier: d for d in ITEM_TYPES}
# The kind of parent each kind of item has in the isChildOf tree (None: the CFDocument).
_PARENT_KIND: dict[TypeDefinition, TypeDefinition | None] = {
    AREA: None,
    COMPETENCE: AREA,
    COMPETENCE_LEVEL: COMPETENCE,
}


@dataclass
class ReadPackage:
    """A validated package: a definition (as :func:`services.to_definition` returns it, plus a
    ``uuid`` for each level and role) and those identifiers again by level number / role code.
    """

    definition: dict[str, Any]
    document_identifier: str
    level_uuids: dict[int, str] = field(default_factory=dict)
    role_uuids: dict[str, str] = field(default_factory=dict)


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        raise CaseError(f"{where}: missing")
    if not isinstance(value, Mapping):
        raise CaseError(f"{where}: must be an object, not {type(value).__name__}")
    return value


def _array(container: Mapping[str, Any], key: str) -> list[Any]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CaseError(f"{key}: must be an array, not {type(value).__name__}")
    return value


def _text(obj: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise CaseError(f"{where}.{key}: missing")
        return ""
    if not isinstance(value, str):
        raise CaseError(f"{where}.{key}: must be a string, not {type(value).__name__}")
    return value


def _identifier(obj: Mapping[str, Any], key: str, where: str) -> str:
    raw = _text(obj, key, where)
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise CaseError(f"{where}.{key}: not a UUID: {raw!r}") from None


def _canonical(identifier: str) -> str:
    try:
        return str(uuid.UUID(identifier))
    except ValueError:
        return identifier


def _integer(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if value is None:
        raise CaseError(f"{where}.{key}: missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaseError(f"{where}.{key}: must be an integer, not {value!r}")
    return value


def _whole_number(value: Any, where: str) -> int:
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not text.isdigit():
        raise CaseError(f"{where}: must be a whole number, not {value!r}")
    return int(text)


def _level_number(value: Any, where: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or number not in LEVELS or str(number) != str(value).strip():
        raise CaseError(f"{where}: level must be 1, 2, 3 or 4, not {value!r}")
    return number


def _hocvu(obj: Mapping[str, Any], where: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """This format's extension object of ``obj`` and its English translation (both may be {})."""
    extensions = obj.get("extensions")
    if extensions is None:
        return {}, {}
    ours = _obj(extensions, f"{where}.extensions").get(EXTENSION)
    if ours is None:
        return {}, {}
    ext_where = f"{where}.extensions.{EXTENSION}"
    ours = _obj(ours, ext_where)
    translations = ours.get("translations")
    if translations is None:
        return ours, {}
    english = _obj(translations, f"{ext_where}.translations").get(TRANSLATION)
    if english is None:
        return ours, {}
    return ours, _obj(english, f"{ext_where}.translations.{TRANSLATION}")


@dataclass
class _Item:
    index: int
    kind: TypeDefinition
    identifier: str
    statement: str
    code: str
    order: int
    ext: Mapping[str, Any]
    english: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"CFItems[{self.index}]"

    def label(self) -> str:
        return f"{self.kind.title_en.lower()} {self.code or repr(self.statement[:40])}"

    def extension_text(self, key: str) -> str:
        return _text(self.ext, key, f"{self.where}.extensions.{EXTENSION}", required=False)

    def english_text(self, key: str) -> str:
        where = f"{self.where}.extensions.{EXTENSION}.translations.{TRANSLATION}"
        return _text(self.english, key, where, required=False)


def _coerce(data: Any) -> Mapping[str, Any]:
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CaseError(f"package: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise CaseError(
                f"package: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            ) from None
        except RecursionError:
            raise CaseError("package: the JSON is nested too deeply to be a CASE package") from None
    top = _obj(data, "package")
    if "CFDocument" not in top and isinstance(top.get("CFPackage"), Mapping):
        top = top["CFPackage"]
    return top


def read_package(data: Any) -> ReadPackage:
    """Validate a CFPackage (a dict, or JSON text/bytes) of this format; touch no database.

    Raises :class:`CaseError` naming the first problem found.
    """
    return _Reader(_coerce(data)).read()


class _Reader:
    """One pass over a package: document, items, associations, then the definition."""

    def __init__(self, top: Mapping[str, Any]) -> None:
        self.top = top
        self.doc_id = ""
        self.items: dict[str, _Item] = {}
        self.seen: dict[str, str] = {}  # identifier -> where it was first seen
        self.parent: dict[str, tuple[str, int, int]] = {}  # child -> (parent, sequence, index)
        self.skill_level: dict[str, tuple[str, int]] = {}  # competence level -> (level, index)
        self.precedes: list[tuple[str, str, int]] = []  # (requires, target, index)
        self.targets: list[tuple[str, str, int]] = []  # (role, competence level, index)
        self.level_key: dict[str, tuple[str, int]] = {}  # competence level -> (code, level)
        self.codes: dict[tuple[str, str], _Item] = {}

    def read(self) -> ReadPackage:
        framework = self.document()
        self.read_items()
        self.read_associations()
        levels = self.levels()
        areas = self.tree(levels)
        role_items = sorted(self.of_kind(ROLE_PROFILE), key=lambda it: (it.order, it.index))
        definition = {
            "framework": framework,
            "levels": [
                {
                    "number": number,
                    "uuid": levels[number].identifier,
                    "name": levels[number].statement,
                    "name_en": levels[number].english_text("fullStatement"),
                    "description": levels[number].extension_text("description"),
                    "description_en": levels[number].english_text("description"),
                }
                for number in LEVELS
            ],
            "areas": areas,
            "prerequisites": self.prerequisites(),
            "roles": self.roles(role_items),
        }
        return ReadPackage(
            definition=definition,
            document_identifier=self.doc_id,
            level_uuids={n: levels[n].identifier for n in LEVELS},
            role_uuids={it.code: it.identifier for it in role_items},
        )

    def of_kind(self, kind: TypeDefinition) -> list[_Item]:
        return [it for it in self.items.values() if it.kind is kind]

    # -- document -----------------------------------------------------------

    def document(self) -> dict[str, str]:
        doc = _obj(self.top.get("CFDocument"), "CFDocument")
        self.doc_id = _identifier(doc, "identifier", "CFDocument")
        self.seen[self.doc_id] = "CFDocument"
        for key in ("uri", "creator", "title", "lastChangeDateTime"):
            _text(doc, key, "CFDocument")
        if doc.get("caseVersion") not in (None, CASE_VERSION):
            raise CaseError(
                f"CFDocument.caseVersion: must be '{CASE_VERSION}', not {doc['caseVersion']!r}"
            )
        ext, english = _hocvu(doc, "CFDocument")
        ext_where = f"CFDocument.extensions.{EXTENSION}"
        en_where = f"{ext_where}.translations.{TRANSLATION}"
        fmt = ext.get("formatVersion", FORMAT_VERSION)
        if fmt != FORMAT_VERSION:
            raise CaseError(
                f"{ext_where}.formatVersion: {fmt!r} is not supported (only {FORMAT_VERSION})"
            )
        return {
            "code": _text(ext, "frameworkCode", ext_where),
            "version": _text(doc, "version", "CFDocument", required=False),
            "title": _text(doc, "title", "CFDocument"),
            "title_en": _text(english, "title", en_where, required=False),
            "description": _text(doc, "description", "CFDocument", required=False),
            "description_en": _text(english, "description", en_where, required=False),
        }

    # -- items --------------------------------------------------------------

    def read_items(self) -> None:
        for i, raw in enumerate(_array(self.top, "CFItems")):
            where = f"CFItems[{i}]"
            entry = _obj(raw, where)
            ident = _identifier(entry, "identifier", where)
            if ident in self.seen:
                raise CaseError(f"{where}.identifier: duplicate of {self.seen[ident]} ({ident})")
            self.seen[ident] = where
            statement = _text(entry, "fullStatement", where)
            _text(entry, "uri", where)
            _text(entry, "lastChangeDateTime", where)
            type_where = f"{where}.CFItemTypeURI"
            type_id = _text(_obj(entry.get("CFItemTypeURI"), type_where), "identifier", type_where)
            kind = _TYPES_BY_ID.get(_canonical(type_id))
            if kind is None:
                raise CaseError(f"{type_where}.identifier: unknown item type {type_id!r}")
            ext, english = _hocvu(entry, where)
            code = _text(
                entry, "humanCodingScheme", where, required=kind in (AREA, COMPETENCE, ROLE_PROFILE)
            )
            order = 0
            if kind is PROFICIENCY_LEVEL:
                order = _level_number(entry.get("listEnumeration"), f"{where}.listEnumeration")
            elif kind is ROLE_PROFILE:
                order = _whole_number(entry.get("listEnumeration"), f"{where}.listEnumeration")
            self.items[ident] = _Item(i, kind, ident, statement, code, order, ext, english)

    # -- associations -------------------------------------------------------

    def read_associations(self) -> None:
        seen: dict[str, int] = {}
        for j, raw in enumerate(_array(self.top, "CFAssociations")):
            where = f"CFAssociations[{j}]"
            entry = _obj(raw, where)
            ident = _identifier(entry, "identifier", where)
            if ident in seen:
                raise CaseError(f"{where}.identifier: duplicate of CFAssociations[{seen[ident]}]")
            if ident in self.seen:
                raise CaseError(f"{where}.identifier: duplicate of {self.seen[ident]} ({ident})")
            seen[ident] = j
            kind_name = _text(entry, "associationType", where)
            _text(entry, "uri", where)
            _text(entry, "lastChangeDateTime", where)
            origin_id = self.node(entry, "originNodeURI", where)
            dest_id = self.node(entry, "destinationNodeURI", where)
            if kind_name == "isChildOf":
                self.child_of(entry, origin_id, dest_id, j)
            elif kind_name == "hasSkillLevel":
                self.has_skill_level(origin_id, dest_id, j)
            elif kind_name == "precedes":
                self.expect(origin_id, COMPETENCE_LEVEL, dest_id, COMPETENCE_LEVEL, j)
                self.precedes.append((origin_id, dest_id, j))
            elif kind_name == "isRelatedTo":
                self.role_target(entry, origin_id, dest_id, j)
            elif kind_name in ASSOCIATION_TYPES or kind_name.startswith("ext:"):
                raise CaseError(
                    f"{where}.associationType: {kind_name!r} is not supported by this format"
                )
            else:
                raise CaseError(
                    f"{where}.associationType: {kind_name!r} is not a CASE association type"
                )

    def node(self, entry: Mapping[str, Any], end: str, where: str) -> str:
        where = f"{where}.{end}"
        node_id = _canonical(_text(_obj(entry.get(end), where), "identifier", where))
        if node_id not in self.items and not (
            end == "destinationNodeURI" and node_id == self.doc_id
        ):
            raise CaseError(f"{where}.identifier: unknown item {node_id!r}")
        return node_id

    def describe(self, identifier: str) -> str:
        item = self.items.get(identifier)
        return item.label() if item else "the CFDocument"

    def expect(
        self,
        origin_id: str,
        origin_kind: TypeDefinition,
        dest_id: str,
        dest_kind: TypeDefinition,
        j: int,
    ) -> None:
        origin, dest = self.items[origin_id], self.items.get(dest_id)
        if origin.kind is not origin_kind or dest is None or dest.kind is not dest_kind:
            raise CaseError(
                f"CFAssociations[{j}]: must link a {origin_kind.title_en.lower()} to a "
                f"{dest_kind.title_en.lower()}, not {origin.label()} to {self.describe(dest_id)}"
            )

    def child_of(self, entry: Mapping[str, Any], origin_id: str, dest_id: str, j: int) -> None:
        where = f"CFAssociations[{j}]"
        origin, dest = self.items[origin_id], self.items.get(dest_id)
        dest_kind = dest.kind if dest else None
        if origin.kind not in _PARENT_KIND or _PARENT_KIND[origin.kind] is not dest_kind:
            raise CaseError(
                f"{where}: a {origin.label()} cannot be a child of {self.describe(dest_id)}"
            )
        if origin_id in self.parent:
            first = self.parent[origin_id][2]
            raise CaseError(
                f"{where}: {origin.label()} already has a parent (CFAssociations[{first}])"
            )
        sequence = _integer(entry, "sequenceNumber", where)
        if origin.kind is COMPETENCE_LEVEL:
            sequence = _level_number(sequence, f"{where}.sequenceNumber")
        self.parent[origin_id] = (dest_id, sequence, j)

    def has_skill_level(self, origin_id: str, dest_id: str, j: int) -> None:
        self.expect(origin_id, COMPETENCE_LEVEL, dest_id, PROFICIENCY_LEVEL, j)
        if origin_id in self.skill_level:
            first = self.skill_level[origin_id][1]
            raise CaseError(
                f"CFAssociations[{j}]: {self.describe(origin_id)} already has a skill level "
                f"(CFAssociations[{first}])"
            )
        self.skill_level[origin_id] = (dest_id, j)

    def role_target(self, entry: Mapping[str, Any], origin_id: str, dest_id: str, j: int) -> None:
        where = f"CFAssociations[{j}].CFAssociationGroupingURI"
        grouping = entry.get("CFAssociationGroupingURI")
        group_id = _canonical(_text(_obj(grouping, where), "identifier", where)) if grouping else ""
        if group_id != ROLE_TARGET.identifier:
            raise CaseError(
                f"{where}: isRelatedTo is only supported in the grouping "
                f"'{ROLE_TARGET.title_en}' ({ROLE_TARGET.identifier})"
            )
        self.expect(origin_id, ROLE_PROFILE, dest_id, COMPETENCE_LEVEL, j)
        self.targets.append((origin_id, dest_id, j))

    # -- assembling ---------------------------------------------------------

    def levels(self) -> dict[int, _Item]:
        levels: dict[int, _Item] = {}
        for item in self.of_kind(PROFICIENCY_LEVEL):
            if item.order in levels:
                raise CaseError(
                    f"{item.where}.listEnumeration: level {item.order} is also "
                    f"{levels[item.order].where}"
                )
            levels[item.order] = item
        for number in LEVELS:
            if number not in levels:
                raise CaseError(f"CFItems: proficiency level {number} is missing")
        return levels

    def unique_code(self, item: _Item) -> str:
        other = self.codes.get((item.kind.key, item.code))
        if other is not None:
            raise CaseError(f"{item.where}.humanCodingScheme: {item.label()} is also {other.where}")
        self.codes[item.kind.key, item.code] = item
        return item.code

    def tree(self, levels: Mapping[int, _Item]) -> list[dict[str, Any]]:
        above = {AREA: "the CFDocument", COMPETENCE: "an area", COMPETENCE_LEVEL: "a competence"}
        children: dict[str, list[_Item]] = {}
        for kind in (AREA, COMPETENCE, COMPETENCE_LEVEL):
            for item in self.of_kind(kind):
                if item.identifier not in self.parent:
                    raise CaseError(f"{item.where}: {item.label()} is not a child of {above[kind]}")
                children.setdefault(self.parent[item.identifier][0], []).append(item)

        def ordered(parent_id: str) -> list[_Item]:
            members = children.get(parent_id, [])
            return sorted(members, key=lambda it: (self.parent[it.identifier][1], it.index))

        areas = [self.area(area, ordered, levels) for area in ordered(self.doc_id)]
        if not areas:
            raise CaseError("CFItems: at least one competence area is required")
        return areas

    def area(
        self,
        area: _Item,
        ordered: Callable[[str], list[_Item]],
        levels: Mapping[int, _Item],
    ) -> dict[str, Any]:
        code = self.unique_code(area)
        return {
            "code": code,
            "uuid": area.identifier,
            "title": area.statement,
            "title_en": area.english_text("fullStatement"),
            "description": area.extension_text("description"),
            "description_en": area.english_text("description"),
            "competences": [
                self.competence(comp, ordered(comp.identifier), levels)
                for comp in ordered(area.identifier)
            ],
        }

    def competence(
        self, comp: _Item, children: list[_Item], levels: Mapping[int, _Item]
    ) -> dict[str, Any]:
        code = self.unique_code(comp)
        statements: dict[int, _Item] = {}
        for cl in children:
            _, lvl, j = self.parent[cl.identifier]
            if lvl in statements:
                raise CaseError(
                    f"CFAssociations[{j}].sequenceNumber: competence {code} has two statements "
                    f"at level {lvl} ({statements[lvl].where}, {cl.where})"
                )
            if cl.identifier in self.skill_level:
                level_id, k = self.skill_level[cl.identifier]
                if level_id != levels[lvl].identifier:
                    raise CaseError(
                        f"CFAssociations[{k}]: {cl.label()} is at level {lvl} (the "
                        f"sequenceNumber of CFAssociations[{j}]) but its hasSkillLevel names "
                        f"level {self.items[level_id].order}"
                    )
            statements[lvl] = cl
            self.level_key[cl.identifier] = (code, lvl)
        missing = [str(lvl) for lvl in LEVELS if lvl not in statements]
        if missing:
            raise CaseError(
                f"{comp.where}: competence {code} has no statement at level {', '.join(missing)}"
            )
        return {
            "code": code,
            "uuid": comp.identifier,
            "title": comp.statement,
            "title_en": comp.english_text("fullStatement"),
            "description": comp.extension_text("description"),
            "description_en": comp.english_text("description"),
            "work_context": comp.extension_text("workContext"),
            "statements": [statements[lvl].statement for lvl in LEVELS],
            "statements_en": [statements[lvl].english_text("fullStatement") for lvl in LEVELS],
            "level_uuids": [statements[lvl].identifier for lvl in LEVELS],
        }

    def prerequisites(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        graph: dict[str, list[tuple[str, int]]] = {}
        pairs: dict[tuple[str, str], int] = {}
        for requires_id, target_id, j in self.precedes:
            if (requires_id, target_id) in pairs:
                first = pairs[requires_id, target_id]
                raise CaseError(f"CFAssociations[{j}]: repeats CFAssociations[{first}]")
            if requires_id == target_id:
                raise CaseError(f"CFAssociations[{j}]: a competence level cannot precede itself")
            pairs[requires_id, target_id] = j
            graph.setdefault(requires_id, []).append((target_id, j))
            (t_code, t_level), (r_code, r_level) = (
                self.level_key[target_id],
                self.level_key[requires_id],
            )
            out.append(
                {
                    "competence": t_code,
                    "level": t_level,
                    "requires_competence": r_code,
                    "requires_level": r_level,
                }
            )
        _check_acyclic(graph, {k: level_code(*v) for k, v in self.level_key.items()})
        return sorted(
            out,
            key=lambda p: (
                p["competence"],
                p["level"],
                p["requires_competence"],
                p["requires_level"],
            ),
        )

    def roles(self, role_items: list[_Item]) -> list[dict[str, Any]]:
        targets: dict[str, dict[str, int]] = {it.identifier: {} for it in role_items}
        target_at: dict[tuple[str, str], int] = {}
        for role_id, cl_id, j in self.targets:
            comp_code, lvl = self.level_key[cl_id]
            if (role_id, comp_code) in target_at:
                raise CaseError(
                    f"CFAssociations[{j}]: {self.describe(role_id)} already has a target for "
                    f"competence {comp_code} (CFAssociations[{target_at[role_id, comp_code]}])"
                )
            target_at[role_id, comp_code] = j
            targets[role_id][comp_code] = lvl
        return [
            {
                "code": self.unique_code(it),
                "uuid": it.identifier,
                "title": it.statement,
                "title_en": it.english_text("fullStatement"),
                "description": it.extension_text("description"),
                "description_en": it.english_text("description"),
                "targets": dict(sorted(targets[it.identifier].items())),
            }
            for it in role_items
        ]


def _check_acyclic(graph: Mapping[str, list[tuple[str, int]]], labels: Mapping[str, str]) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt, j in graph.get(node, []):
            if state.get(nxt) == 1:
                loop = [*trail[trail.index(nxt) :], node, nxt] if nxt in trail else [node, nxt]
                path = " → ".join(labels[n] for n in loop)
                raise CaseError(f"CFAssociations[{j}]: precedes makes a cycle {path}")
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in graph:  # in the order of the associations: the same report every time
        if node not in state:
            visit(node, [])
