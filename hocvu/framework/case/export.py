"""Export: a framework version as a CASE 1.1 ``CFPackage`` or stand-alone ``CFDocument``.

Reads the version through :func:`hocvu.framework.services.to_definition` and writes nothing.
Every entity carries the same ``lastChangeDateTime`` (the version's publication, else its
creation), so exporting an unchanged version twice gives the same package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from hocvu.framework import services
from hocvu.framework.case.vocabulary import (
    AREA,
    CASE_VERSION,
    COMPETENCE,
    COMPETENCE_LEVEL,
    DEFAULT_CREATOR,
    EXTENSION,
    FORMAT_VERSION,
    LANGUAGE,
    PROFICIENCY_LEVEL,
    ROLE_PROFILE,
    ROLE_TARGET,
    TRANSLATION,
    TypeDefinition,
    entity_uri,
    level_code,
    name_uuid,
)
from hocvu.framework.models import LEVELS, FrameworkVersion


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
        identifier = name_uuid(f"association:{kind}:{origin}:{dest_key}")
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
                    code=level_code(comp["code"], lvl),
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
