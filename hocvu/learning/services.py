"""The learner's profile against their role, their personal path, progress and review."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from hocvu.content import standards
from hocvu.content.models import Item, ItemPool, Lesson, Module, Program
from hocvu.framework.models import Competence, FrameworkVersion, Prerequisite, RoleProfile
from hocvu.identity.models import User
from hocvu.learning import signals
from hocvu.learning.models import EstimateSource, LessonProgress, Proficiency, ReviewCard, StudyDay
from hocvu.psychometrics.cat import CATResult
from hocvu.psychometrics.mastery import MasteryState
from hocvu.psychometrics.mastery import update as mastery_update
from hocvu.psychometrics.review import ReviewCard as EngineCard
from hocvu.psychometrics.review import ReviewScheduler
from hocvu.psychometrics.targeting import TargetDecision, TargetResult, settle_with_answers

#: A level counts as reached when the posterior probability that ability is above the
#: level's lower cut is at least this. 0.7 rather than 0.5: skipping a competence the
#: learner truly lacks costs more than a few minutes of lessons they half know. On the
#: shipped bank this halves the competences wrongly skipped (4.2 -> 2.3 per learner) and
#: still saves ~89 % of study time (bench/bench_study_time.py).
REACHED = 0.7


def level_reached(mean: float, sd: float) -> int:
    """Highest level L (0..4) with P(θ ≥ cut_L) ≥ REACHED under N(mean, sd²), the cuts
    being the recorded standard's (decision 0010: where a level's can-do statements are
    mastered).

    With REACHED = 0.5 this would be the band of the posterior mean; above 0.5 a level
    must be reached with some confidence, so a vague estimate places lower.
    """
    level = 0
    for number, cut in enumerate(standards.level_cuts(), start=1):
        if probability_at_least(mean, sd, cut) >= REACHED:
            level = number
    return level


@transaction.atomic
def apply_placement(
    learner: User, version: FrameworkVersion, result: CATResult | TargetResult
) -> None:
    """Store the placement test's competence estimates as the learner's proficiency.

    After a placement against the role's targets (decision 0011) the stored level agrees
    with each competence's decision: at the target or above when it was decided at
    target, below it otherwise; an undecided competence is marked ``needs_check`` (the
    path asks for one short check first, which settles it).
    """
    competences = {c.code: c for c in Competence.objects.filter(version=version)}
    now = timezone.now()
    rows: list[Proficiency] = []
    for estimate in result.competences:
        comp = competences.get(estimate.code)
        if comp is None:
            continue
        level = level_reached(estimate.theta, estimate.se)
        p_target, needs_check = None, False
        if isinstance(estimate, TargetDecision):
            needs_check = estimate.decision == "undecided"
            if estimate.target > 0:
                if estimate.decision == "at_target":
                    level = max(level, estimate.target)
                else:
                    level = min(level, estimate.target - 1)
                p_target = estimate.p_target
        rows.append(
            Proficiency(
                learner=learner,
                competence=comp,
                mean=estimate.theta,
                sd=estimate.se,
                level=level,
                source=EstimateSource.PLACEMENT,
                p_target=p_target,
                needs_check=needs_check,
                updated_at=now,
            )
        )
    # One statement for every competence (an estimate already stored is replaced; its
    # practice counts stay), then one signal instead of a post_save per row.
    Proficiency.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["learner", "competence"],
        update_fields=[
            "mean",
            "sd",
            "level",
            "source",
            "p_target",
            "needs_check",
            "updated_at",
        ],
    )
    signals.proficiencies_changed.send(sender=Proficiency, learner_id=learner.pk)
    mark_study_day(learner)


@transaction.atomic
def practice_update(learner: User, item: Item, points: int) -> Proficiency:
    """Move the learner's mastery of the item's competence after one practice answer."""
    prof = (
        Proficiency.objects.select_for_update()
        .filter(learner=learner, competence=item.competence)
        .first()
    )
    state = (
        MasteryState(
            prof.competence.code, prof.mean, max(prof.sd, 0.3), prof.n_answers, prof.n_correct
        )
        if prof
        else MasteryState(item.competence.code)
    )
    state = mastery_update(state, points, a=item.a, b=item.b, c=item.c)
    values = {
        "mean": state.mean,
        "sd": state.sd,
        "level": level_reached(state.mean, state.sd),
        "n_answers": state.n_answers,
        "n_correct": state.n_correct,
        "source": EstimateSource.PRACTICE,
    }
    if prof is None:
        prof = Proficiency.objects.create(learner=learner, competence=item.competence, **values)
    else:
        for key, value in values.items():
            setattr(prof, key, value)
        prof.save()
    schedule_review(learner, item, bool(points))
    mark_study_day(learner)
    return prof


def schedule_review(
    learner: User, item: Item, correct: bool, now: datetime | None = None
) -> ReviewCard:
    now = now or timezone.now()
    scheduler = ReviewScheduler()
    existing = ReviewCard.objects.filter(learner=learner, item=item).first()
    card = (
        EngineCard.from_dict(existing.card)
        if existing
        else scheduler.new_card(f"item:{item.code}", now)
    )
    card = scheduler.review(card, correct, now)
    obj, _ = ReviewCard.objects.update_or_create(
        learner=learner, item=item, defaults={"card": card.to_dict(), "due": card.due}
    )
    return obj


def due_reviews(learner: User, now: datetime | None = None, limit: int = 10) -> list[Item]:
    now = now or timezone.now()
    # Learning items only: one moved to the secure exam pool is never reviewed again.
    cards = ReviewCard.objects.filter(
        learner=learner, due__lte=now, item__pool=ItemPool.LEARNING
    ).order_by("due")[:limit]
    return [c.item for c in cards.select_related("item")]


def mark_study_day(learner: User, day: date | None = None) -> None:
    StudyDay.objects.get_or_create(learner=learner, day=day or timezone.localdate())


def streak(learner: User, today: date | None = None) -> int:
    """Consecutive days studied, ending today (or yesterday, so a streak survives the morning)."""
    today = today or timezone.localdate()
    days = set(
        StudyDay.objects.filter(learner=learner, day__gte=today - timedelta(days=366)).values_list(
            "day", flat=True
        )
    )
    start = today if today in days else today - timedelta(days=1)
    n = 0
    while start - timedelta(days=n) in days:
        n += 1
    return n


@dataclass(frozen=True)
class CompetenceStatus:
    competence: Competence
    target: int
    level: int | None  # None: not measured yet
    mean: float | None
    sd: float | None
    needs_check: bool = False  # placement left "at target?" undecided: one short check

    @property
    def gap(self) -> int:
        return max(0, self.target - (self.level or 0)) if self.level is not None else self.target

    @property
    def measured(self) -> bool:
        return self.level is not None


def role_profile(learner: User, version: FrameworkVersion) -> RoleProfile | None:
    return version.role_profiles.filter(code=learner.job_role).first()


def profile(learner: User, version: FrameworkVersion) -> list[CompetenceStatus]:
    """Every competence of the framework: the role's target and the learner's level."""
    role = role_profile(learner, version)
    targets = {t.competence_id: t.level for t in role.targets.all()} if role else {}
    estimates = {
        p.competence_id: p
        for p in Proficiency.objects.filter(learner=learner, competence__version=version)
    }
    rows = []
    for comp in (
        Competence.objects.filter(version=version)
        .select_related("area")
        .order_by("area__position", "position")
    ):
        est = estimates.get(comp.pk)
        rows.append(
            CompetenceStatus(
                competence=comp,
                target=targets.get(comp.pk, 0),
                level=est.level if est else None,
                mean=est.mean if est else None,
                sd=est.sd if est else None,
                needs_check=bool(est and est.needs_check),
            )
        )
    return rows


@dataclass
class PathStep:
    module: Module
    competence: Competence
    from_level: int
    to_level: int
    lessons: list[Lesson] = field(default_factory=list)
    minutes: int = 0
    done: int = 0
    minutes_left: int = 0
    done_ids: frozenset[int] = frozenset()
    #: Placement could not tell whether the target is already reached: the short check
    #: comes first and settles it (pass: the lessons are skipped).
    check_first: bool = False

    @property
    def finished(self) -> bool:
        return self.done >= len(self.lessons)


def _ordered_competences(
    version: FrameworkVersion, needed: dict[int, tuple[int, int]]
) -> list[int]:
    """Competence ids in an order that respects prerequisites between their levels."""
    order = list(
        Competence.objects.filter(version=version, pk__in=needed)
        .order_by("area__position", "position")
        .values_list("pk", flat=True)
    )
    after: dict[int, set[int]] = {pk: set() for pk in order}
    for p in Prerequisite.objects.filter(target__competence__version=version).select_related(
        "target", "requires"
    ):
        t, r = p.target.competence_id, p.requires.competence_id
        if t in needed and r in needed and t != r:
            lo, hi = needed[t]
            if lo < p.target.level <= hi:
                after[t].add(r)
    result: list[int] = []
    placed: set[int] = set()
    while len(result) < len(order):
        progress = False
        for pk in order:
            if pk not in placed and after[pk] <= placed:
                result.append(pk)
                placed.add(pk)
                progress = True
        if not progress:  # cannot happen for an acyclic framework; keep framework order
            result += [pk for pk in order if pk not in placed]
            break
    return result


def learning_path(learner: User, program: Program) -> list[PathStep]:
    """Only the lessons that close the learner's gaps, ordered by prerequisites."""
    version = program.framework_version
    needed: dict[int, tuple[int, int]] = {}
    unsure: set[int] = set()
    for row in profile(learner, version):
        current = row.level if row.level is not None else 0
        if row.target > current:
            needed[row.competence.pk] = (current, row.target)
            if row.needs_check:
                unsure.add(row.competence.pk)
    modules = {m.competence_id: m for m in program.modules.select_related("competence")}
    done = set(
        LessonProgress.objects.filter(learner=learner, completed_at__isnull=False).values_list(
            "lesson_id", flat=True
        )
    )
    steps = []
    for comp_id in _ordered_competences(version, needed):
        module = modules.get(comp_id)
        if module is None:
            continue
        lo, hi = needed[comp_id]
        lessons = list(
            module.lessons.filter(level__gt=lo, level__lte=hi, published__isnull=False)
            .select_related("published")
            .order_by("level", "position")
        )
        steps.append(
            PathStep(
                module=module,
                competence=module.competence,
                from_level=lo,
                to_level=hi,
                lessons=lessons,
                minutes=sum(lesson.published.minutes for lesson in lessons if lesson.published),
                done=sum(1 for lesson in lessons if lesson.pk in done),
                minutes_left=sum(
                    lesson.published.minutes
                    for lesson in lessons
                    if lesson.published and lesson.pk not in done
                ),
                done_ids=frozenset(lesson.pk for lesson in lessons if lesson.pk in done),
                check_first=comp_id in unsure,
            )
        )
    return steps


def next_on_path(learner: User, program: Program, lesson: Lesson) -> Lesson | None:
    """The lesson after ``lesson`` on the learner's path (None at its end or off it)."""
    ordered = [item for step in learning_path(learner, program) for item in step.lessons]
    ids = [item.pk for item in ordered]
    if lesson.pk not in ids:
        return None
    index = ids.index(lesson.pk)
    return ordered[index + 1] if index + 1 < len(ordered) else None


def role_targets(learner: User, version: FrameworkVersion) -> dict[int, int]:
    role = role_profile(learner, version)
    return {t.competence_id: t.level for t in role.targets.all()} if role else {}


def linear_minutes(program: Program, target_by_competence: dict[int, int] | None = None) -> int:
    """Minutes of the whole course (or of every lesson up to each target level)."""
    total = 0
    for lesson in Lesson.objects.filter(
        module__program=program, published__isnull=False
    ).select_related("published", "module"):
        if target_by_competence is None or lesson.level <= target_by_competence.get(
            lesson.module.competence_id, 0
        ):
            total += lesson.published.minutes if lesson.published else 0
    return total


@transaction.atomic
def open_lesson(learner: User, lesson: Lesson) -> LessonProgress:
    progress, created = LessonProgress.objects.get_or_create(learner=learner, lesson=lesson)
    if not created:
        progress.save(update_fields=["last_opened_at"])
    mark_study_day(learner)
    return progress


@transaction.atomic
def complete_lesson(learner: User, lesson: Lesson) -> LessonProgress:
    progress = open_lesson(learner, lesson)
    if progress.completed_at is None:
        progress.completed_at = timezone.now()
        progress.save(update_fields=["completed_at"])
    return progress


def continue_where_left(learner: User) -> Lesson | None:
    last = (
        LessonProgress.objects.filter(learner=learner)
        .select_related("lesson__published")
        .order_by("-last_opened_at")
        .first()
    )
    return last.lesson if last else None


def probability_at_least(mean: float, sd: float, cut: float) -> float:
    return 0.5 * math.erfc((cut - mean) / (sd * math.sqrt(2)))


def pass_mastery_check(
    learner: User,
    module: Module,
    level: int,
    correct: int,
    total: int,
    answers: list[tuple[int, float, float, float]] | None = None,
) -> bool:
    """A module's mastery check: pass it and the learner tests out of its lessons.

    When placement left the competence undecided (``needs_check``) the check settles it
    (decision 0011): its answers ``(score, a, b, c)`` update the placement's posterior
    and the check passes when the competence is then more likely at the level's
    standard cut than below it. Otherwise it passes at 80 % correct.
    """
    cut = standards.in_force().cut(level)
    prof = Proficiency.objects.filter(learner=learner, competence=module.competence).first()
    if prof is not None and prof.needs_check and answers:
        mean, sd, p_target = settle_with_answers(prof.mean, max(prof.sd, 0.05), cut, answers)
        settled = p_target >= 0.5
        prof.mean, prof.sd, prof.p_target, prof.needs_check = mean, sd, p_target, False
        prof.level = max(prof.level, level) if settled else min(prof.level, level - 1)
        prof.source = EstimateSource.MASTERY_CHECK
        prof.save()
        return settled
    passed = total > 0 and correct / total >= 0.8
    if passed:
        mean = max(cut + 0.3, prof.mean if prof else cut + 0.3)
        Proficiency.objects.update_or_create(
            learner=learner,
            competence=module.competence,
            defaults={
                "mean": mean,
                "sd": 0.4,
                "level": max(level, prof.level if prof else 0),
                "source": EstimateSource.MASTERY_CHECK,
                "needs_check": False,
            },
        )
    return passed
