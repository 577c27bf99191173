"""CASE 1.1 packages of a framework version (1EdTech Competencies and Academic Standards Exchange).

:func:`export_package` turns a framework version into a ``CFPackage`` (the JSON binding of
CASE 1.1); :func:`import_package` reads such a package back into a new draft version, all or
nothing. The mapping is documented in ``docs/case.md``; in short:

* the version is the ``CFDocument`` (identifier = the version's uuid);
* areas, competences, competence levels (the can-do statements), the four proficiency levels
  and the role profiles are ``CFItems`` of five ``CFItemTypes`` (identifier = the row's uuid);
* ``isChildOf`` associations make the tree document → area → competence → competence level,
  ``sequenceNumber`` giving the order (and, for a competence level, its level 1–4);
* ``hasSkillLevel`` links a competence level to its proficiency level;
* ``precedes`` links a prerequisite to the competence level that needs it;
* ``isRelatedTo`` associations in the "role target level" grouping link a role profile to the
  competence level it must reach;
* English text, descriptions and work contexts travel in the ``extensions`` object of each
  entity under the key ``ext:hocvu``, English as a language-tagged alternative
  (``translations.en``).

Identifiers of the definitions (item types, grouping) and of the associations are name-based
UUIDs (version 5), so every export of the same relation carries the same identifier.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from hocvu.framework import services
from hocvu.framework.models import (
    LEVELS,
    FrameworkVersion,
    LevelDefinition,
    RoleProfile,
)

CASE_VERSION = "1.1"
API_PATH = "/ims/case/v1p1"
EXTENSION = "ext:hocvu"
FORMAT_VERSION = 1
LANGUAGE = "vi"
TRANSLATION = "en"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_CREATOR = "hocvu"
# Namespace of the name-based identifiers below; a constant of this format, never change it.
NAMESPACE = uuid.UUID("aa74c69c-e41e-4c6b-84b1-2855c1cd6a3c")

ASSOCIATION_TYPES = (
    "isChildOf",
    "isPeerOf",
    "isPartOf",
    "exactMatchOf",
    "precedes",
    "isRelatedTo",
    "replacedBy",
    "exemplar",
    "hasSkillLevel",
    "isTranslationOf",
)


class CaseError(ValueError):
    """A CASE package cannot be read; the message names the place (e.g. ``CFItems[3].uri``)."""


def _name_uuid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


@dataclass(frozen=True)
class TypeDefinition:
    """A CFItemType or CFAssociationGrouping this format uses (title in Vietnamese)."""

    key: str
    title: str
    title_en: str
    description: str
    description_en: str
    hierarchy_code: str = ""

    @property
    def identifier(self) -> str:
        return _name_uuid(f"definition:{self.key}")


AREA = TypeDefinition(
    "competence-area",
    "Miền năng lực",
    "Competence area",
    "Nhóm các năng lực thành phần có liên quan với nhau.",
    "A group of related competences.",
    "1",
)
COMPETENCE = TypeDefinition(
    "competence",
    "Năng lực thành phần",
    "Competence",
    "Một năng lực thành phần của khung, được mô tả ở bốn trình độ.",
    "One competence of the framework, described at four proficiency levels.",
    "1.1",
)
COMPETENCE_LEVEL = TypeDefinition(
    "competence-level",
    "Mô tả năng lực theo trình độ",
    "Competence level",
    "Mô tả “có thể làm được” của một năng lực thành phần ở một trình độ; "
    "số thứ tự (sequenceNumber) của liên kết isChildOf là trình độ (1–4).",
    "The can-do statement of one competence at one proficiency level; the sequenceNumber of "
    "its isChildOf association is the level (1–4).",
    "1.1.1",
)
PROFICIENCY_LEVEL = TypeDefinition(
    "proficiency-level",
    "Trình độ",
    "Proficiency level",
    "Một trong bốn trình độ của khung: Cơ bản, Trung cấp, Nâng cao, Chuyên sâu; "
    "listEnumeration là số của trình độ.",
    "One of the framework's four proficiency levels; listEnumeration is the level number.",
    "2",
)
ROLE_PROFILE = TypeDefinition(
    "role-profile",
    "Vai trò",
    "Role profile",
    "Một vai trò (đại biểu, công chức, người dân…) với mức mục tiêu cho từng năng lực thành "
    "phần, biểu diễn bằng các liên kết trong nhóm “Mức mục tiêu theo vai trò”.",
    "A role (deputy, official, citizen, ...) with a target level for each competence, given "
    "by its associations in the “Role target level” grouping.",
    "3",
)
ROLE_TARGET = TypeDefinition(
    "role-target",
    "Mức mục tiêu theo vai trò",
    "Role target level",
    "Liên kết isRelatedTo từ một vai trò đến mô tả năng lực ở trình độ mục tiêu của vai trò đó.",
    "isRelatedTo from a role profile to the competence level that is the role's target.",
)
ITEM_TYPES = (AREA, COMPETENCE, COMPETENCE_LEVEL, PROFICIENCY_LEVEL, ROLE_PROFILE)
_TYPES_BY_ID = {d.identifier: d for d in ITEM_TYPES}
# The kind of parent each kind of item has in the isChildOf tree (None: the CFDocument).
_PARENT_KIND: dict[TypeDefinition, TypeDefinition | None] = {
    AREA: None,
    COMPETENCE: AREA,
    COMPETENCE_LEVEL: COMPETENCE,
}


# ---------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------


def base_url() -> str:
    """The public address of this installation (setting ``PUBLIC_URL``)."""
    return str(getattr(settings, "PUBLIC_URL", DEFAULT_PUBLIC_URL)).rstrip("/")


def entity_uri(collection: str, identifier: str) -> str:
    """E.g. ``entity_uri("CFItems", id)`` → ``<PUBLIC_URL>/ims/case/v1p1/CFItems/<id>``."""
    return f"{base_url()}{API_PATH}/{collection}/{identifier}"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _link(title: str, identifier: str, collection: str) -> dict[str, str]:
    return {"title": title, "identifier": identifier, "uri": entity_uri(collection, identifier)}


def _extension(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``{"extensions": {"ext:hocvu": ...}}`` without empty values, or ``{}``."""
    clean: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, Mapping):
            inner = {k: v for k, v in value.items() if v}
            if inner:
                clean[key] = {TRANSLATION: inner} if key == "translations" else inner
        elif value not in ("", None):
            clean[key] = value
    return {"extensions": {EXTENSION: clean}} if clean else {}


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


class _Builder:
    def __init__(self, version: FrameworkVersion, definition: Mapping[str, Any]) -> None:
        self.stamp = _timestamp(version.published_at or version.created_at)
        self.framework_code = str(definition["framework"]["code"])
        self.document_id = str(version.uuid)
        self.document_title = str(definition["framework"]["title"])
        self.items: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.nodes: dict[str, dict[str, str]] = {
            self.document_id: _link(self.document_title, self.document_id, "CFDocuments")
        }
        self.types_used: list[TypeDefinition] = []
        self.groupings_used: list[TypeDefinition] = []

    def item(
        self,
        kind: TypeDefinition,
        identifier: str,
        statement: str,
        *,
        code: str = "",
        enumeration: str = "",
        extension: Mapping[str, Any] | None = None,
    ) -> str:
        if kind not in self.types_used:
            self.types_used.append(kind)
        entry: dict[str, Any] = {
            "identifier": identifier,
            "uri": entity_uri("CFItems", identifier),
            "CFItemType": kind.title,
            "CFItemTypeURI": _link(kind.title, kind.identifier, "CFItemTypes"),
        }
        if code:
            entry["humanCodingScheme"] = code
        if enumeration:
            entry["listEnumeration"] = enumeration
        entry["fullStatement"] = statement
        entry["lastChangeDateTime"] = self.stamp
        entry.update(_extension(extension or {}))
        self.items.append(entry)
        self.nodes[identifier] = _link(code or statement, identifier, "CFItems")
        return identifier

    def associate(
        self,
        kind: str,
        origin: str,
        destination: str,
        *,
        sequence: int | None = None,
        grouping: TypeDefinition | None = None,
    ) -> None:
        # The document's identifier changes from version to version; the framework code not.
        dest_key = (
            f"document:{self.framework_code}" if destination == self.document_id else destination
        )
        identifier = _name_uuid(f"association:{kind}:{origin}:{dest_key}")
        entry: dict[str, Any] = {
            "identifier": identifier,
            "uri": entity_uri("CFAssociations", identifier),
            "associationType": kind,
            "originNodeURI": dict(self.nodes[origin]),
            "destinationNodeURI": dict(self.nodes[destination]),
        }
        if sequence is not None:
            entry["sequenceNumber"] = sequence
        if grouping is not None:
            if grouping not in self.groupings_used:
                self.groupings_used.append(grouping)
            entry["CFAssociationGroupingURI"] = _link(
                grouping.title, grouping.identifier, "CFAssociationGroupings"
            )
        entry["lastChangeDateTime"] = self.stamp
        self.associations.append(entry)

    def definitions(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "CFItemTypes": [
                {
                    "identifier": d.identifier,
                    "uri": entity_uri("CFItemTypes", d.identifier),
                    "title": d.title,
                    "description": d.description,
                    "hierarchyCode": d.hierarchy_code,
                    "typeCode": d.key,
                    "lastChangeDateTime": self.stamp,
                    **_extension(
                        {"translations": {"title": d.title_en, "description": d.description_en}}
                    ),
                }
                for d in self.types_used
            ]
        }
        if self.groupings_used:
            out["CFAssociationGroupings"] = [
                {
                    "identifier": g.identifier,
                    "uri": entity_uri("CFAssociationGroupings", g.identifier),
                    "title": g.title,
                    "description": g.description,
                    "lastChangeDateTime": self.stamp,
                    **_extension(
                        {"translations": {"title": g.title_en, "description": g.description_en}}
                    ),
                }
                for g in self.groupings_used
            ]
        return out


def _level_code(competence_code: str, level: int) -> str:
    return f"{competence_code}-L{level}"


def export_package(version: FrameworkVersion) -> dict[str, Any]:
    """The version as a CASE 1.1 ``CFPackage`` (a JSON-ready dict)."""
    definition = services.to_definition(version)
    level_uuids = {lv.number: str(lv.uuid) for lv in version.levels.all()}
    role_uuids = {r.code: str(r.uuid) for r in version.role_profiles.all()}
    meta = definition["framework"]
    b = _Builder(version, definition)

    document: dict[str, Any] = {
        "identifier": b.document_id,
        "uri": entity_uri("CFDocuments", b.document_id),
        "caseVersion": CASE_VERSION,
        "creator": str(getattr(settings, "CASE_CREATOR", DEFAULT_CREATOR)),
        "title": meta["title"],
        "lastChangeDateTime": b.stamp,
    }
    if meta["description"]:
        document["description"] = meta["description"]
    document["language"] = LANGUAGE
    document["version"] = meta["version"]
    document["adoptionStatus"] = "Published" if version.is_published else "Draft"
    document.update(
        _extension(
            {
                "formatVersion": FORMAT_VERSION,
                "frameworkCode": meta["code"],
                "translations": {"title": meta["title_en"], "description": meta["description_en"]},
            }
        )
    )

    level_items: dict[int, str] = {}
    for lv in definition["levels"]:
        number = int(lv["number"])
        level_items[number] = b.item(
            PROFICIENCY_LEVEL,
            level_uuids[number],
            lv["name"],
            code=f"L{number}",
            enumeration=str(number),
            extension={
                "description": lv["description"],
                "translations": {
                    "fullStatement": lv["name_en"],
                    "description": lv["description_en"],
                },
            },
        )

    statement_items: dict[tuple[str, int], str] = {}
    for a_pos, area in enumerate(definition["areas"], start=1):
        area_id = b.item(
            AREA,
            area["uuid"],
            area["title"],
            code=area["code"],
            extension={
                "description": area["description"],
                "translations": {
                    "fullStatement": area["title_en"],
                    "description": area["description_en"],
                },
            },
        )
        b.associate("isChildOf", area_id, b.document_id, sequence=a_pos)
        for c_pos, comp in enumerate(area["competences"], start=1):
            comp_id = b.item(
                COMPETENCE,
                comp["uuid"],
                comp["title"],
                code=comp["code"],
                extension={
                    "description": comp["description"],
                    "workContext": comp["work_context"],
                    "translations": {
                        "fullStatement": comp["title_en"],
                        "description": comp["description_en"],
                    },
                },
            )
            b.associate("isChildOf", comp_id, area_id, sequence=c_pos)
            for lvl, text, text_en, lvl_uuid in zip(
                LEVELS, comp["statements"], comp["statements_en"], comp["level_uuids"], strict=True
            ):
                cl_id = b.item(
                    COMPETENCE_LEVEL,
                    lvl_uuid,
                    text,
                    code=_level_code(comp["code"], lvl),
                    extension={"translations": {"fullStatement": text_en}},
                )
                statement_items[(comp["code"], lvl)] = cl_id
                b.associate("isChildOf", cl_id, comp_id, sequence=lvl)
                b.associate("hasSkillLevel", cl_id, level_items[lvl])

    for p in definition["prerequisites"]:
        b.associate(
            "precedes",
            statement_items[(p["requires_competence"], p["requires_level"])],
            statement_items[(p["competence"], p["level"])],
        )

    for r_pos, role in enumerate(definition["roles"], start=1):
        role_id = b.item(
            ROLE_PROFILE,
            role_uuids[role["code"]],
            role["title"],
            code=role["code"],
            enumeration=str(r_pos),
            extension={
                "description": role["description"],
                "translations": {
                    "fullStatement": role["title_en"],
                    "description": role["description_en"],
                },
            },
        )
        for comp_code, lvl in role["targets"].items():
            b.associate(
                "isRelatedTo", role_id, statement_items[(comp_code, lvl)], grouping=ROLE_TARGET
            )

    return {
        "CFDocument": document,
        "CFItems": b.items,
        "CFAssociations": b.associations,
        "CFDefinitions": b.definitions(),
    }


def export_document(version: FrameworkVersion) -> dict[str, Any]:
    """The stand-alone ``CFDocument`` (as served outside a package: with ``CFPackageURI``)."""
    document = dict(export_package(version)["CFDocument"])
    document["CFPackageURI"] = _link(document["title"], document["identifier"], "CFPackages")
    return document


def dumps(package: Mapping[str, Any]) -> str:
    """The package as UTF-8-ready JSON text (Vietnamese kept readable)."""
    return json.dumps(package, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


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
        _check_acyclic(graph, {k: _level_code(*v) for k, v in self.level_key.items()})
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


def import_package(data: Any, *, actor: Any = None) -> FrameworkVersion:
    """Create a new draft version from a CFPackage (dict, or JSON text/bytes). All or nothing.

    Areas, competences, competence levels, proficiency levels and role profiles keep the
    identifiers they have in the package. The version keeps the document's identifier when no
    version here has it yet (a package from another installation), else it gets a new one.
    """
    package = read_package(data)
    with transaction.atomic():
        try:
            version = services.create_version_from_definition(package.definition, actor=actor)
        except services.DefinitionError as exc:
            raise CaseError(f"package: {exc}") from exc
        # create_version_from_definition gives these rows new identifiers: restore them.
        for number, ident in package.level_uuids.items():
            LevelDefinition.objects.filter(version=version, number=number).update(uuid=ident)
        for code, ident in package.role_uuids.items():
            RoleProfile.objects.filter(version=version, code=code).update(uuid=ident)
        if not FrameworkVersion.objects.filter(uuid=package.document_identifier).exists():
            FrameworkVersion.objects.filter(pk=version.pk).update(uuid=package.document_identifier)
            version.refresh_from_db()
    return version
