"""A candidate's answers and review flags during a certification exam, one write at a time.

The exam page saves each answer as it is chosen (``web/static/hocvu/exam.js``, which
queues the writes on the device while the connection is gone and sends them in order
when it returns), or every answer of the page at once when a button of the plain form is
pressed (no JavaScript). Every write is small and idempotent:

Answers
    An answer is the attempt's :class:`~hocvu.assessment.models.Response` for the
    question. While the exam is open it is the candidate's working answer: an exam is the
    one kind of attempt whose responses change in place (the answer, its score, its
    ``answer_id`` and time); once the exam is submitted or its deadline has passed they are
    final and :func:`hocvu.certification.exam.finish_exam` scores them. Sending the same
    answer again (the same ``answer_id``, or the same value under a new one) changes
    nothing. A different answer replaces the stored one, unless it was chosen BEFORE it
    (``answered_at``: the device's time, corrected to the server's clock by the page): a
    late copy of an older choice, say from another tab's offline queue, never overwrites a
    newer one. Nothing about right or wrong is returned.

Flags
    A question can be flagged for review; the flags are item codes in the attempt's
    ``state["flagged"]``, so they survive a reload and another device.

The server's clock decides
    Every write locks the attempt row and is refused with :class:`ExamClosed` once the
    attempt was submitted (``closed``) or its deadline has passed (``expired``), whatever
    time the device claims; the caller then scores the exam on what had arrived
    (``exam.finish_exam``), as when the deadline passes unattended. Only the candidate's
    own exam is reachable (404 otherwise, the same as for an attempt that does not exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus, Response
from hocvu.certification import exam
from hocvu.content.models import Item, ItemStatus
from hocvu.content.scoring import InvalidAnswer, score

#: A device time further ahead of the server than this is not believed (the server's time
#: of arrival is used instead).
CLOCK_SKEW = timedelta(minutes=10)


class ExamClosed(Exception):
    """The exam no longer takes answers: ``code`` is ``closed`` (submitted) or ``expired``
    (the deadline, by the server's clock, has passed). Nothing was stored."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class AnswerRefused(ValueError):
    """The answer was not stored: ``code`` is ``conflict`` (its ``answer_id`` was used for
    another answer), else the scorer's (``invalid_answer``: it does not fit the question)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Saved:
    """The state after a write, as the page shows it (nothing about right or wrong)."""

    changed: bool  # False: the same answer (or flag) again, or an older choice
    answered: int
    total: int
    flagged: bool
    remaining: int  # seconds left by the server's clock


@dataclass(frozen=True)
class Entry:
    """One question of the exam as the candidate left it."""

    number: int
    item: Item
    response: Response | None
    flagged: bool


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def _codes(attempt: Attempt) -> list[str]:
    return [str(c) for c in attempt.state.get("items", [])]


def flagged_codes(attempt: Attempt) -> set[str]:
    return {str(c) for c in attempt.state.get("flagged", [])}


def sheet(attempt: Attempt) -> list[Entry]:
    """Every question of the exam in order, with the stored answer and the flag."""
    codes = _codes(attempt)
    by_code = {i.code: i for i in Item.objects.filter(code__in=codes).select_related("competence")}
    responses = {r.item_id: r for r in Response.objects.filter(attempt=attempt)}
    flags = flagged_codes(attempt)
    entries: list[Entry] = []
    for code in codes:
        item = by_code.get(code)
        if item is None:
            continue
        number = len(entries) + 1
        entries.append(Entry(number, item, responses.get(item.pk), code in flags))
    return entries


def is_open(attempt: Attempt, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return attempt.status == AttemptStatus.ACTIVE and attempt.expires_at > now


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def _locked_exam(user: Any, attempt_id: UUID | str) -> Attempt:
    """The candidate's own exam attempt, its row locked until the transaction ends."""
    try:
        return Attempt.objects.select_for_update(of=("self",)).get(
            pk=attempt_id, learner_id=getattr(user, "pk", None), kind=AttemptKind.EXAM
        )
    except (Attempt.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("exam not found") from None


def _check_open(attempt: Attempt, now: datetime) -> None:
    if attempt.status != AttemptStatus.ACTIVE:
        raise ExamClosed("closed")
    if attempt.expires_at <= now:
        raise ExamClosed("expired")


def _item_of(attempt: Attempt, item_uid: UUID | str) -> Item:
    try:
        item = Item.objects.filter(uid=item_uid, code__in=_codes(attempt)).first()
    except (ValueError, ValidationError):
        item = None
    if item is None:
        raise Http404("question not in this exam")
    return item


def _saved(attempt: Attempt, item: Item, changed: bool, now: datetime) -> Saved:
    return Saved(
        changed=changed,
        answered=Response.objects.filter(attempt=attempt).count(),
        total=len(_codes(attempt)),
        flagged=item.code in flagged_codes(attempt),
        remaining=exam.remaining_seconds(attempt, now),
    )


def chosen_at(value: datetime | None, now: datetime) -> datetime:
    """When the answer was chosen: the device's time if it is believable, else ``now``."""
    if value is None or timezone.is_naive(value) or value > now + CLOCK_SKEW:
        return now
    return value


def save_answer(
    user: Any,
    attempt_id: UUID | str,
    item_uid: UUID | str,
    answer: Any,
    *,
    answer_id: UUID | str | None = None,
    answered_at: datetime | None = None,
    now: datetime | None = None,
) -> Saved:
    """Store ``answer`` as the candidate's answer to the question (see the module doc).

    Raises :class:`ExamClosed`, :class:`AnswerRefused`, or ``Http404`` (not the
    candidate's exam, or not one of its questions); nothing is stored then.
    """
    now = now or timezone.now()
    try:
        answer_uuid = UUID(str(answer_id)) if answer_id else uuid4()
    except ValueError:
        raise AnswerRefused("invalid_answer", "answer_id must be a UUID") from None
    when = chosen_at(answered_at, now)
    try:
        with transaction.atomic():
            attempt = _locked_exam(user, attempt_id)
            item = _item_of(attempt, item_uid)
            previous = Response.objects.filter(answer_id=answer_uuid).first()
            if previous is not None:
                # A resend (a retry, the offline queue after a lost reply): nothing changes.
                if (previous.attempt_id, previous.item_id, previous.answer) == (
                    attempt.pk,
                    item.pk,
                    answer,
                ):
                    return _saved(attempt, item, False, now)
                raise AnswerRefused("conflict", "this answer id was used for another answer")
            _check_open(attempt, now)
            try:
                points = score(item.kind, item.answer, len(item.options), answer)
            except InvalidAnswer as exc:
                code = str(getattr(exc, "code", "") or "invalid_answer")
                raise AnswerRefused(code, str(exc)) from None
            stored = Response.objects.filter(attempt=attempt, item=item).first()
            if stored is None:
                Response.objects.create(
                    attempt=attempt,
                    item=item,
                    answer_id=answer_uuid,
                    answer=answer,
                    score=points,
                    scored=item.status == ItemStatus.OPERATIONAL,
                    position=attempt.n_answered,
                    answered_at=when,
                )
                attempt.n_answered += 1
                attempt.save(update_fields=["n_answered"])
                return _saved(attempt, item, True, now)
            if stored.answer == answer or when < stored.answered_at:
                return _saved(attempt, item, False, now)  # the same, or an older choice
            stored.answer = answer
            stored.score = points
            stored.answer_id = answer_uuid
            stored.answered_at = when
            stored.save(update_fields=["answer", "score", "answer_id", "answered_at"])
            return _saved(attempt, item, True, now)
    except IntegrityError:
        # The answer_id is another response's (a client reusing ids): refuse, store nothing.
        raise AnswerRefused("conflict", "this answer id was used for another answer") from None


def set_flag(
    user: Any,
    attempt_id: UUID | str,
    item_uid: UUID | str,
    flagged: bool,
    *,
    now: datetime | None = None,
) -> Saved:
    """Flag the question for review, or remove the flag (setting it twice changes nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _locked_exam(user, attempt_id)
        item = _item_of(attempt, item_uid)
        _check_open(attempt, now)
        codes = [str(c) for c in attempt.state.get("flagged", [])]
        if (item.code in codes) == flagged:
            return _saved(attempt, item, False, now)
        codes = [c for c in codes if c != item.code] + ([item.code] if flagged else [])
        attempt.state = {**attempt.state, "flagged": codes}
        attempt.save(update_fields=["state"])
        return _saved(attempt, item, True, now)
