"""CASE 1.1 export and import of framework versions (hocvu.framework.case)."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hocvu.audit.models import AuditEvent
from hocvu.framework import case, services
from hocvu.framework.models import (
    Area,
    Competence,
    CompetenceLevel,
    Framework,
    FrameworkVersion,
    LevelDefinition,
    Prerequisite,
    RoleProfile,
    RoleTarget,
)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# From the CASE 1.1 CFPackage JSON binding: required and allowed properties of each class
# (the package classes do not allow other properties; extensions go in "extensions").
DOCUMENT_REQUIRED = {"identifier", "uri", "creator", "title", "lastChangeDateTime"}
DOCUMENT_ALLOWED = DOCUMENT_REQUIRED | {
    "frameworkType", "caseVersion", "officialSourceURL", "publisher", "description", "subject",
    "subjectURI", "language", "version", "adoptionStatus", "statusStartDate", "statusEndDate",
    "licenseURI", "notes", "extensions",
}  # fmt: skip
ITEM_REQUIRED = {"identifier", "fullStatement", "uri", "lastChangeDateTime"}
ITEM_ALLOWED = ITEM_REQUIRED | {
    "alternativeLabel", "CFItemType", "humanCodingScheme", "listEnumeration",
    "abbreviatedStatement", "conceptKeywords", "conceptKeywordsURI", "notes", "subject",
    "subjectURI", "language", "educationLevel", "CFItemTypeURI", "licenseURI", "statusStartDate",
    "statusEndDate", "extensions",
}  # fmt: skip
ASSOCIATION_REQUIRED = {
    "identifier", "associationType", "uri", "originNodeURI", "destinationNodeURI",
    "lastChangeDateTime",
}  # fmt: skip
ASSOCIATION_ALLOWED = ASSOCIATION_REQUIRED | {
    "sequenceNumber", "CFAssociationGroupingURI", "notes", "extensions",
}  # fmt: skip
ITEM_TYPE_REQUIRED = {"identifier", "uri", "title", "description", "hierarchyCode",
                      "lastChangeDateTime"}  # fmt: skip
ITEM_TYPE_ALLOWED = ITEM_TYPE_REQUIRED | {"typeCode", "extensions"}
GROUPING_REQUIRED = {"identifier", "uri", "title", "lastChangeDateTime"}
GROUPING_ALLOWED = GROUPING_REQUIRED | {"description", "extensions"}
LINK_KEYS = {"title", "identifier", "uri"}


def row_counts() -> dict[str, int]:
    models = (
        Framework, FrameworkVersion, LevelDefinition, Area, Competence, CompetenceLevel,
        Prerequisite, RoleProfile, RoleTarget, AuditEvent,
    )  # fmt: skip
    return {m.__name__: m.objects.count() for m in models}


def without_identity(package: dict[str, Any]) -> dict[str, Any]:
    """The package without what belongs to the version itself (see docs/case.md)."""
    doc_id = package["CFDocument"]["identifier"]
    out: dict[str, Any] = json.loads(json.dumps(package).replace(doc_id, "DOCUMENT"))

    def strip(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("lastChangeDateTime", None)
            for value in node.values():
                strip(value)
        elif isinstance(node, list):
            for value in node:
                strip(value)

    strip(out)
    out["CFDocument"].pop("adoptionStatus")
    return out


def sorted_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """Comparable definitions: prerequisites in one order; level and role identifiers (which
    the definition format may or may not carry) are compared on the rows instead."""
    out = copy.deepcopy(definition)
    out["prerequisites"].sort(key=lambda p: tuple(p.values()))
    for entry in out["levels"] + out["roles"]:
        entry.pop("uuid", None)
    return out


def item(package: dict[str, Any], code: str) -> tuple[int, dict[str, Any]]:
    for i, entry in enumerate(package["CFItems"]):
        if entry.get("humanCodingScheme") == code:
            return i, entry
    raise AssertionError(code)


def association(
    package: dict[str, Any], kind: str, origin_code: str, destination_code: str | None = None
) -> tuple[int, dict[str, Any]]:
    origin = item(package, origin_code)[1]["identifier"]
    dest = item(package, destination_code)[1]["identifier"] if destination_code else None
    for j, entry in enumerate(package["CFAssociations"]):
        if (
            entry["associationType"] == kind
            and entry["originNodeURI"]["identifier"] == origin
            and (dest is None or entry["destinationNodeURI"]["identifier"] == dest)
        ):
            return j, entry
    raise AssertionError((kind, origin_code, destination_code))


def link_to(package: dict[str, Any], code: str) -> dict[str, str]:
    entry = item(package, code)[1]
    return {"title": code, "identifier": entry["identifier"], "uri": entry["uri"]}


def new_association(kind: str, origin: dict[str, str], dest: dict[str, str]) -> dict[str, Any]:
    ident = str(uuid.uuid4())
    return {
        "identifier": ident,
        "uri": case.entity_uri("CFAssociations", ident),
        "associationType": kind,
        "originNodeURI": origin,
        "destinationNodeURI": dest,
        "lastChangeDateTime": "2026-01-01T00:00:00Z",
    }


# ---------------------------------------------------------------------------
# Round trip
# ---------------------------------------------------------------------------


def assert_round_trip(original: FrameworkVersion) -> None:
    first = case.export_package(original)
    expected = sorted_definition(services.to_definition(original))
    assert sorted_definition(case.read_package(first).definition) == expected

    imported = services.publish(case.import_package(case.dumps(first)))
    assert imported.pk != original.pk
    assert imported.uuid != original.uuid
    assert imported.framework_id == original.framework_id
    assert sorted_definition(services.to_definition(imported)) == expected

    second = case.export_package(imported)
    assert second["CFDocument"]["identifier"] == str(imported.uuid)
    assert without_identity(second) == without_identity(first)
    # Rows the definition format does not carry keep their identifiers as well.
    for model, key in ((LevelDefinition, "number"), (RoleProfile, "code")):
        before = dict(model.objects.filter(version=original).values_list(key, "uuid"))
        after = dict(model.objects.filter(version=imported).values_list(key, "uuid"))
        assert before == after and before


@pytest.mark.django_db
def test_round_trip_of_the_small_framework_is_lossless(published_framework: Any) -> None:
    assert_round_trip(published_framework)


@pytest.mark.django_db
def test_round_trip_of_the_shipped_framework_is_lossless() -> None:
    original = services.install_default()
    package = case.export_package(original)
    kinds = [entry["CFItemType"] for entry in package["CFItems"]]
    assert kinds.count(case.AREA.title) == 6
    assert kinds.count(case.COMPETENCE.title) == 24
    assert kinds.count(case.COMPETENCE_LEVEL.title) == 96
    assert kinds.count(case.ROLE_PROFILE.title) == 9
    assert [a["associationType"] for a in package["CFAssociations"]].count("precedes") == 25
    assert_round_trip(original)


@pytest.mark.django_db
def test_a_package_from_elsewhere_keeps_its_document_identifier(published_framework: Any) -> None:
    draft = services.new_draft(published_framework.framework, label="1.1")
    package = case.export_package(draft)
    draft.delete()  # as if the package came from another installation
    imported = case.import_package(package)
    assert str(imported.uuid) == package["CFDocument"]["identifier"]
    again = case.export_package(imported)
    assert again["CFDocument"]["identifier"] == package["CFDocument"]["identifier"]
    assert without_identity(again) == without_identity(package)


@pytest.mark.django_db
def test_a_draft_round_trips_as_well(published_framework: Any) -> None:
    draft = services.new_draft(published_framework.framework, label="1.1")
    package = case.export_package(draft)
    assert package["CFDocument"]["adoptionStatus"] == "Draft"
    services.publish(draft)
    imported = case.import_package(package)
    assert imported.label == "1.1"
    assert not imported.is_published
    assert sorted_definition(services.to_definition(imported)) == sorted_definition(
        services.to_definition(draft)
    )


# ---------------------------------------------------------------------------
# The exported package
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_follows_the_case_package_binding(published_framework: Any, settings: Any) -> None:
    settings.PUBLIC_URL = "https://hocvu.example.vn/"
    package = case.export_package(published_framework)
    assert set(package) == {"CFDocument", "CFItems", "CFAssociations", "CFDefinitions"}
    base = "https://hocvu.example.vn/ims/case/v1p1/"

    doc = package["CFDocument"]
    assert DOCUMENT_REQUIRED <= set(doc) <= DOCUMENT_ALLOWED
    assert doc["identifier"] == str(published_framework.uuid)
    assert doc["uri"] == f"{base}CFDocuments/{doc['identifier']}"
    assert doc["caseVersion"] == "1.1"
    assert doc["language"] == "vi"
    assert doc["version"] == "1.0"
    assert doc["adoptionStatus"] == "Published"
    assert doc["extensions"]["ext:hocvu"]["frameworkCode"] == "test-fw"
    assert doc["extensions"]["ext:hocvu"]["translations"]["en"]["title"] == "Test"

    definitions = package["CFDefinitions"]
    type_ids = set()
    for entry in definitions["CFItemTypes"]:
        assert ITEM_TYPE_REQUIRED <= set(entry) <= ITEM_TYPE_ALLOWED
        assert entry["uri"] == f"{base}CFItemTypes/{entry['identifier']}"
        type_ids.add(entry["identifier"])
    assert len(type_ids) == 5
    groupings = {g["identifier"] for g in definitions["CFAssociationGroupings"]}
    for entry in definitions["CFAssociationGroupings"]:
        assert GROUPING_REQUIRED <= set(entry) <= GROUPING_ALLOWED

    ids = {doc["identifier"]}
    for entry in package["CFItems"]:
        assert ITEM_REQUIRED <= set(entry) <= ITEM_ALLOWED, entry
        assert UUID_RE.match(entry["identifier"])
        assert entry["uri"] == f"{base}CFItems/{entry['identifier']}"
        assert set(entry["CFItemTypeURI"]) == LINK_KEYS
        assert entry["CFItemTypeURI"]["identifier"] in type_ids
        assert entry["fullStatement"]
        ids.add(entry["identifier"])
    assert len(ids) == len(package["CFItems"]) + 1
    # 4 proficiency levels, 2 areas, 3 competences, 12 statements, 2 role profiles
    assert len(package["CFItems"]) == 23

    for entry in package["CFAssociations"]:
        assert ASSOCIATION_REQUIRED <= set(entry) <= ASSOCIATION_ALLOWED, entry
        assert UUID_RE.match(entry["identifier"])
        assert entry["uri"] == f"{base}CFAssociations/{entry['identifier']}"
        assert entry["associationType"] in case.ASSOCIATION_TYPES
        for end in ("originNodeURI", "destinationNodeURI"):
            assert set(entry[end]) == LINK_KEYS
            assert entry[end]["identifier"] in ids
        if "CFAssociationGroupingURI" in entry:
            assert entry["CFAssociationGroupingURI"]["identifier"] in groupings
        if entry["associationType"] == "isChildOf":
            assert isinstance(entry["sequenceNumber"], int)
    kinds = [a["associationType"] for a in package["CFAssociations"]]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "isChildOf": 17,
        "hasSkillLevel": 12,
        "precedes": 1,
        "isRelatedTo": 6,
    }
    json.loads(case.dumps(package))  # serialisable

    alone = case.export_document(published_framework)
    assert alone["CFPackageURI"] == {
        "title": doc["title"],
        "identifier": doc["identifier"],
        "uri": f"{base}CFPackages/{doc['identifier']}",
    }


@pytest.mark.django_db
def test_export_maps_each_concept(published_framework: Any) -> None:
    package = case.export_package(published_framework)
    competence = CompetenceLevel.objects.get(
        competence__version=published_framework, competence__code="1.2", level=3
    )
    _, statement = item(package, "1.2-L3")
    assert statement["identifier"] == str(competence.uuid)
    assert statement["fullStatement"] == "Đánh giá mức 3"
    assert statement["extensions"]["ext:hocvu"]["translations"]["en"] == {
        "fullStatement": "Evaluate level 3"
    }
    assert statement["CFItemType"] == case.COMPETENCE_LEVEL.title
    _, parent = association(package, "isChildOf", "1.2-L3", "1.2")
    assert parent["sequenceNumber"] == 3
    association(package, "hasSkillLevel", "1.2-L3", "L3")
    _, area_link = association(package, "isChildOf", "4")
    assert area_link["destinationNodeURI"]["identifier"] == str(published_framework.uuid)
    assert area_link["sequenceNumber"] == 2
    assert association(package, "isChildOf", "1.2", "1")[1]["sequenceNumber"] == 2
    # the prerequisite 1.1@2 precedes 1.2@2
    association(package, "precedes", "1.1-L2", "1.2-L2")
    # role targets: deputy → level 3 of every competence; council → 1.1@2, 1.2@1, 4.2@2
    for code, level in {"1.1": 2, "1.2": 1, "4.2": 2}.items():
        _, target = association(package, "isRelatedTo", "commune_council", f"{code}-L{level}")
        grouping = target["CFAssociationGroupingURI"]
        assert grouping["identifier"] == case.ROLE_TARGET.identifier
    _, role = item(package, "na_deputy")
    assert role["fullStatement"] == "Đại biểu Quốc hội"
    assert role["listEnumeration"] == "1"
    assert role["extensions"]["ext:hocvu"]["translations"]["en"]["fullStatement"] == (
        "National Assembly deputy"
    )
    _, expert = item(package, "L4")
    assert (expert["fullStatement"], expert["listEnumeration"]) == ("Chuyên sâu", "4")


@pytest.mark.django_db
def test_identifiers_are_stable_across_exports_and_versions(published_framework: Any) -> None:
    first = case.export_package(published_framework)
    assert case.export_package(published_framework) == first
    draft = services.new_draft(published_framework.framework, label="1.1")
    later = case.export_package(draft)

    def tree(package: dict[str, Any]) -> set[str]:
        kinds = {case.AREA.title, case.COMPETENCE.title, case.COMPETENCE_LEVEL.title}
        items = {e["identifier"] for e in package["CFItems"] if e["CFItemType"] in kinds}
        links = {
            a["identifier"]
            for a in package["CFAssociations"]
            if a["associationType"] in ("isChildOf", "precedes")
        }
        return items | links

    assert tree(later) == tree(first)
    assert later["CFDocument"]["identifier"] != first["CFDocument"]["identifier"]


# ---------------------------------------------------------------------------
# Bad packages
# ---------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], Any]


def _drop(key: str, code: str) -> Mutation:
    def mutate(p: dict[str, Any]) -> Any:
        del item(p, code)[1][key]
        return p

    return mutate


def _set_child_sequence(code: str, parent: str, value: Any) -> Mutation:
    def mutate(p: dict[str, Any]) -> Any:
        association(p, "isChildOf", code, parent)[1]["sequenceNumber"] = value
        return p

    return mutate


def _add(kind: str, origin: str, dest: str, grouped: bool = False) -> Mutation:
    def mutate(p: dict[str, Any]) -> Any:
        entry = new_association(kind, link_to(p, origin), link_to(p, dest))
        if grouped:
            entry["CFAssociationGroupingURI"] = association(p, "isRelatedTo", "na_deputy")[1][
                "CFAssociationGroupingURI"
            ]
        p["CFAssociations"].append(entry)
        return p

    return mutate


def _duplicate_item(p: dict[str, Any]) -> Any:
    i, _ = item(p, "1.2")
    p["CFItems"][i + 1]["identifier"] = p["CFItems"][i]["identifier"]
    return p


def _duplicate_association(p: dict[str, Any]) -> Any:
    p["CFAssociations"][3]["identifier"] = p["CFAssociations"][1]["identifier"]
    return p


def _unknown_destination(p: dict[str, Any]) -> Any:
    association(p, "precedes", "1.1-L2")[1]["destinationNodeURI"]["identifier"] = (
        "00000000-0000-4000-8000-000000000000"
    )
    return p


def _set_item(code: str, key: str, value: Any) -> Mutation:
    def mutate(p: dict[str, Any]) -> Any:
        item(p, code)[1][key] = value
        return p

    return mutate


def _retype(p: dict[str, Any]) -> Any:
    item(p, "1.1")[1]["CFItemTypeURI"]["identifier"] = str(uuid.uuid4())
    return p


def _orphan_area(p: dict[str, Any]) -> Any:
    j, _ = association(p, "isChildOf", "4")
    del p["CFAssociations"][j]
    return p


def _wrong_skill_level(p: dict[str, Any]) -> Any:
    _, entry = association(p, "hasSkillLevel", "1.1-L1")
    entry["destinationNodeURI"] = link_to(p, "L2")
    return p


def _exact_match(p: dict[str, Any]) -> Any:
    association(p, "precedes", "1.1-L2")[1]["associationType"] = "exactMatchOf"
    return p


def _unknown_type(p: dict[str, Any]) -> Any:
    association(p, "precedes", "1.1-L2")[1]["associationType"] = "resembles"
    return p


def _no_framework_code(p: dict[str, Any]) -> Any:
    del p["CFDocument"]["extensions"]["ext:hocvu"]["frameworkCode"]
    return p


# Each case: how to break a good package, and the start of the error (the field is named).
BAD: dict[str, tuple[Mutation, str]] = {
    "not JSON": (lambda p: case.dumps(p)[:-30], "package: not valid JSON"),
    "not an object": (lambda p: "[1, 2]", "package: must be an object"),
    "no CFDocument": (
        lambda p: {k: v for k, v in p.items() if k != "CFDocument"},
        "CFDocument: missing",
    ),
    "document without title": (
        lambda p: {**p, "CFDocument": {**p["CFDocument"], "title": ""}},
        "CFDocument.title: missing",
    ),
    "other CASE version": (
        lambda p: {**p, "CFDocument": {**p["CFDocument"], "caseVersion": "1.0"}},
        "CFDocument.caseVersion: must be '1.1'",
    ),
    "no framework code": (
        _no_framework_code,
        "CFDocument.extensions.ext:hocvu.frameworkCode: missing",
    ),
    "CFItems not an array": (lambda p: {**p, "CFItems": {}}, "CFItems: must be an array"),
    "item without identifier": (_drop("identifier", "1.2"), "CFItems[10].identifier: missing"),
    "item with a bad identifier": (
        _set_item("1.2", "identifier", "1.2"),
        "CFItems[10].identifier: not a UUID",
    ),
    "item without fullStatement": (
        _drop("fullStatement", "1.1-L3"),
        "CFItems[8].fullStatement: missing",
    ),
    "item without uri": (_drop("uri", "4"), "CFItems[15].uri: missing"),
    "item of an unknown type": (_retype, "CFItems[5].CFItemTypeURI.identifier: unknown item type"),
    "duplicate item identifier": (
        _duplicate_item,
        "CFItems[11].identifier: duplicate of CFItems[10]",
    ),
    "item reusing the document identifier": (
        lambda p: {
            **p,
            "CFItems": [{**p["CFItems"][0], "identifier": p["CFDocument"]["identifier"]}],
        },
        "CFItems[0].identifier: duplicate of CFDocument",
    ),
    "duplicate association identifier": (
        _duplicate_association,
        "CFAssociations[3].identifier: duplicate of CFAssociations[1]",
    ),
    "association to an unknown item": (
        _unknown_destination,
        "CFAssociations[29].destinationNodeURI.identifier: unknown item",
    ),
    "competence level at level 7": (
        _set_child_sequence("1.1-L3", "1.1", 7),
        "CFAssociations[6].sequenceNumber: level must be 1, 2, 3 or 4, not 7",
    ),
    "two statements at one level": (
        _set_child_sequence("1.1-L4", "1.1", 3),
        "CFAssociations[8].sequenceNumber: competence 1.1 has two statements at level 3",
    ),
    "proficiency level 5": (
        _set_item("L2", "listEnumeration", "5"),
        "CFItems[1].listEnumeration: level must be 1, 2, 3 or 4, not '5'",
    ),
    "two proficiency levels 1": (
        _set_item("L2", "listEnumeration", "1"),
        "CFItems[1].listEnumeration: level 1 is also CFItems[0]",
    ),
    "role order not a number": (
        _set_item("na_deputy", "listEnumeration", "first"),
        "CFItems[21].listEnumeration: must be a whole number",
    ),
    "hasSkillLevel disagrees": (
        _wrong_skill_level,
        "CFAssociations[3]: competence level 1.1-L1 is at level 1",
    ),
    "area outside the tree": (
        _orphan_area,
        "CFItems[15]: competence area 4 is not a child of the CFDocument",
    ),
    "competence under a competence": (
        _add("isChildOf", "1.1", "1.2"),
        "CFAssociations[36]: a competence 1.1 cannot be a child of competence 1.2",
    ),
    "cycle in precedes": (
        _add("precedes", "1.2-L2", "1.1-L2"),
        "CFAssociations[36]: precedes makes a cycle 1.1-L2 → 1.2-L2 → 1.1-L2",
    ),
    "longer cycle in precedes": (
        lambda p: _add("precedes", "4.2-L1", "1.1-L2")(_add("precedes", "1.2-L2", "4.2-L1")(p)),
        "CFAssociations[37]: precedes makes a cycle 1.1-L2 → 1.2-L2 → 4.2-L1 → 1.1-L2",
    ),
    "level precedes itself": (
        _add("precedes", "1.1-L1", "1.1-L1"),
        "CFAssociations[36]: a competence level cannot precede itself",
    ),
    "precedes between competences": (
        _add("precedes", "1.1", "1.2"),
        "CFAssociations[36]: must link a competence level to a competence level, not "
        "competence 1.1",
    ),
    "duplicate competence code": (
        _set_item("1.2", "humanCodingScheme", "1.1"),
        "CFItems[10].humanCodingScheme: competence 1.1 is also CFItems[5]",
    ),
    "role target to a competence": (
        _add("isRelatedTo", "na_deputy", "4.2", grouped=True),
        "CFAssociations[36]: must link a role profile to a competence level, not "
        "role profile na_deputy to competence 4.2",
    ),
    "two targets for one competence": (
        _add("isRelatedTo", "na_deputy", "1.1-L1", grouped=True),
        "CFAssociations[36]: role profile na_deputy already has a target for competence 1.1 "
        "(CFAssociations[30])",
    ),
    "isRelatedTo outside the grouping": (
        _add("isRelatedTo", "na_deputy", "1.1-L1"),
        "CFAssociations[36].CFAssociationGroupingURI: isRelatedTo is only supported",
    ),
    "unsupported association type": (
        _exact_match,
        "CFAssociations[29].associationType: 'exactMatchOf' is not supported",
    ),
    "unknown association type": (
        _unknown_type,
        "CFAssociations[29].associationType: 'resembles' is not a CASE association type",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(BAD))
def test_bad_package_names_the_field_and_changes_nothing(
    published_framework: Any, name: str
) -> None:
    mutate, message = BAD[name]
    data = mutate(copy.deepcopy(case.export_package(published_framework)))
    before = row_counts()
    with pytest.raises(case.CaseError) as caught:
        case.import_package(data)
    assert str(caught.value).startswith(message), str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert row_counts() == before


@pytest.mark.django_db
def test_a_late_failure_rolls_everything_back(
    published_framework: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = case.export_package(published_framework)
    # The definition is valid, but the framework already has a draft: refused by services.
    services.new_draft(published_framework.framework, label="1.1")
    before = row_counts()
    with pytest.raises(case.CaseError, match="package: framework test-fw: a draft version"):
        case.import_package(package)
    assert row_counts() == before

    # A failure after every row is written leaves nothing behind either.
    package["CFDocument"]["extensions"]["ext:hocvu"]["frameworkCode"] = "other-fw"

    class Broken:
        class objects:  # stands in for the model's manager
            @staticmethod
            def filter(**kwargs: Any) -> Any:
                raise RuntimeError("disk full")

    monkeypatch.setattr(case, "RoleProfile", Broken)
    with pytest.raises(RuntimeError, match="disk full"):
        case.import_package(package)
    assert row_counts() == before
    assert not Framework.objects.filter(code="other-fw").exists()


@pytest.mark.django_db
def test_read_package_accepts_bytes_and_a_wrapped_package(published_framework: Any) -> None:
    package = case.export_package(published_framework)
    expected = case.read_package(package).definition
    assert case.read_package(case.dumps(package).encode()).definition == expected
    assert case.read_package({"CFPackage": package}).definition == expected
    with pytest.raises(case.CaseError, match="package: not UTF-8"):
        case.read_package(b"\xff\xfe{")


# ---------------------------------------------------------------------------
# Management commands
# ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_commands_export_and_import_through_a_file(published_framework: Any, tmp_path: Any) -> None:
    path = tmp_path / "khung.json"
    call_command("export_case", "--framework", "test-fw", "-o", str(path), stderr=StringIO())
    text = path.read_text(encoding="utf-8")
    assert "Tìm kiếm thông tin" in text  # Vietnamese written as is, not escaped
    assert json.loads(text)["CFDocument"]["identifier"] == str(published_framework.uuid)

    out = StringIO()
    call_command("import_case", str(path), "--publish", stdout=out)
    new = services.current_version("test-fw")
    assert new is not None and new.number == 2 and new.is_published
    assert str(new.uuid) in out.getvalue()
    assert sorted_definition(services.to_definition(new)) == sorted_definition(
        services.to_definition(published_framework)
    )

    out = StringIO()
    call_command("export_case", stdout=out)
    assert json.loads(out.getvalue())["CFDocument"]["identifier"] == str(new.uuid)

    out = StringIO()
    call_command("import_case", str(path), stdout=out)
    draft = FrameworkVersion.objects.get(framework__code="test-fw", number=3)
    assert not draft.is_published and "draft" in out.getvalue()


@pytest.mark.django_db
def test_commands_report_errors_and_change_nothing(published_framework: Any, tmp_path: Any) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"CFDocument": ', encoding="utf-8")
    before = row_counts()
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_case", str(bad))
    with pytest.raises(CommandError, match=r"missing\.json"):
        call_command("import_case", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="no published version of framework nope"):
        call_command("export_case", "--framework", "nope")
    with pytest.raises(CommandError, match=r"no version 9\.9"):
        call_command("export_case", "--label", "9.9")
    assert row_counts() == before
