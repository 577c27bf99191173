"""The certification exam: one per achievement (a program level for a role profile).

Blueprint
    For every competence the role profile targets (target level >= 1): one question at
    the target level. Then one more question per competence area, at the area's highest
    target, in the first competence of the area that has it (for a candidate, the one of
    those competences with the most items this candidate has not seen). On the shipped
    framework (24 competences in 6 areas) that is 30 questions; :func:`blueprint`
    returns the counts per (competence, level).

Forms
    Each candidate gets their own form, drawn from the SECURE EXAM POOL only (operational
    items with ``pool = exam``; no learning item, whose key practice shows, ever appears)
    of each (competence, level) cell with a seeded random choice. An item the candidate
    has seen before (on an earlier exam form, or answered anywhere) is never drawn, and
    no two ENEMIES share a form (items an author linked as testing the same thing, and
    items of one topic); when the pool cannot meet the blueprint under these rules the
    exam is unavailable (:class:`ExamUnavailable`, before any attempt is counted).
    Forms are then made comparable by a greedy swap heuristic on the IRT parameters: as
    long as the form's expected score at the cut (the test characteristic curve) or its
    information at the cut is outside the tolerance of the TARGET FORM, the single
    swap (one chosen item for an unchosen item of the same cell) that most reduces the
    larger relative deviation is made. The target form is the average form of the
    blueprint: the sum over cells of the count times the mean of P(cut) (and of I(cut))
    over the cell's operational items. Tolerances: the expected score at the cut within
    :data:`TCC_TOLERANCE` points, the information within :data:`INFO_TOLERANCE` of the
    target (``tests/certification/test_exam.py`` reports the spread over 1,000 forms).
    The numeric core is :mod:`hocvu.psychometrics.assembly`.

Scale and pass rule
    The exam mixes levels (a deputy's targets run from 1 to 3), so it is scored on the
    TARGET-RELATIVE scale. Forms are assembled with an item's difficulty taken relative
    to the lower cut of its level (``b - LEVEL_CUTS[level - 1]``). The pass decision is
    the recorded standard's (decision 0010, :mod:`hocvu.certification.pass_mark`): each
    item's difficulty is measured from the standard-set cut of its level (bookmark at
    RP67: where the level's can-do statements are mastered), the candidate's ability is
    the EAP estimate with a N(0, 1) prior centred on that pass mark, and PASS when it is
    at least 0. Questions left unanswered count as incorrect. The standard in force when
    the exam started applies; the score a candidate at the pass mark would expect on the
    form is stored with the result and shown to the candidate.

Time and attempts
    :data:`EXAM_MINUTES` minutes from the start; the deadline is the attempt's
    ``expires_at``, stored on the server at the start. Resuming shows the time the server
    has left; answers arriving after the deadline are refused by
    :func:`hocvu.assessment.services.record_answer` and the exam is scored on what had
    arrived. At most :data:`MAX_ATTEMPTS_PER_YEAR` attempts per achievement in any 365
    days, and :data:`WAITING_PERIOD` between the end of one attempt and the next start.
    No feedback is given before submission; the key never leaves the server.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django_tasks import task

from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus, Response
from hocvu.assessment.services import attempt_for
from hocvu.audit import services as audit
from hocvu.certification import pass_mark
from hocvu.certification.tasks import issue_if_earned
from hocvu.content.models import Item, ItemStatus
from hocvu.content.services import LEVEL_CUTS
from hocvu.content.services import exam_items as secure_items
from hocvu.framework.models import RoleProfile
from hocvu.identity.models import User
from hocvu.psychometrics import assembly, irt

EXAM_MINUTES = 45
MAX_ATTEMPTS_PER_YEAR = 3
WAITING_PERIOD = timedelta(days=7)
POLICY_WINDOW = timedelta(days=365)
#: The pass mark on the target-relative ability scale (see the module docstring).
CUT = 0.0
#: A form's expected score at the cut must be within this many points of the target form.
TCC_TOLERANCE = 0.5
#: A form's information at the cut must be within this fraction of the target form's.
INFO_TOLERANCE = 0.10
#: Swaps tried at most per form.
MAX_SWAPS = 60


class ExamUnavailable(ValueError):
    """The exam cannot be assembled (no achievement, or too few secure exam items that
    the candidate has not seen, or enemies leave a cell short)."""


class ExamPolicyError(ValueError):
    """A new attempt is not allowed now. ``code``: passed / attempt_limit / waiting;
    ``not_before``: when the next attempt becomes possible (None: never needed)."""

    def __init__(self, code: str, message: str, not_before: datetime | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.not_before = not_before


# ---------------------------------------------------------------------------------------
# Blueprint and forms (no database beyond reading)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    competence: str
    level: int
    count: int


def blueprint_for_targets(
    targets: Sequence[tuple[str, str, int]],
    available: Mapping[tuple[str, int], int] | None = None,
) -> list[Cell]:
    """Cells from ``(area code, competence code, target level)`` in framework order.

    One question per targeted competence at its target, and one more per area: to the
    competence at the area's highest target (the first in framework order on a tie).
    ``available``: items a candidate may still be given per (competence, level); the extra
    question then goes to the competence with the most items to spare beyond this form's
    own question (the highest target on a tie), so that a competence alone at the top of
    its area does not run dry after two forms while its neighbours still have items.
    """
    counts: dict[tuple[str, int], int] = {}
    areas: dict[str, list[tuple[int, str, int, int]]] = {}
    for order, (area, comp, level) in enumerate(targets):
        if level < 1:
            continue
        counts[(comp, level)] = counts.get((comp, level), 0) + 1
        room = available.get((comp, level), 0) if available is not None else 0
        areas.setdefault(area, []).append((level, comp, room, order))
    for candidates in areas.values():

        def preference(c: tuple[int, str, int, int]) -> tuple[int, int, int]:
            level, comp, room, order = c
            spare = room - counts[(comp, level)] if available is not None else 0
            # The most items to spare after this form (later forms need theirs), then the
            # highest target, then framework order.
            return (spare, level, -order)

        level, comp, _room, _order = max(candidates, key=preference)
        counts[(comp, level)] += 1
    return [Cell(comp, level, n) for (comp, level), n in counts.items()]


def blueprint(
    role: RoleProfile, available: Mapping[tuple[str, int], int] | None = None
) -> list[Cell]:
    """The exam blueprint of a role profile: question counts per (competence, level)."""
    rows = (
        role.targets.select_related("competence__area")
        .order_by("competence__area__position", "competence__position", "competence__code")
        .values_list("competence__area__code", "competence__code", "level")
    )
    return blueprint_for_targets(list(rows), available)


@dataclass(frozen=True)
class PoolItem:
    code: str
    competence: str
    level: int
    a: float
    b: float
    c: float
    topic: str = ""
    enemies: frozenset[str] = frozenset()  # codes of the items it never shares a form with

    @property
    def relative_b(self) -> float:
        return self.b - LEVEL_CUTS[self.level - 1]

    def p_at(self, theta: float) -> float:
        return float(irt.prob(theta, self.a, self.relative_b, self.c))

    def info_at(self, theta: float) -> float:
        return float(irt.information(theta, self.a, self.relative_b, self.c))


Pool = dict[tuple[str, int], list[PoolItem]]


def pool_for(role: RoleProfile) -> Pool:
    """The operational SECURE EXAM items of the role's framework version, by (competence,
    level), each with its enemies: the items an author linked to it, and the pool's other
    items of the same topic. Learning items (practice shows their keys) are never in it."""
    rows = list(
        secure_items(role.version_id)
        .filter(status=ItemStatus.OPERATIONAL)
        .order_by("code")
        .values_list("pk", "code", "competence__code", "level", "a", "b", "c", "topic")
    )
    code_of = {pk: code for pk, code, *_ in rows}
    foes: dict[str, set[str]] = {code: set() for code in code_of.values()}
    links = Item.enemies.through.objects.filter(
        from_item_id__in=code_of, to_item_id__in=code_of
    ).values_list("from_item_id", "to_item_id")
    for x, y in links:
        foes[code_of[x]].add(code_of[y])
        foes[code_of[y]].add(code_of[x])
    by_topic: dict[str, list[str]] = {}
    for _pk, code, *_rest, topic in rows:
        if topic_key(topic):
            by_topic.setdefault(topic_key(topic), []).append(code)
    for codes in by_topic.values():
        for code in codes:
            foes[code].update(c for c in codes if c != code)
    pool: Pool = {}
    for _pk, code, comp, level, a, b, c, topic in rows:
        item = PoolItem(code, comp, level, a, b, c, topic, frozenset(foes[code]))
        pool.setdefault((comp, level), []).append(item)
    return pool


def topic_key(topic: str) -> str:
    """Topics compare without case or surrounding spaces."""
    return " ".join(topic.split()).casefold()


def seen_items(learner: User) -> set[str]:
    """Codes of every item ``learner`` was ever given: on any exam form (answered or not)
    and any practice set or check, and every item they answered anywhere (placement
    included). An item moved from the learning pool to the exam pool stays seen."""
    seen = set(
        Response.objects.filter(attempt__learner=learner).values_list("item__code", flat=True)
    )
    for state in Attempt.objects.filter(learner=learner).values_list("state", flat=True):
        codes = state.get("items") if isinstance(state, dict) else None
        if isinstance(codes, list):
            seen.update(c for c in codes if isinstance(c, str))
    return seen


#: Expected score (``tcc``) and information (``info``) at the cut, and the form length.
TargetForm = assembly.FormTarget


def _pool_arrays(cells: Sequence[Cell], pool: Pool) -> tuple[list[PoolItem], dict[str, Any]]:
    """The blueprint's items in cell order and the arrays :mod:`assembly` takes."""
    items: list[PoolItem] = []
    cell_of: list[int] = []
    for k, cell in enumerate(cells):
        members = pool.get((cell.competence, cell.level), [])
        if len(members) < cell.count:
            raise ExamUnavailable(
                f"too few secure exam items for {cell.competence} at level {cell.level}: "
                f"{len(members)} for {cell.count} question(s)"
            )
        items += members
        cell_of += [k] * len(members)
    arrays = {
        "a": [i.a for i in items],
        "b": [i.relative_b for i in items],
        "c": [i.c for i in items],
        "cell": cell_of,
        "counts": [cell.count for cell in cells],
    }
    return items, arrays


def target_form(cells: Sequence[Cell], pool: Pool, cut: float = CUT) -> TargetForm:
    """The average form of the blueprint: what every assembled form is held to."""
    _, arrays = _pool_arrays(cells, pool)
    return assembly.form_target(**arrays, cut=cut)


@dataclass
class Form:
    codes: list[str]
    tcc: float
    info: float
    swaps: int = 0
    reused: list[str] = field(default_factory=list)  # seen before: the cell had too few others

    def within(self, target: TargetForm) -> bool:
        return _deviation(self.tcc, self.info, target) <= 1.0


def _deviation(tcc: float, info: float, target: TargetForm) -> float:
    """The larger of the two deviations, each in units of its tolerance (<= 1: within)."""
    return assembly.deviation(tcc, info, target, TCC_TOLERANCE, INFO_TOLERANCE)


def assemble(
    cells: Sequence[Cell],
    pool: Pool,
    seed: int,
    *,
    exclude: Iterable[str] = (),
    target: TargetForm | None = None,
    cut: float = CUT,
) -> Form:
    """One candidate's form: a seeded random draw per cell, then greedy swaps within cells
    until the expected score and the information at the cut match the target form.

    Items in ``exclude`` (seen before) are never drawn, and no two enemies share the form;
    :class:`ExamUnavailable` names the cell when the pool cannot meet the blueprint so.
    """
    target = target or target_form(cells, pool, cut)
    items, arrays = _pool_arrays(cells, pool)
    seen = set(exclude)
    index = {item.code: j for j, item in enumerate(items)}
    enemies = [
        (j, index[foe])
        for j, item in enumerate(items)
        for foe in item.enemies
        if foe in index and index[foe] > j
    ]
    try:
        form = assembly.assemble_form(
            **arrays,
            seed=seed,
            exclude=[i.code in seen for i in items],
            reuse=False,
            enemies=enemies,
            cut=cut,
            target=target,
            tcc_tolerance=TCC_TOLERANCE,
            info_tolerance=INFO_TOLERANCE,
            max_swaps=MAX_SWAPS,
        )
    except assembly.InfeasibleForm as exc:
        cell = cells[exc.cell]
        raise ExamUnavailable(
            f"not enough secure exam items for {cell.competence} at level {cell.level} "
            "that this candidate has not seen and that test different things"
        ) from exc
    return Form(
        codes=[items[j].code for j in form.items.tolist()],
        tcc=form.tcc,
        info=form.info,
        swaps=form.swaps,
        reused=[items[j].code for j in form.reused.tolist()],
    )


# ---------------------------------------------------------------------------------------
# Attempts: policy, start, clock, scoring
# ---------------------------------------------------------------------------------------


def _achievement_id(attempt: Attempt) -> int | None:
    value = attempt.state.get("achievement")
    return int(value) if value is not None else None


def exam_attempts(learner: User, achievement_id: int) -> Any:
    return Attempt.objects.filter(
        learner=learner, kind=AttemptKind.EXAM, state__achievement=achievement_id
    )


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    code: str  # "" when allowed, else passed / attempt_limit / waiting
    not_before: datetime | None
    used: int  # attempts in the last 365 days
    left: int
    active: Attempt | None  # an exam in progress (resume it)


def eligibility(learner: User, achievement: Any, now: datetime | None = None) -> Eligibility:
    """May ``learner`` start (or resume) the exam of ``achievement`` now?"""
    now = now or timezone.now()
    close_expired(learner=learner, now=now)
    attempts = list(exam_attempts(learner, achievement.pk).order_by("started_at"))
    active = next((a for a in attempts if a.status == AttemptStatus.ACTIVE), None)
    recent = [a for a in attempts if a.started_at > now - POLICY_WINDOW]
    used = len(recent)
    left = max(0, MAX_ATTEMPTS_PER_YEAR - used)
    if active is not None:
        return Eligibility(True, "", None, used, left, active)
    if any(a.result.get("passed") for a in attempts):
        return Eligibility(False, "passed", None, used, left, None)
    if used >= MAX_ATTEMPTS_PER_YEAR:
        not_before = recent[-MAX_ATTEMPTS_PER_YEAR].started_at + POLICY_WINDOW
        return Eligibility(False, "attempt_limit", not_before, used, left, None)
    if attempts:
        last = attempts[-1]
        ended = last.finished_at or last.expires_at
        if ended + WAITING_PERIOD > now:
            return Eligibility(False, "waiting", ended + WAITING_PERIOD, used, left, None)
    return Eligibility(True, "", None, used, left, None)


POLICY_MESSAGES = {
    "passed": "You have already passed this exam.",
    "attempt_limit": (
        f"You have used all {MAX_ATTEMPTS_PER_YEAR} attempts allowed in 12 months; "
        "the next attempt is possible from {date}."
    ),
    "waiting": (
        f"The next attempt is possible {WAITING_PERIOD.days} days after the previous one, "
        "from {date}."
    ),
}


def start_exam(
    learner: User, achievement: Any, *, now: datetime | None = None, seed: int | None = None
) -> Attempt:
    """Resume the learner's exam in progress, or start a new one if the policy allows.

    Raises :class:`ExamPolicyError` (with a clear message and the date from which the
    next attempt is possible) or :class:`ExamUnavailable`.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # One start at a time per learner: two tabs cannot both open a new attempt.
        User.objects.select_for_update().filter(pk=learner.pk).first()
        status = eligibility(learner, achievement, now)
        if status.active is not None:
            return status.active
        if not status.allowed:
            template = POLICY_MESSAGES[status.code]
            date = (
                f"{timezone.localtime(status.not_before):%d/%m/%Y %H:%M}"
                if status.not_before
                else ""
            )
            raise ExamPolicyError(status.code, template.format(date=date), status.not_before)
        role = achievement.role_profile
        pool = pool_for(role)
        seen = seen_items(learner)
        unseen = {
            key: sum(1 for i in members if i.code not in seen) for key, members in pool.items()
        }
        cells = blueprint(role, unseen)
        if not cells:
            raise ExamUnavailable("the role profile has no targets")
        seed = seed if seed is not None else secrets.randbits(62)
        # The target is the blueprint's average form over the whole pool, the same for
        # every candidate; only the draw leaves out what this candidate has seen.
        target = target_form(cells, pool)
        form = assemble(cells, pool, seed, exclude=seen, target=target)
        attempt = Attempt.objects.create(
            learner=learner,
            kind=AttemptKind.EXAM,
            framework_version_id=role.version_id,
            seed=seed,
            state={
                "items": form.codes,
                "achievement": achievement.pk,
                "minutes": EXAM_MINUTES,
                "cut": CUT,
                "form": {"tcc": form.tcc, "info": form.info},
                "target": {"tcc": target.tcc, "info": target.info},
            },
            expires_at=now + timedelta(minutes=EXAM_MINUTES),
        )
        if now != attempt.started_at:  # honour an explicit start time (tests, replays)
            Attempt.objects.filter(pk=attempt.pk).update(started_at=now)
            attempt.started_at = now
        audit.record(
            "exam.start",
            actor=learner,
            obj=attempt,
            data={"achievement": achievement.pk, "items": len(form.codes)},
        )
    _schedule_close(attempt)
    return attempt


def _schedule_close(attempt: Attempt) -> None:
    """Score the exam at its deadline even if the candidate never comes back."""
    if not close_exam.get_backend().supports_defer:
        return  # no deferred jobs here: the exam is scored when next opened
    transaction.on_commit(
        lambda: close_exam.using(run_after=attempt.expires_at).enqueue(str(attempt.pk))
    )


def exam_for(user: Any, attempt_id: UUID | str) -> Attempt:
    """The exam attempt, when it is ``user``'s own; 404 otherwise."""
    attempt = attempt_for(user, attempt_id)
    if attempt.kind != AttemptKind.EXAM:
        raise Http404("not an exam")
    return attempt


def remaining_seconds(attempt: Attempt, now: datetime | None = None) -> int:
    """Seconds left by the server's clock (0 once the deadline has passed)."""
    now = now or timezone.now()
    if attempt.status != AttemptStatus.ACTIVE:
        return 0
    return max(0, int((attempt.expires_at - now).total_seconds()))


def exam_items(attempt: Attempt) -> list[Item]:
    codes = list(attempt.state.get("items", []))
    by_code = {
        i.code: i for i in Item.objects.filter(code__in=codes).select_related("competence__area")
    }
    return [by_code[c] for c in codes if c in by_code]


def finish_exam(attempt: Attempt, *, now: datetime | None = None) -> dict[str, Any]:
    """Score the exam on the answers that arrived (idempotent) and return the result.

    A pass enqueues the certificate rules (:func:`hocvu.certification.tasks.issue_if_earned`)
    once the transaction commits.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if "passed" in locked.result:
            attempt.refresh_from_db()
            return dict(locked.result)
        items = exam_items(locked)
        scores = dict(
            Response.objects.filter(attempt=locked, scored=True).values_list("item__code", "score")
        )
        responses = [1 if scores.get(i.code) else 0 for i in items]
        # The pass decision: the recorded standard in force when the exam started
        # (decision 0010, hocvu.certification.pass_mark).
        standard = pass_mark.standard_for(locked.started_at)
        decision = pass_mark.decide(responses, items, standard) if items else None
        passed = bool(decision and decision.passed)
        locked.result = {
            "passed": passed,
            "theta": decision.theta if decision else 0.0,
            "se": decision.se if decision else 0.0,
            "cut": 0.0,
            "standard": standard.id,
            "correct": int(sum(responses)),
            "answered": len(scores),
            "total": len(items),
            "expected_at_cut": decision.expected_correct if decision else 0.0,
            "percent_cut": decision.percent_cut if decision else 0.0,
            "timed_out": now >= locked.expires_at,
        }
        locked.status = AttemptStatus.FINISHED
        locked.finished_at = locked.finished_at or min(now, locked.expires_at)
        locked.pending_item = None
        locked.save(update_fields=["result", "status", "finished_at", "pending_item"])
        audit.record(
            "exam.finish",
            actor=locked.learner,
            obj=locked,
            data={k: locked.result[k] for k in ("passed", "correct", "total", "timed_out")},
        )
        achievement_id = _achievement_id(locked)
        learner_id = locked.learner_id
        if passed and achievement_id is not None:
            transaction.on_commit(lambda: _enqueue_rules(learner_id, achievement_id))
    attempt.refresh_from_db()
    return dict(attempt.result)


def _enqueue_rules(learner_id: int, achievement_id: int) -> None:
    issue_if_earned.enqueue(learner_id, achievement_id)


@task()
def close_exam(attempt_id: str) -> dict[str, Any] | None:
    """Score an exam whose deadline has passed (scored on the answers that arrived)."""
    attempt = Attempt.objects.filter(pk=attempt_id, kind=AttemptKind.EXAM).first()
    if attempt is None or attempt.expires_at > timezone.now():
        return None
    return finish_exam(attempt)


def close_expired(*, learner: User | None = None, now: datetime | None = None) -> int:
    """Score every exam whose deadline has passed (of ``learner``, or of everyone)."""
    now = now or timezone.now()
    due = Attempt.objects.filter(
        kind=AttemptKind.EXAM, expires_at__lte=now, result__passed__isnull=True
    )
    if learner is not None:
        due = due.filter(learner=learner)
    n = 0
    for attempt in due.exclude(status=AttemptStatus.ABANDONED):
        finish_exam(attempt, now=now)
        n += 1
    # Exams that record_answer closed when the last answer arrived: score them too.
    finished = Attempt.objects.filter(
        kind=AttemptKind.EXAM, status=AttemptStatus.FINISHED, result__passed__isnull=True
    )
    if learner is not None:
        finished = finished.filter(learner=learner)
    for attempt in finished:
        finish_exam(attempt, now=now)
        n += 1
    return n
