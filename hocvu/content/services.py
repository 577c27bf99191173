"""Loading the shipped curriculum, publishing lesson revisions, reading the item bank."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from hocvu.audit import services as audit
from hocvu.content.media import study_minutes
from hocvu.content.models import (
    Item,
    ItemKind,
    ItemPool,
    ItemStatus,
    LegalDocument,
    Lesson,
    LessonKind,
    LessonRevision,
    Module,
    Program,
    RevisionStatus,
)
from hocvu.content.scoring import check_key
from hocvu.framework.models import Competence, FrameworkVersion

# The cuts between the bands 0|1|2|3|4 are defined once, in the psychometrics library;
# re-exported here for the apps that read the bank through this module.
from hocvu.psychometrics.classification import LEVEL_CUTS as LEVEL_CUTS

DATA = Path(__file__).parent / "data"
CURRICULUM = DATA / "curriculum"
# The secure exam pool: items never shown in placement, practice or checks.
EXAM = DATA / "exam"
MEDIA = DATA / "media"
DOCUMENTS = DATA / "documents.toml"
DEFAULT_PROGRAM = "binh-dan-hoc-vu-so"


def provisional_parameters(level: int, kind: str, n_options: int) -> tuple[float, float, float]:
    """IRT parameters an item starts with before real answers calibrate it.

    Difficulty sits in the middle of its level's band; discrimination 1; the lower
    asymptote is the chance of guessing a single-choice item (0 for typed answers).
    """
    b = LEVEL_CUTS[level - 1] + 0.5
    c = 0.0
    if kind in (ItemKind.SINGLE, ItemKind.SCENARIO) and n_options >= 2:
        c = round(1.0 / n_options, 3)
    elif kind == ItemKind.TRUE_FALSE:
        c = 0.5
    return 1.0, b, c


class CurriculumError(ValueError):
    """A curriculum file is malformed; the message names the file and the place."""


@dataclass(frozen=True)
class LoadReport:
    modules: int
    lessons: int
    items: int


def _key_of(raw: Mapping[str, Any], where: str) -> Any:
    kind = raw["kind"]
    if kind == ItemKind.NUMERIC:
        return {"value": float(raw["answer"]), "tolerance": float(raw.get("tolerance", 0.0))}
    if kind == ItemKind.SHORT_TEXT:
        return {"accepted": list(raw.get("accepted") or [])}
    if "answer" not in raw:
        raise CurriculumError(f"{where}: missing 'answer'")
    return raw["answer"]


@transaction.atomic
def install_documents(path: Path = DOCUMENTS) -> dict[str, LegalDocument]:
    """Load the registry of cited documents; entries already in the database are kept
    as they are (an author may have marked one replaced since)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise CurriculumError(f"{path.name}: {exc}") from exc
    raws = data.get("documents", [])
    known = {d.number: d for d in LegalDocument.objects.all()}
    for pos, raw in enumerate(raws):
        number = str(raw.get("number", "")).strip()
        if not number:
            raise CurriculumError(f"{path.name} documents[{pos}]: missing 'number'")
        if number in known:
            continue
        known[number] = LegalDocument.objects.create(
            number=number,
            title=raw["title"],
            issuer=raw["issuer"],
            kind=raw["kind"],
            in_force_from=raw.get("in_force_from"),
            replaced_on=raw.get("replaced_on"),
            source_url=raw.get("source_url", ""),
        )
    for pos, raw in enumerate(raws):
        successor = raw.get("replaced_by")
        if not successor:
            continue
        if successor not in known:
            raise CurriculumError(f"{path.name} documents[{pos}]: unknown {successor!r}")
        document = known[str(raw["number"])]
        if document.replaced_by_id is None:
            document.replaced_by = known[successor]
            document.save(update_fields=["replaced_by"])
    return known


def _cited(raw: Mapping[str, Any], where: str, registry: dict[str, LegalDocument]) -> list[Any]:
    cites = raw.get("cites", [])
    if not isinstance(cites, list):
        raise CurriculumError(f"{where}: 'cites' must be a list of document numbers")
    unknown = [c for c in cites if c not in registry]
    if unknown:
        raise CurriculumError(f"{where}: cites unknown document(s) {unknown}")
    return [registry[c] for c in cites]


@dataclass(frozen=True)
class ParsedItem:
    """One item of a curriculum or exam file, checked, with the code it is installed as."""

    code: str
    competence: Competence
    level: int
    kind: str
    stem: str
    options: list[Any]
    answer: Any
    explanation: str
    image: str
    topic: str
    cites: list[LegalDocument]
    enemies: list[str]


def _parse_item(
    iraw: Mapping[str, Any],
    where: str,
    competences: Mapping[str, Competence],
    registry: dict[str, LegalDocument],
    counters: dict[tuple[str, int], int],
    *,
    prefix: str,
) -> ParsedItem:
    """Check one ``[[items]]`` table; its code is ``<prefix>-<competence>-<level>-nn``,
    numbered in file order per competence and level (``counters`` holds the numbering)."""
    comp = competences.get(str(iraw.get("competence")))
    if comp is None:
        raise CurriculumError(f"{where}: unknown competence {iraw.get('competence')!r}")
    kind = iraw.get("kind")
    if kind not in ItemKind.values:
        raise CurriculumError(f"{where}: unknown kind {kind!r}")
    level = iraw.get("level")
    if level not in (1, 2, 3, 4):
        raise CurriculumError(f"{where}: level must be 1..4")
    if not str(iraw.get("stem", "")).strip():
        raise CurriculumError(f"{where}: missing 'stem'")
    options = list(iraw.get("options") or [])
    key = _key_of(iraw, where)
    try:
        check_key(kind, key, len(options))
    except ValueError as exc:
        raise CurriculumError(f"{where}: {exc}") from exc
    image = str(iraw.get("image", ""))
    if image and not (MEDIA / image).is_file():
        raise CurriculumError(f"{where}: image {image!r} not found")
    enemies = iraw.get("enemies", [])
    if not isinstance(enemies, list) or not all(isinstance(e, str) for e in enemies):
        raise CurriculumError(f"{where}: 'enemies' must be a list of item codes")
    number = counters.get((comp.code, level), 0) + 1
    counters[(comp.code, level)] = number
    return ParsedItem(
        code=f"{prefix}-{comp.code}-{level}-{number:02d}",
        competence=comp,
        level=level,
        kind=kind,
        stem=str(iraw["stem"]),
        options=options,
        answer=key,
        explanation=str(iraw.get("explanation", "")),
        image=image,
        topic=" ".join(str(iraw.get("topic", "")).split()),
        cites=_cited(iraw, where, registry),
        enemies=list(enemies),
    )


@transaction.atomic
def install_curriculum(
    version: FrameworkVersion, *, files: list[Path] | None = None, code: str = DEFAULT_PROGRAM
) -> LoadReport:
    """Load the TOML curriculum into a program for ``version`` (all or nothing, idempotent)."""
    registry = install_documents()
    existing = Program.objects.filter(code=code).first()
    if existing is not None:
        return LoadReport(
            existing.modules.count(),
            Lesson.objects.filter(module__program=existing).count(),
            learning_items(version).count(),
        )
    program = Program.objects.create(
        code=code,
        title="Bình dân học vụ số – Quốc hội số",
        title_en="Digital Literacy for All – Digital National Assembly",
        description="Chương trình bồi dưỡng kỹ năng số theo khung năng lực số.",
        framework_version=version,
    )
    competences = {c.code: c for c in Competence.objects.filter(version=version)}
    n_lessons = n_items = n_modules = 0
    now = timezone.now()
    for path in sorted(files or CURRICULUM.glob("area-*.toml")):
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise CurriculumError(f"{path.name}: {exc}") from exc
        reviewed_on = data.get("reviewed_on")
        review_by = data.get("review_by")
        for m_pos, raw in enumerate(data.get("modules", [])):
            where = f"{path.name} modules[{m_pos}]"
            comp = competences.get(str(raw.get("competence")))
            if comp is None:
                raise CurriculumError(f"{where}: unknown competence {raw.get('competence')!r}")
            module = Module.objects.create(
                program=program,
                code=raw["code"],
                competence=comp,
                position=comp.area.position * 100 + comp.position,
                title=raw["title"],
                title_en=raw.get("title_en", ""),
                summary=raw.get("summary", ""),
            )
            n_modules += 1
            positions: dict[int, int] = {}
            for l_pos, lraw in enumerate(raw.get("lessons", [])):
                lwhere = f"{where} lessons[{l_pos}]"
                level = lraw.get("level")
                if level not in (1, 2, 3, 4):
                    raise CurriculumError(f"{lwhere}: level must be 1..4")
                kind = lraw.get("kind", "text")
                if kind not in LessonKind.values:
                    raise CurriculumError(f"{lwhere}: unknown kind {kind!r}")
                if "minutes" in lraw:
                    raise CurriculumError(
                        f"{lwhere}: study time is computed from the text and the recording;"
                        " remove `minutes`"
                    )
                if kind == LessonKind.LECTURE and not lraw.get("transcript", "").strip():
                    raise CurriculumError(f"{lwhere}: a lecture needs its transcript")
                position = positions.get(level, 0)
                positions[level] = position + 1
                lesson = Lesson.objects.create(
                    module=module,
                    level=level,
                    position=position,
                    kind=kind,
                    reviewed_on=lraw.get("reviewed_on", reviewed_on),
                    review_by=lraw.get("review_by", review_by),
                )
                lesson.cites.set(_cited(lraw, lwhere, registry))
                revision = LessonRevision.objects.create(
                    lesson=lesson,
                    number=1,
                    status=RevisionStatus.PUBLISHED,
                    title=lraw["title"],
                    title_en=lraw.get("title_en", ""),
                    minutes=study_minutes(lraw["body"], lraw.get("transcript", "")),
                    body=lraw["body"],
                    transcript=lraw.get("transcript", ""),
                    published_at=now,
                )
                lesson.published = revision
                lesson.save(update_fields=["published"])
                n_lessons += 1
        counters: dict[tuple[str, int], int] = {}
        for i_pos, iraw in enumerate(data.get("items", [])):
            where = f"{path.name} items[{i_pos}]"
            parsed = _parse_item(iraw, where, competences, registry, counters, prefix="Q")
            a, b, c = provisional_parameters(parsed.level, parsed.kind, len(parsed.options))
            item = Item.objects.create(
                code=parsed.code,
                competence=parsed.competence,
                level=parsed.level,
                kind=parsed.kind,
                status=ItemStatus.OPERATIONAL,
                stem=parsed.stem,
                options=parsed.options,
                answer=parsed.answer,
                explanation=parsed.explanation,
                image=parsed.image,
                a=a,
                b=b,
                c=c,
            )
            item.cites.set(parsed.cites)
            n_items += 1
    audit.record("content.install", obj=program, data={"modules": n_modules, "items": n_items})
    return LoadReport(n_modules, n_lessons, n_items)


# --------------------------------------------------------------------------------------
# The secure exam pool
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamPoolReport:
    directory: Path
    created: int
    updated: int
    unchanged: int

    @property
    def items(self) -> int:
        return self.created + self.updated + self.unchanged


def exam_directory() -> Path:
    """Where the secure exam pool is read from: ``HOCVU_EXAM_POOL_DIR`` when set (a
    private directory: a public repository's exam items are public), else the shipped
    :data:`EXAM`."""
    from django.conf import settings

    configured = str(getattr(settings, "HOCVU_EXAM_POOL_DIR", "") or "").strip()
    return Path(configured) if configured else EXAM


#: Fields an installed exam item takes from its file; status, parameters and statistics
#: stay as recalibration and authors left them.
_EXAM_TEXT = ("kind", "stem", "options", "answer", "explanation", "image", "topic")


@transaction.atomic
def install_exam_pool(
    version: FrameworkVersion, *, directory: Path | None = None, files: list[Path] | None = None
) -> ExamPoolReport:
    """Load the secure exam items (``X-<competence>-<level>-nn``) of ``directory``'s
    ``area-*.toml`` files into ``version``: all or nothing, idempotent by item code.

    A new code is created operational with provisional parameters; an existing exam item
    takes the file's text (its status, parameters and statistics are kept). Every item
    needs a ``topic``; ``enemies`` (optional) lists codes of the pool's items that test
    the same thing. A code held by a learning item, a missing directory, a malformed file
    or an unknown enemy raise :class:`CurriculumError` and change nothing.
    """
    directory = directory or exam_directory()
    if files is None:
        if not directory.is_dir():
            raise CurriculumError(f"exam pool directory {directory} does not exist")
        files = sorted(directory.glob("area-*.toml"))
    registry = install_documents()
    competences = {c.code: c for c in Competence.objects.filter(version=version)}
    parsed: list[ParsedItem] = []
    for path in sorted(files):
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CurriculumError(f"{path.name}: {exc}") from exc
        counters: dict[tuple[str, int], int] = {}
        for i_pos, iraw in enumerate(data.get("items", [])):
            where = f"{path.name} items[{i_pos}]"
            item = _parse_item(iraw, where, competences, registry, counters, prefix="X")
            if not item.topic:
                raise CurriculumError(f"{where}: a secure exam item needs its 'topic'")
            parsed.append(item)
    codes = [p.code for p in parsed]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise CurriculumError(f"the same code in two files: {twice} (one file per area)")
    existing = {i.code: i for i in Item.objects.filter(code__in=codes)}
    learning = sorted(c for c, i in existing.items() if i.pool != ItemPool.EXAM)
    if learning:
        raise CurriculumError(f"codes held by learning items: {learning}")
    known = set(codes) | set(exam_items(version).values_list("code", flat=True))
    for item in parsed:
        unknown = [e for e in item.enemies if e not in known or e == item.code]
        if unknown:
            raise CurriculumError(f"{item.code}: unknown enemies {unknown}")
    created = updated = unchanged = 0
    installed: dict[str, Item] = {}
    for item in parsed:
        values = {field: getattr(item, field) for field in _EXAM_TEXT}
        row = existing.get(item.code)
        if row is None:
            a, b, c = provisional_parameters(item.level, item.kind, len(item.options))
            row = Item.objects.create(
                code=item.code,
                competence=item.competence,
                level=item.level,
                pool=ItemPool.EXAM,
                status=ItemStatus.OPERATIONAL,
                a=a,
                b=b,
                c=c,
                **values,
            )
            created += 1
        elif any(getattr(row, f) != v for f, v in values.items()) or {
            d.pk for d in row.cites.all()
        } != {d.pk for d in item.cites}:
            for field, value in values.items():
                setattr(row, field, value)
            row.save(update_fields=list(_EXAM_TEXT))
            updated += 1
        else:
            unchanged += 1
        row.cites.set(item.cites)
        installed[item.code] = row
    for item in parsed:
        if item.enemies:
            others = Item.objects.filter(code__in=item.enemies, pool=ItemPool.EXAM)
            installed[item.code].enemies.add(*others)
    if created or updated:
        audit.record(
            "content.install_exam_pool",
            data={"created": created, "updated": updated, "unchanged": unchanged},
        )
    return ExamPoolReport(directory, created, updated, unchanged)


def default_program() -> Program | None:
    return Program.objects.select_related("framework_version").order_by("pk").first()


def learning_items(version: FrameworkVersion | int) -> QuerySet[Item]:
    """Every item of ``version``'s learning pool, whatever its status.

    The one gate for placement, practice, mastery checks and review: a secure exam item
    never passes it.
    """
    return Item.objects.filter(competence__version=version, pool=ItemPool.LEARNING)


def exam_items(version: FrameworkVersion | int) -> QuerySet[Item]:
    """Every item of ``version``'s secure exam pool, whatever its status."""
    return Item.objects.filter(competence__version=version, pool=ItemPool.EXAM)


def bank_items(version: FrameworkVersion) -> QuerySet[Item]:
    """Learning items that may appear in tests: operational (scored) and pilot (unscored)."""
    return (
        learning_items(version)
        .filter(status__in=[ItemStatus.OPERATIONAL, ItemStatus.PILOT])
        .select_related("competence")
    )


@transaction.atomic
def draft_revision(lesson: Lesson, *, actor: Any = None) -> LessonRevision:
    """A new draft that starts as a copy of the published text (one draft at a time)."""
    draft = lesson.revisions.filter(status=RevisionStatus.DRAFT).first()
    if draft is not None:
        return draft
    base = lesson.published
    number = (lesson.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    return LessonRevision.objects.create(
        lesson=lesson,
        number=number,
        title=base.title if base else "",
        title_en=base.title_en if base else "",
        minutes=base.minutes if base else 10,
        body=base.body if base else "",
        transcript=base.transcript if base else "",
    )


@transaction.atomic
def publish_revision(revision: LessonRevision, *, actor: Any = None) -> LessonRevision:
    """Make ``revision`` the text learners read; the previous one is archived.

    Progress belongs to the lesson, not to a revision, so nobody loses it.
    """
    lesson = Lesson.objects.select_for_update().get(pk=revision.lesson_id)
    if revision.status != RevisionStatus.DRAFT:
        raise ValueError("only a draft can be published")
    if lesson.kind == LessonKind.LECTURE and not revision.transcript.strip():
        raise ValueError("a lecture needs its full transcript")
    if lesson.published_id:
        LessonRevision.objects.filter(pk=lesson.published_id).update(status=RevisionStatus.ARCHIVED)
    revision.status = RevisionStatus.PUBLISHED
    revision.published_at = timezone.now()
    revision.save(update_fields=["status", "published_at"])
    lesson.published = revision
    lesson.save(update_fields=["published"])
    audit.record("lesson.publish", actor=actor, obj=lesson, data={"revision": revision.number})
    return revision


# --------------------------------------------------------------------------------------
# The registry of cited documents
# --------------------------------------------------------------------------------------


@transaction.atomic
def mark_replaced(
    document: LegalDocument,
    *,
    replaced_by: LegalDocument | None,
    replaced_on: Any,
    actor: Any = None,
) -> LegalDocument:
    """Record that ``document`` no longer applies; its citing lessons and items are flagged."""
    if replaced_by is not None and replaced_by.pk == document.pk:
        raise ValueError("a document cannot replace itself")
    document = LegalDocument.objects.select_for_update().get(pk=document.pk)
    document.replaced_by = replaced_by
    document.replaced_on = replaced_on
    document.save(update_fields=["replaced_by", "replaced_on"])
    audit.record(
        "document.replace",
        actor=actor,
        obj=document,
        data={
            "number": document.number,
            "replaced_by": replaced_by.number if replaced_by else None,
            "replaced_on": str(replaced_on) if replaced_on else None,
            "lessons": document.lessons.count(),
            "items": document.items.count(),
        },
    )
    return document


def replaced_documents() -> QuerySet[LegalDocument]:
    from django.db.models import Q

    return LegalDocument.objects.filter(Q(replaced_on__isnull=False) | Q(replaced_by__isnull=False))


def outdated_lessons() -> QuerySet[Lesson]:
    """Lessons that cite a replaced document."""
    return Lesson.objects.filter(cites__in=replaced_documents()).distinct()


def outdated_items() -> QuerySet[Item]:
    """Items that cite a replaced document."""
    return Item.objects.filter(cites__in=replaced_documents()).distinct()


def overdue_lessons(today: Any = None) -> QuerySet[Lesson]:
    """Lessons whose "review by" date has passed."""
    return Lesson.objects.filter(review_by__lt=today or timezone.localdate())
