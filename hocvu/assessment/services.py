"""Starting attempts, serving questions and recording answers, exactly once each."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from hocvu.assessment import bank as engine
from hocvu.assessment import signals
from hocvu.assessment.models import FEEDBACK_KINDS, Attempt, AttemptKind, AttemptStatus, Response
from hocvu.audit import services as audit
from hocvu.content.models import Item, ItemPool, ItemStatus, Module
from hocvu.content.scoring import InvalidAnswer, score
from hocvu.content.services import learning_items
from hocvu.framework.models import FrameworkVersion
from hocvu.identity.models import User

PLACEMENT_LIFETIME = timedelta(days=14)
PRACTICE_LIFETIME = timedelta(days=30)
#: Answers timestamped further in the future than this are refused (device clocks drift).
CLOCK_SKEW = timedelta(minutes=10)


class CheckCoolingOff(ValueError):
    """A mastery check of this module failed a short while ago: the next one may start
    at ``not_before``."""

    def __init__(self, not_before: datetime) -> None:
        super().__init__(f"the next mastery check of this module may start at {not_before}")
        self.not_before = not_before


def check_cooling_off() -> timedelta:
    """How long a learner waits after a failed mastery check before the next one of the
    same module (``HOCVU_CHECK_COOLING_OFF_MINUTES``, 4 hours by default): enough that a
    check cannot be retried until its questions are learned by heart."""
    return timedelta(minutes=int(getattr(settings, "HOCVU_CHECK_COOLING_OFF_MINUTES", 240)))


def check_not_before(learner: User, module: Module, now: datetime | None = None) -> datetime | None:
    """When ``learner`` may next start ``module``'s mastery check (None: now)."""
    now = now or timezone.now()
    last = (
        Attempt.objects.filter(
            learner=learner,
            kind=AttemptKind.MASTERY_CHECK,
            module=module,
            status=AttemptStatus.FINISHED,
        )
        .order_by("-finished_at")
        .first()
    )
    if last is None or last.finished_at is None or last.result.get("passed"):
        return None
    not_before = last.finished_at + check_cooling_off()
    return not_before if not_before > now else None


class AnswerError(ValueError):
    """The answer cannot be accepted; nothing was stored. ``code`` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Outcome:
    """What the learner is told after an answer."""

    response_id: int
    correct: bool
    scored: bool
    duplicate: bool
    finished: bool
    explanation: str
    n_answered: int
    #: The attempt's kind (so a caller need not read the attempt again).
    kind: str = ""
    #: Placement: the question to show next, chosen once with this answer (None at the end).
    next_item: Item | None = None
    #: Placement: the most questions the test may show.
    maximum: int = 0


def attempt_for(user: Any, attempt_id: UUID | str) -> Attempt:
    """The attempt, when it belongs to ``user``; 404 otherwise (no one else's attempt leaks)."""
    try:
        return Attempt.objects.select_related("framework_version").get(
            pk=attempt_id, learner_id=getattr(user, "pk", None)
        )
    except (Attempt.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("attempt not found") from None


def _new_seed() -> int:
    return secrets.randbits(62)


@transaction.atomic
def start_placement(learner: User, version: FrameworkVersion) -> Attempt:
    """Resume the learner's unfinished placement test, or start a new one."""
    current = (
        Attempt.objects.select_for_update()
        .filter(learner=learner, kind=AttemptKind.PLACEMENT, status=AttemptStatus.ACTIVE)
        .first()
    )
    if current is not None and current.expires_at > timezone.now():
        return current
    if current is not None:
        current.status = AttemptStatus.ABANDONED
        current.save(update_fields=["status"])
    seen = set(
        Response.objects.filter(
            attempt__learner=learner, attempt__kind=AttemptKind.PLACEMENT
        ).values_list("item__code", flat=True)
    )
    counts, sessions = engine.exposure_counts(version)
    seed = _new_seed()
    # Against the role's targets when the learner has a role (decision 0011).
    session = engine.start_session(
        version,
        learner.job_role,
        seed=seed,
        exclude=seen,
        exposure_counts=counts,
        exposure_sessions=sessions,
    )
    attempt = Attempt.objects.create(
        learner=learner,
        kind=AttemptKind.PLACEMENT,
        framework_version=version,
        seed=seed,
        state=session.to_dict(),
        expires_at=timezone.now() + PLACEMENT_LIFETIME,
    )
    audit.record("placement.start", actor=learner, obj=attempt)
    # Last: the shared counter row stays locked only until the commit that follows.
    engine.count_placement(version.pk)
    return attempt


@transaction.atomic
def start_practice(
    learner: User,
    module: Module,
    levels: list[int],
    size: int = 5,
    kind: str = AttemptKind.PRACTICE,
) -> Attempt:
    """A practice set (or a mastery check) on ``module`` at ``levels``: fixed learning
    items, answered in any order, feedback after each.

    A mastery check in progress is resumed rather than replaced (so a check cannot be
    abandoned for a fresh one once its feedback has shown the answers), a new one waits
    :func:`check_cooling_off` after a failed one (:class:`CheckCoolingOff`), and its
    questions rotate: first those the learner never met, then those met only in
    practice, then those of the least recent earlier checks.
    """
    version = module.program.framework_version
    if kind == AttemptKind.MASTERY_CHECK:
        now = timezone.now()
        User.objects.select_for_update().filter(pk=learner.pk).first()  # one start at a time
        active = (
            Attempt.objects.filter(
                learner=learner,
                kind=AttemptKind.MASTERY_CHECK,
                module=module,
                status=AttemptStatus.ACTIVE,
                expires_at__gt=now,
            )
            .order_by("-started_at")
            .first()
        )
        if active is not None:
            return active
        not_before = check_not_before(learner, module, now)
        if not_before is not None:
            raise CheckCoolingOff(not_before)
    items = list(
        learning_items(version)
        .filter(competence=module.competence, level__in=levels, status=ItemStatus.OPERATIONAL)
        .values_list("code", flat=True)
    )
    if not items:
        raise ValueError("no practice questions for this module yet")
    answered = set(
        Response.objects.filter(attempt__learner=learner, item__code__in=items).values_list(
            "item__code", flat=True
        )
    )
    seed = _new_seed()
    rng = __import__("random").Random(seed)
    # When each item was last on one of the learner's checks (they rotate).
    in_checks: dict[str, datetime] = {}
    if kind == AttemptKind.MASTERY_CHECK:
        earlier = Attempt.objects.filter(learner=learner, kind=AttemptKind.MASTERY_CHECK)
        for started, state in earlier.order_by("started_at").values_list("started_at", "state"):
            for code in state.get("items", []) if isinstance(state, dict) else []:
                in_checks[code] = started
    fresh = [c for c in items if c not in answered and c not in in_checks]
    again = [c for c in items if c in answered and c not in in_checks]
    checked = [c for c in items if c in in_checks]
    rng.shuffle(fresh)
    rng.shuffle(again)
    rng.shuffle(checked)
    checked.sort(key=lambda c: in_checks[c])  # stable: random among equally recent
    chosen = (fresh + again + checked)[:size]
    return Attempt.objects.create(
        learner=learner,
        kind=kind,
        module=module,
        framework_version=version,
        seed=seed,
        state={"items": chosen},
        expires_at=timezone.now() + PRACTICE_LIFETIME,
    )


@transaction.atomic
def start_review(learner: User, items: list[Item]) -> Attempt:
    """Today's review: the questions whose spaced-review date has come (learning items
    only: one moved to the secure exam pool since is never shown again)."""
    items = [i for i in items if i.pool == ItemPool.LEARNING]
    if not items:
        raise ValueError("nothing to review today")
    return Attempt.objects.create(
        learner=learner,
        kind=AttemptKind.REVIEW,
        framework_version=items[0].competence.version,
        seed=_new_seed(),
        state={"items": [i.code for i in items]},
        expires_at=timezone.now() + timedelta(days=2),
    )


def next_placement_item(attempt: Attempt) -> Item | None:
    """The question to show now: the pending one, or the engine's next choice."""
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.status != AttemptStatus.ACTIVE:
            attempt.refresh_from_db()
            return None
        if locked.pending_item_id:
            return Item.objects.get(pk=locked.pending_item_id)
        # An attempt whose next question is not chosen yet (answered before the answer
        # chose it, or a pilot question was just answered).
        item = _queue_next(locked, None)
    attempt.refresh_from_db()
    return item


def _queue_next(attempt: Attempt, session: engine.Session | None) -> Item | None:
    """Choose the question after the last answer, once, and keep it as the pending one;
    finish the attempt when there is none. ``attempt`` is locked by the caller; ``session``
    is its engine session when the caller has it at hand."""
    if attempt.n_answered >= engine.max_questions(attempt.state):
        # Pilot questions count towards the promised maximum: stop here.
        _finish(attempt, session or engine.resume(attempt.framework_version, attempt.state))
        return None
    if session is None:
        pilot = _pilot_for(attempt)
        if pilot is not None:
            attempt.pending_item = pilot
            attempt.save(update_fields=["pending_item", "n_answered"])
            return pilot
        session = engine.resume(attempt.framework_version, attempt.state)
        code = session.next_item()
    else:
        answered_state = session.to_dict()
        code = session.next_item()
        pilot = None if code is None else _pilot_for(attempt)
        if pilot is not None:
            # The engine's choice waits until after the pilot question: chosen again then,
            # from the same state, it is the same question.
            attempt.pending_item = pilot
            attempt.state = answered_state
            attempt.save(update_fields=["pending_item", "state", "n_answered"])
            return pilot
    if code is None:
        _finish(attempt, session)
        return None
    attempt.pending_item = Item.objects.select_related("competence").get(code=code)
    attempt.state = session.to_dict()
    attempt.save(update_fields=["pending_item", "state", "n_answered"])
    return attempt.pending_item


#: Every PILOT_EVERY-th question of a placement test is a pilot item when one is
#: available: shown like the others, never scored, answered to gather calibration data.
PILOT_EVERY = 6


def _pilot_for(attempt: Attempt) -> Item | None:
    if attempt.n_answered % PILOT_EVERY != PILOT_EVERY - 1:
        return None
    if attempt.n_answered >= engine.max_questions(attempt.state) - 1:
        return None
    seen = Response.objects.filter(attempt__learner_id=attempt.learner_id).values("item_id")
    return (
        learning_items(attempt.framework_version_id)
        .filter(status=ItemStatus.PILOT)
        .exclude(pk__in=seen)
        .order_by("n_responses", "code")
        .first()
    )


def practice_items(attempt: Attempt) -> list[Item]:
    """The questions of a fixed-form attempt, from its pool only: learning items for a
    practice set, check or review (an item moved to the secure exam pool after the set
    was made is left out), secure exam items for an exam."""
    codes = list(attempt.state.get("items", []))
    pool = ItemPool.EXAM if attempt.kind == AttemptKind.EXAM else ItemPool.LEARNING
    by_code = {i.code: i for i in Item.objects.filter(code__in=codes, pool=pool)}
    return [by_code[c] for c in codes if c in by_code]


def _finish(attempt: Attempt, session: engine.Session | None) -> None:
    attempt.status = AttemptStatus.FINISHED
    attempt.finished_at = timezone.now()
    attempt.pending_item = None
    if session is not None:
        result = session.result()
        attempt.result = result.to_dict()
        attempt.state = session.to_dict()
        signals.placement_finished.send(
            sender=Attempt,
            learner=attempt.learner,
            version=attempt.framework_version,
            result=result,
        )
    attempt.save()
    audit.record(
        "attempt.finish",
        actor=attempt.learner,
        obj=attempt,
        data={"kind": attempt.kind, "answered": attempt.n_answered},
    )


def record_answer(
    *,
    user: Any,
    attempt_id: UUID | str,
    item_uid: UUID | str,
    answer: Any,
    answer_id: UUID | str,
    answered_at: datetime | None = None,
    seconds: float | None = None,
    kind: str | None = None,
    item: Item | None = None,
    refuse_kind: str | None = None,
) -> Outcome:
    """Store one answer exactly once and move the attempt on.

    ``kind``: the attempt must be of this kind (404 otherwise), checked on the one read of
    the attempt. ``item``: the question already read by the caller (its uid is checked).
    ``refuse_kind``: attempts of this kind are answered elsewhere (``wrong_channel``).

    The same ``answer_id`` sent again (a retry, a double tap, an offline replay) returns
    the first outcome and stores nothing. Every refusal raises :class:`AnswerError` and
    leaves the database as it was. The caller acknowledges only after this returns, that
    is after the transaction committed.
    """
    try:
        answer_uuid = UUID(str(answer_id))
        item_uuid = UUID(str(item_uid))
    except ValueError:
        raise AnswerError("bad_request", "answer_id and item must be UUIDs") from None
    now = timezone.now()
    if answered_at is None:
        answered_at = now
    elif answered_at > now + CLOCK_SKEW:
        raise AnswerError("bad_request", "the answer is dated in the future")
    if seconds is not None and not (0 <= seconds < 86400):
        seconds = None
    try:
        with transaction.atomic():
            attempt = _locked_attempt_for(user, attempt_id)
            if kind is not None and attempt.kind != kind:
                raise Http404("attempt not found")
            if refuse_kind is not None and attempt.kind == refuse_kind:
                raise AnswerError("wrong_channel", "this attempt is answered on its own page")
            previous = Response.objects.filter(answer_id=answer_uuid).select_related("item").first()
            if previous is not None:
                return _replay(previous, attempt, item_uuid, answer)
            if attempt.status != AttemptStatus.ACTIVE:
                raise AnswerError("closed", "this attempt is already finished")
            if attempt.expires_at <= now:
                raise AnswerError("expired", "this attempt has expired")
            if item is None or item.uid != item_uuid:
                item = Item.objects.filter(uid=item_uuid).first()
            if item is None:
                raise AnswerError("not_in_attempt", "this question is not part of the attempt")
            if (item.pool == ItemPool.EXAM) != (attempt.kind == AttemptKind.EXAM):
                # The pools never meet: no secure item outside an exam (its feedback would
                # show the key), no learning item in one.
                raise AnswerError("not_in_attempt", "this question is not part of the attempt")
            if attempt.kind == AttemptKind.PLACEMENT:
                if attempt.pending_item_id != item.pk:
                    raise AnswerError("not_in_attempt", "this is not the current question")
            elif item.code not in attempt.state.get("items", []):
                raise AnswerError("not_in_attempt", "this question is not part of the attempt")
            if Response.objects.filter(attempt=attempt, item=item).exists():
                raise AnswerError("already_answered", "this question was already answered")
            try:
                points = score(item.kind, item.answer, len(item.options), answer)
            except InvalidAnswer as exc:
                raise AnswerError("invalid_answer", str(exc)) from None
            scored = item.status == ItemStatus.OPERATIONAL
            response = Response.objects.create(
                attempt=attempt,
                item=item,
                answer_id=answer_uuid,
                answer=answer,
                score=points,
                scored=scored,
                position=attempt.n_answered,
                seconds=seconds,
                answered_at=answered_at,
            )
            attempt.n_answered += 1
            finished, following = _advance(attempt, item, points, scored)
            if attempt.kind == AttemptKind.PLACEMENT:
                # Last: a popular item's counter row stays locked only until the commit.
                engine.count_exposure(item.pk)
            return Outcome(
                response_id=response.pk,
                correct=bool(points),
                scored=scored,
                duplicate=False,
                finished=finished,
                explanation=item.explanation if attempt.kind in FEEDBACK_KINDS else "",
                n_answered=attempt.n_answered,
                kind=attempt.kind,
                next_item=following,
                maximum=(
                    engine.max_questions(attempt.state)
                    if attempt.kind == AttemptKind.PLACEMENT
                    else 0
                ),
            )
    except IntegrityError:
        # Two copies of the same answer raced; the other one won. Report its outcome.
        previous = Response.objects.filter(answer_id=answer_uuid).select_related("item").first()
        if previous is None:
            raise
        attempt = attempt_for(user, attempt_id)
        return _replay(previous, attempt, item_uuid, answer)


def _locked_attempt_for(user: Any, attempt_id: UUID | str) -> Attempt:
    """``attempt_for`` and the row lock in one read (only the attempt row is locked)."""
    try:
        return (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("framework_version")
            .get(pk=attempt_id, learner_id=getattr(user, "pk", None))
        )
    except (Attempt.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("attempt not found") from None


def _replay(previous: Response, attempt: Attempt, item_uuid: UUID, answer: Any) -> Outcome:
    if (
        previous.attempt_id != attempt.pk
        or previous.item.uid != item_uuid
        or previous.answer != answer
    ):
        raise AnswerError("conflict", "this answer id was already used for a different answer")
    attempt.refresh_from_db()
    return Outcome(
        response_id=previous.pk,
        correct=bool(previous.score),
        scored=previous.scored,
        duplicate=True,
        finished=attempt.status == AttemptStatus.FINISHED,
        explanation=previous.item.explanation if attempt.kind in FEEDBACK_KINDS else "",
        n_answered=attempt.n_answered,
        kind=attempt.kind,
        next_item=attempt.pending_item if attempt.status == AttemptStatus.ACTIVE else None,
        maximum=engine.max_questions(attempt.state) if attempt.kind == AttemptKind.PLACEMENT else 0,
    )


def _advance(attempt: Attempt, item: Item, points: int, scored: bool) -> tuple[bool, Item | None]:
    """Move the attempt on after an answer: (finished, the next placement question)."""
    if attempt.kind == AttemptKind.PLACEMENT:
        attempt.pending_item = None
        if not scored:  # a pilot item: data for calibration, no effect on the estimate
            following = _queue_next(
                attempt, engine.resume(attempt.framework_version, attempt.state)
            )
            return following is None, following
        session = engine.resume(attempt.framework_version, attempt.state)
        session.answer(item.code, points)
        attempt.state = session.to_dict()
        if attempt.n_answered >= engine.max_questions(attempt.state) or session.finished:
            _finish(attempt, session)
            return True, None
        # The next question is chosen here, once, and saved with the answer.
        following = _queue_next(attempt, session)
        return following is None, following
    if attempt.kind in FEEDBACK_KINDS:
        # Not during an exam: a review card's due date would tell right from wrong.
        signals.practice_answered.send(
            sender=Attempt, learner=attempt.learner, item=item, points=points
        )
    done = attempt.n_answered >= len(attempt.state.get("items", []))
    if done:
        if attempt.kind == AttemptKind.MASTERY_CHECK and attempt.module is not None:
            rows = list(
                Response.objects.filter(attempt=attempt).values_list(
                    "score", "item__a", "item__b", "item__c"
                )
            )
            scores = [row[0] for row in rows]
            level = max(
                Item.objects.filter(code__in=attempt.state["items"]).values_list("level", flat=True)
            )
            replies = signals.mastery_check_finished.send(
                sender=Attempt,
                learner=attempt.learner,
                module=attempt.module,
                level=level,
                correct=sum(scores),
                total=len(scores),
                answers=[(int(s), float(a), float(b), float(c)) for s, a, b, c in rows],
            )
            passed = any(bool(reply) for _, reply in replies)
            attempt.result = {"passed": passed, "correct": sum(scores), "total": len(scores)}
        _finish(attempt, None)
    else:
        attempt.save(update_fields=["n_answered"])
    return done, None
