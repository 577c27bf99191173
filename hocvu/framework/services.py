"""Loading, drafting, comparing and publishing framework versions."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import get_language

from hocvu.audit import services as audit
from hocvu.framework.models import (
    LEVELS,
    Area,
    Competence,
    CompetenceLevel,
    Framework,
    FrameworkVersion,
    LevelDefinition,
    Prerequisite,
    PublishedVersionError,
    RoleProfile,
    RoleTarget,
    VersionStatus,
)

DEFAULT_FRAMEWORK = Path(__file__).parent / "data" / "default_framework.toml"


class DefinitionError(ValueError):
    """A framework definition is incomplete or inconsistent; the message names the place."""


def _require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in mapping or mapping[key] in (None, ""):
        raise DefinitionError(f"{where}: missing '{key}'")
    return mapping[key]


def _level(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in LEVELS:
        raise DefinitionError(f"{where}: level must be 1, 2, 3 or 4, not {value!r}")
    return value


@transaction.atomic
def create_version_from_definition(
    data: Mapping[str, Any], *, actor: Any = None
) -> FrameworkVersion:
    """Create a draft version from a definition (the schema of default_framework.toml).

    All or nothing: any inconsistency raises :class:`DefinitionError` and nothing is kept.
    """
    meta = _require(data, "framework", "document")
    code = _require(meta, "code", "framework")
    title = _require(meta, "title", "framework")
    framework, _ = Framework.objects.get_or_create(
        code=code, defaults={"title": title, "title_en": meta.get("title_en", "")}
    )
    if framework.versions.filter(status=VersionStatus.DRAFT).exists():
        raise DefinitionError(f"framework {code}: a draft version already exists")
    number = (framework.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = FrameworkVersion.objects.create(
        framework=framework,
        number=number,
        label=str(meta.get("version") or number),
        title=title,
        title_en=meta.get("title_en", ""),
        description=meta.get("description", ""),
        description_en=meta.get("description_en", ""),
    )
    levels = data.get("levels") or []
    if [lv.get("number") for lv in levels] != list(LEVELS):
        raise DefinitionError("levels: exactly the four levels 1, 2, 3, 4 are required, in order")
    for lv in levels:
        LevelDefinition.objects.create(
            version=version,
            **({"uuid": lv["uuid"]} if lv.get("uuid") else {}),
            number=lv["number"],
            name=_require(lv, "name", f"level {lv['number']}"),
            name_en=lv.get("name_en", ""),
            description=lv.get("description", ""),
            description_en=lv.get("description_en", ""),
        )
    competences: dict[str, Competence] = {}
    cl_by_key: dict[tuple[str, int], CompetenceLevel] = {}
    areas = data.get("areas") or []
    if not areas:
        raise DefinitionError("areas: at least one area is required")
    for a_pos, a in enumerate(areas):
        a_code = str(_require(a, "code", f"areas[{a_pos}]"))
        area = Area.objects.create(
            version=version,
            code=a_code,
            position=a_pos,
            title=_require(a, "title", f"area {a_code}"),
            title_en=a.get("title_en", ""),
            description=a.get("description", ""),
            description_en=a.get("description_en", ""),
            **({"uuid": a["uuid"]} if a.get("uuid") else {}),
        )
        for c_pos, c in enumerate(a.get("competences") or []):
            c_code = str(_require(c, "code", f"area {a_code} competences[{c_pos}]"))
            if c_code in competences:
                raise DefinitionError(f"competence {c_code}: duplicate code")
            where = f"competence {c_code}"
            statements = _require(c, "statements", where)
            statements_en = c.get("statements_en") or [""] * len(LEVELS)
            if len(statements) != len(LEVELS) or len(statements_en) != len(LEVELS):
                raise DefinitionError(f"{where}: one statement per level (4) is required")
            comp = Competence.objects.create(
                version=version,
                area=area,
                code=c_code,
                position=c_pos,
                title=_require(c, "title", where),
                title_en=c.get("title_en", ""),
                description=c.get("description", ""),
                description_en=c.get("description_en", ""),
                work_context=c.get("work_context", ""),
                **({"uuid": c["uuid"]} if c.get("uuid") else {}),
            )
            competences[c_code] = comp
            level_uuids = c.get("level_uuids") or [None] * len(LEVELS)
            for lvl, text, text_en, lvl_uuid in zip(
                LEVELS, statements, statements_en, level_uuids, strict=True
            ):
                if not text:
                    raise DefinitionError(f"{where}: empty statement at level {lvl}")
                cl_by_key[(c_code, lvl)] = CompetenceLevel.objects.create(
                    competence=comp,
                    level=lvl,
                    statement=text,
                    statement_en=text_en,
                    **({"uuid": lvl_uuid} if lvl_uuid else {}),
                )
    for i, p in enumerate(data.get("prerequisites") or []):
        where = f"prerequisites[{i}]"
        target = (str(_require(p, "competence", where)), _level(p.get("level"), where))
        needed = (
            str(_require(p, "requires_competence", where)),
            _level(p.get("requires_level"), where),
        )
        for key in (target, needed):
            if key not in cl_by_key:
                raise DefinitionError(f"{where}: unknown competence {key[0]}")
        Prerequisite.objects.create(target=cl_by_key[target], requires=cl_by_key[needed])
    _check_acyclic(cl_by_key, data.get("prerequisites") or [])
    for r_pos, r in enumerate(data.get("roles") or []):
        r_code = _require(r, "code", f"roles[{r_pos}]")
        where = f"role {r_code}"
        profile = RoleProfile.objects.create(
            version=version,
            **({"uuid": r["uuid"]} if r.get("uuid") else {}),
            code=r_code,
            position=r_pos,
            title=_require(r, "title", where),
            title_en=r.get("title_en", ""),
            description=r.get("description", ""),
            description_en=r.get("description_en", ""),
        )
        targets = r.get("targets") or {}
        for c_code, lvl in targets.items():
            if c_code not in competences:
                raise DefinitionError(f"{where}: target for unknown competence {c_code}")
            RoleTarget.objects.create(
                profile=profile,
                competence=competences[c_code],
                level=_level(lvl, f"{where} target {c_code}"),
            )
    audit.record("framework.draft", actor=actor, obj=version, data={"label": version.label})
    return version


def _check_acyclic(
    nodes: Mapping[tuple[str, int], Any], prereqs: Iterable[Mapping[str, Any]]
) -> None:
    graph: dict[tuple[str, int], list[tuple[str, int]]] = {key: [] for key in nodes}
    for p in prereqs:
        target = (str(p["competence"]), int(p["level"]))
        graph[target].append((str(p["requires_competence"]), int(p["requires_level"])))
    state: dict[tuple[str, int], int] = {}

    def visit(node: tuple[str, int], trail: list[tuple[str, int]]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = " → ".join(f"{c}@{lv}" for c, lv in [*trail, node, nxt])
                raise DefinitionError(f"prerequisites: cycle {cycle}")
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [])


def load_definition(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path.name}: {exc}") from exc


@transaction.atomic
def publish(version: FrameworkVersion, *, actor: Any = None) -> FrameworkVersion:
    """Freeze a draft. From now on nothing in it can change."""
    version = FrameworkVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        raise PublishedVersionError("this version is already published")
    missing = [c.code for c in version.competences.all() if c.levels.count() != len(LEVELS)]
    if missing:
        raise DefinitionError(f"competences without all four levels: {', '.join(missing)}")
    FrameworkVersion.objects.filter(pk=version.pk).update(
        status=VersionStatus.PUBLISHED, published_at=timezone.now()
    )
    version.refresh_from_db()
    audit.record("framework.publish", actor=actor, obj=version, data={"label": version.label})
    return version


def current_version(code: str | None = None) -> FrameworkVersion | None:
    """The newest published version (of framework ``code``, or of any framework)."""
    qs = FrameworkVersion.objects.filter(status=VersionStatus.PUBLISHED)
    if code:
        qs = qs.filter(framework__code=code)
    return qs.select_related("framework").order_by("-published_at", "-number").first()


def to_definition(version: FrameworkVersion) -> dict[str, Any]:
    """The version as a definition mapping (the inverse of create_version_from_definition)."""
    areas = []
    for area in version.areas.order_by("position", "code"):
        comps = []
        for comp in area.competences.order_by("position", "code").prefetch_related("levels"):
            levels = sorted(comp.levels.all(), key=lambda cl: cl.level)
            comps.append(
                {
                    "code": comp.code,
                    "uuid": str(comp.uuid),
                    "title": comp.title,
                    "title_en": comp.title_en,
                    "description": comp.description,
                    "description_en": comp.description_en,
                    "work_context": comp.work_context,
                    "statements": [cl.statement for cl in levels],
                    "statements_en": [cl.statement_en for cl in levels],
                    "level_uuids": [str(cl.uuid) for cl in levels],
                }
            )
        areas.append(
            {
                "code": area.code,
                "uuid": str(area.uuid),
                "title": area.title,
                "title_en": area.title_en,
                "description": area.description,
                "description_en": area.description_en,
                "competences": comps,
            }
        )
    prereqs = [
        {
            "competence": p.target.competence.code,
            "level": p.target.level,
            "requires_competence": p.requires.competence.code,
            "requires_level": p.requires.level,
        }
        for p in Prerequisite.objects.filter(target__competence__version=version)
        .select_related("target__competence", "requires__competence")
        .order_by("target__competence__code", "target__level", "requires__competence__code")
    ]
    roles = [
        {
            "code": r.code,
            "uuid": str(r.uuid),
            "title": r.title,
            "title_en": r.title_en,
            "description": r.description,
            "description_en": r.description_en,
            "targets": {
                t.competence.code: t.level
                for t in r.targets.select_related("competence").order_by("competence__code")
            },
        }
        for r in version.role_profiles.order_by("position", "code")
    ]
    return {
        "framework": {
            "code": version.framework.code,
            "version": version.label,
            "title": version.title,
            "title_en": version.title_en,
            "description": version.description,
            "description_en": version.description_en,
        },
        "levels": [
            {
                "number": lv.number,
                "uuid": str(lv.uuid),
                "name": lv.name,
                "name_en": lv.name_en,
                "description": lv.description,
                "description_en": lv.description_en,
            }
            for lv in version.levels.order_by("number")
        ],
        "areas": areas,
        "prerequisites": prereqs,
        "roles": roles,
    }


@transaction.atomic
def new_draft(framework: Framework, *, label: str, actor: Any = None) -> FrameworkVersion:
    """Start a new draft as a copy of the newest published version (same uuids)."""
    base = current_version(framework.code)
    if base is None:
        raise DefinitionError(f"framework {framework.code} has no published version to copy")
    data = to_definition(base)
    data["framework"]["version"] = label
    draft = create_version_from_definition(data, actor=actor)
    FrameworkVersion.objects.filter(pk=draft.pk).update(based_on=base)
    draft.refresh_from_db()
    return draft


@dataclass(frozen=True)
class Change:
    """One difference between two versions."""

    kind: str  # "added", "removed" or "changed"
    subject: str  # e.g. "competence 1.2", "competence 1.2 level 3", "role na_deputy"
    field: str = ""
    before: str = ""
    after: str = ""


def compare(old: FrameworkVersion, new: FrameworkVersion) -> list[Change]:
    """What changed from ``old`` to ``new``, per area, competence, level and role target."""
    a, b = to_definition(old), to_definition(new)
    changes: list[Change] = []

    def fields(
        x: Mapping[str, Any], y: Mapping[str, Any], subject: str, keys: Iterable[str]
    ) -> None:
        for key in keys:
            if x.get(key, "") != y.get(key, ""):
                changes.append(
                    Change("changed", subject, key, str(x.get(key, "")), str(y.get(key, "")))
                )

    areas_a = {ar["code"]: ar for ar in a["areas"]}
    areas_b = {ar["code"]: ar for ar in b["areas"]}
    for code in sorted(areas_a.keys() | areas_b.keys()):
        subject = f"area {code}"
        if code not in areas_b:
            changes.append(Change("removed", subject, before=areas_a[code]["title"]))
        elif code not in areas_a:
            changes.append(Change("added", subject, after=areas_b[code]["title"]))
        else:
            fields(areas_a[code], areas_b[code], subject, ("title", "title_en", "description"))
    comps_a = {c["code"]: c for ar in a["areas"] for c in ar["competences"]}
    comps_b = {c["code"]: c for ar in b["areas"] for c in ar["competences"]}
    for code in sorted(comps_a.keys() | comps_b.keys()):
        subject = f"competence {code}"
        if code not in comps_b:
            changes.append(Change("removed", subject, before=comps_a[code]["title"]))
            continue
        if code not in comps_a:
            changes.append(Change("added", subject, after=comps_b[code]["title"]))
            continue
        fields(
            comps_a[code],
            comps_b[code],
            subject,
            ("title", "title_en", "description", "work_context"),
        )
        for i, lvl in enumerate(LEVELS):
            for key in ("statements", "statements_en"):
                x, y = comps_a[code][key][i], comps_b[code][key][i]
                if x != y:
                    changes.append(Change("changed", f"{subject} level {lvl}", key[:-1], x, y))
    pre_a = {tuple(p.values()) for p in a["prerequisites"]}
    pre_b = {tuple(p.values()) for p in b["prerequisites"]}
    for p in sorted(pre_a - pre_b):
        changes.append(Change("removed", f"prerequisite {p[0]}@{p[1]} ← {p[2]}@{p[3]}"))
    for p in sorted(pre_b - pre_a):
        changes.append(Change("added", f"prerequisite {p[0]}@{p[1]} ← {p[2]}@{p[3]}"))
    roles_a = {r["code"]: r for r in a["roles"]}
    roles_b = {r["code"]: r for r in b["roles"]}
    for code in sorted(roles_a.keys() | roles_b.keys()):
        subject = f"role {code}"
        if code not in roles_b:
            changes.append(Change("removed", subject, before=roles_a[code]["title"]))
        elif code not in roles_a:
            changes.append(Change("added", subject, after=roles_b[code]["title"]))
        else:
            fields(roles_a[code], roles_b[code], subject, ("title", "title_en"))
            ta, tb = roles_a[code]["targets"], roles_b[code]["targets"]
            for comp in sorted(ta.keys() | tb.keys()):
                if ta.get(comp) != tb.get(comp):
                    changes.append(
                        Change(
                            "changed",
                            f"{subject} target {comp}",
                            "level",
                            str(ta.get(comp, "")),
                            str(tb.get(comp, "")),
                        )
                    )
    return changes


@transaction.atomic
def install_default(*, actor: Any = None) -> FrameworkVersion:
    """Load and publish the shipped framework unless a version of it already exists."""
    data = load_definition(DEFAULT_FRAMEWORK)
    code = data["framework"]["code"]
    existing = current_version(code)
    if existing is not None:
        return existing
    return publish(create_version_from_definition(data, actor=actor), actor=actor)


def role_title(code: str) -> str:
    """The title of the role profile ``code`` in the page's language (the code if unknown)."""
    pair = role_titles().get(code)
    if pair is None:
        return code
    english = (get_language() or "vi").startswith("en")
    return pair[1] if english and pair[1] else pair[0]


def with_role_titles(people: Any, field: str = "job_role") -> Any:
    """``people`` annotated with their role profile's titles in the current version
    (``role_title_vi``, ``role_title_en``): one query for a whole list, not two a row."""
    version = current_version()
    roles = RoleProfile.objects.filter(version=version, code=OuterRef(field))
    return people.annotate(
        role_title_vi=Subquery(roles.values("title")[:1]),
        role_title_en=Subquery(roles.values("title_en")[:1]),
    )


def role_titles() -> dict[str, tuple[str, str]]:
    """Role profile code -> (Vietnamese title, English title) in the current version."""
    version = current_version()
    if version is None:
        return {}
    return {
        code: (title, title_en)
        for code, title, title_en in version.role_profiles.values_list("code", "title", "title_en")
    }
