"""The certification exam pages.

The exam page shows the questions without their keys, each with the candidate's own
answer filled in. With JavaScript (``web/static/hocvu/exam.js``) an answer is saved as it
is chosen, one small idempotent POST per answer (queued on the device while offline);
without it, the page is one plain form whose buttons save every answer on it. Answers
can be changed and questions flagged until submission (:mod:`hocvu.certification.answers`).
A review page lists the unanswered and flagged questions; submitting is its own,
confirmed step. The clock is the server's (the attempt's deadline): every page and every
reply carries the seconds left, and a write after the deadline is refused and the exam
scored on what had arrived. A learner only ever reaches their own exam (404 otherwise).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from hocvu.assessment.bank import revision
from hocvu.assessment.forms import answer_error_text, answer_from_form
from hocvu.assessment.models import Response
from hocvu.certification import answers, eligibility, exam, pass_mark, rules
from hocvu.content import services as content
from hocvu.content import standards
from hocvu.content.models import ItemKind
from hocvu.content.scoring import InvalidAnswer
from hocvu.credentials.models import Achievement
from hocvu.identity.models import User


def _learner(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _policy_text(code: str, not_before: Any) -> str:
    when = f"{timezone.localtime(not_before):%d/%m/%Y %H:%M}" if not_before else ""
    texts = {
        "passed": _("You have already passed this exam."),
        "attempt_limit": _(
            "You have used all %(n)s attempts allowed in 12 months. "
            "The next attempt is possible from %(date)s."
        )
        % {"n": exam.MAX_ATTEMPTS_PER_YEAR, "date": when},
        "waiting": _(
            "Attempts must be at least %(days)s days apart. "
            "The next attempt is possible from %(date)s."
        )
        % {"days": exam.WAITING_PERIOD.days, "date": when},
    }
    return texts.get(code, _("The exam is not available now."))


def _home_context(learner: User, achievement: Achievement) -> dict[str, Any]:
    status = exam.eligibility(learner, achievement)
    missing = eligibility.gaps(learner, achievement)
    blocked = bool(missing) and not eligibility.open_below_target()
    return {
        "status": status,
        "policy": "" if status.allowed else _policy_text(status.code, status.not_before),
        "gaps": missing,
        "blocked_by_gaps": blocked and status.active is None,
        "length": sum(c.count for c in exam.blueprint(achievement.role_profile)),
        "pass_mark": _typical_pass_mark(achievement),
        "minutes": exam.EXAM_MINUTES,
        "max_attempts": exam.MAX_ATTEMPTS_PER_YEAR,
        "waiting_days": exam.WAITING_PERIOD.days,
        "left_after": max(0, status.left - 1),
        "credential": rules.latest_credential(learner, achievement),
    }


#: How long a computed typical pass mark is kept (a new bank revision replaces it sooner).
TYPICAL_PASS_MARK_SECONDS = 6 * 3600


def _typical_pass_mark(achievement: Achievement) -> pass_mark.TypicalPassMark | None:
    """The pass mark on the role's average form, in numbers (decision 0010).

    It depends on the role's targets, the secure pool's items and their parameters, and
    the standard in force, not on the candidate: computed once per bank revision (every
    saved or recalibrated item bumps it) and standard, then read from the cache. Reading
    the whole pool was half the cost of the exam's start page.
    """
    role = achievement.role_profile
    key = ":".join(
        [
            "exam-typical-pass-mark",
            str(role.pk),
            str(revision(role.version_id)),
            standards.in_force().id,
        ]
    )
    found = cache.get(key)
    if found is None:
        cells = exam.blueprint(role)
        found = pass_mark.typical(cells, exam.pool_for(role)) if cells else ""
        cache.set(key, found, TYPICAL_PASS_MARK_SECONDS)
    return found or None


def _achievement(learner: User) -> Achievement | None:
    program = content.default_program()
    return rules.achievement_for(learner, program) if program else None


@login_required
def exam_home(request: HttpRequest) -> HttpResponse:
    """The learner's certification exam: rules, what is missing, attempts left, and the way
    to start (through a confirmation) or resume."""
    learner = _learner(request)
    achievement = _achievement(learner)
    if achievement is not None and request.method == "POST":
        # Starting is confirmed on its own page; a bare POST never spends an attempt.
        return redirect("exam-start")
    context: dict[str, Any] = {"achievement": achievement, "error": ""}
    if achievement is not None:
        context.update(_home_context(learner, achievement))
        context["history"] = list(
            exam.exam_attempts(learner, achievement.pk).order_by("-started_at")[:5]
        )
        context["decision"] = rules.decide(learner, achievement)
    return render(request, "certification/exam_home.html", context)


@login_required
def exam_start(request: HttpRequest) -> HttpResponse:
    """The confirmation step: what starting means (one of the yearly attempts, the clock
    runs at once), then the start itself (POST with ``confirm=yes``)."""
    learner = _learner(request)
    achievement = _achievement(learner)
    if achievement is None:
        return redirect("exam-home")
    context = {"achievement": achievement, **_home_context(learner, achievement)}
    status = context["status"]
    if status.active is not None:
        return redirect("exam", attempt_id=status.active.pk)
    if request.method != "POST":
        if not status.allowed or context["blocked_by_gaps"]:
            return redirect("exam-home")  # the exam page says why
        return render(request, "certification/exam_start.html", context)
    error = ""
    try:
        attempt = eligibility.start(
            learner, achievement, confirmed=request.POST.get("confirm") == "yes"
        )
    except eligibility.NotReady as exc:
        error = (
            _("Tick the box to confirm that you want to use an attempt now.")
            if exc.code == "unconfirmed"
            else _("Some competences are still below your role's target.")
        )
    except exam.ExamPolicyError as exc:
        error = _policy_text(exc.code, exc.not_before)
    except exam.ExamUnavailable:
        error = _("The exam cannot be assembled yet: the question bank is not complete.")
    else:
        return redirect("exam", attempt_id=attempt.pk)
    context["error"] = error
    return render(request, "certification/exam_start.html", context, status=400)


def _card(entry: answers.Entry) -> dict[str, Any]:
    """What the page needs to show a question with the candidate's own answer filled in
    (never the key)."""
    item = entry.item
    given: dict[str, Any] = entry.response.answer if entry.response else {}
    if not isinstance(given, dict):
        given = {}
    chosen: set[Any] = set()
    if item.kind in (ItemKind.SINGLE, ItemKind.SCENARIO):
        chosen = {given.get("choice")}
    elif item.kind == ItemKind.MULTIPLE:
        chosen = set(given.get("choices") or [])
    options = [
        {"index": i, "text": text, "checked": i in chosen} for i, text in enumerate(item.options)
    ]
    order = list(given.get("order") or [])
    positions = [
        {"index": k, "number": k + 1, "selected": order[k] if k < len(order) else None}
        for k in range(len(options))
    ]
    value = given.get("value")
    return {
        "item": item,
        "number": entry.number,
        "response": entry.response,
        "flagged": entry.flagged,
        "prefix": f"{item.uid}-",
        "options": options,
        "positions": positions,
        "truth": value if isinstance(value, bool) else None,
        "value": "" if value is None or isinstance(value, bool) else str(value),
        "text": str(given.get("text") or ""),
    }


def _clock(attempt: Any, entries: list[answers.Entry]) -> dict[str, Any]:
    """The sticky bar of every exam page: the server's time left and the count answered."""
    remaining = exam.remaining_seconds(attempt)
    return {
        "attempt": attempt,
        "n_done": sum(1 for e in entries if e.response is not None),
        "n_total": len(entries),
        "n_flagged": sum(1 for e in entries if e.flagged),
        "remaining": remaining,
        "remaining_text": f"{remaining // 60:02d}:{remaining % 60:02d}",
        "deadline": timezone.localtime(attempt.expires_at),
        "server_ms": int(timezone.now().timestamp() * 1000),
    }


def _exam_context(attempt: Any) -> dict[str, Any]:
    entries = answers.sheet(attempt)
    return {**_clock(attempt, entries), "cards": [_card(e) for e in entries]}


def _closed(attempt: Any) -> bool:
    return not answers.is_open(attempt)


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _closed_text(code: str) -> str:
    if code == "expired":
        return _("Time is up: this answer arrived after the deadline and was not saved.")
    return _("This exam has already been submitted: answers can no longer be changed.")


def _close(request: HttpRequest, attempt: Any, code: str) -> HttpResponse:
    """The exam took an answer or flag too late: score it on what had arrived, and say so
    (as JSON to the page's script, or on the result page)."""
    exam.finish_exam(attempt)
    text = _closed_text(code)
    result = reverse("exam-result", kwargs={"attempt_id": attempt.pk})
    messages.warning(request, text)
    if _wants_json(request):
        return JsonResponse({"code": code, "detail": text, "result": result}, status=409)
    return redirect(result)


def _saved_json(saved: answers.Saved) -> JsonResponse:
    return JsonResponse(
        {
            "saved": True,
            "changed": saved.changed,
            "answered": saved.answered,
            "total": saved.total,
            "flagged": saved.flagged,
            "remaining": saved.remaining,
        }
    )


def _fields(data: QueryDict, prefix: str) -> QueryDict:
    """The fields of one question of the whole-page form, without their prefix."""
    out = QueryDict(mutable=True)
    for key in data:
        if key.startswith(prefix):
            out.setlist(key[len(prefix) :], data.getlist(key))
    return out


def _blank(fields: QueryDict) -> bool:
    return all(not v.strip() for key in fields for v in fields.getlist(key))


def _client_time(request: HttpRequest) -> datetime | None:
    value = parse_datetime(request.POST.get("answered_at", "") or "")
    if value is None or timezone.is_naive(value):
        return None
    return value


@login_required
def exam_page(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    """The questions, each with the candidate's answer filled in; a POST (the plain form,
    without JavaScript) saves every answer on the page, then applies the button pressed:
    save, flag or unflag a question, or go to the review."""
    attempt = exam.exam_for(request.user, attempt_id)
    if _closed(attempt):
        exam.finish_exam(attempt)
        return redirect("exam-result", attempt_id=attempt.pk)
    if request.method != "POST":
        return render(request, "certification/exam.html", _exam_context(attempt))
    errors: dict[str, str] = {}
    for item in exam.exam_items(attempt):
        fields = _fields(request.POST, f"{item.uid}-")
        if _blank(fields):
            continue  # not answered (an answer is never taken back by leaving it empty)
        try:
            answers.save_answer(request.user, attempt.pk, item.uid, answer_from_form(item, fields))
        except answers.ExamClosed as exc:
            return _close(request, attempt, exc.code)
        except (InvalidAnswer, answers.AnswerRefused) as exc:
            errors[str(item.uid)] = answer_error_text(exc)
    anchor = ""
    for action, flagged in (("flag", True), ("unflag", False)):
        uid = request.POST.get(action)
        if uid:
            try:
                answers.set_flag(request.user, attempt.pk, uid, flagged)
            except answers.ExamClosed as exc:
                return _close(request, attempt, exc.code)
            anchor = f"#q-{uid}"
    if errors:
        context = _exam_context(attempt)
        for card in context["cards"]:
            card["error"] = errors.get(str(card["item"].uid), "")
        context["error"] = ngettext(
            "%(n)s answer was not saved: see the question marked below.",
            "%(n)s answers were not saved: see the questions marked below.",
            len(errors),
        ) % {"n": len(errors)}
        return render(request, "certification/exam.html", context, status=400)
    if request.POST.get("go") == "review":
        return redirect("exam-review", attempt_id=attempt.pk)
    saved = request.POST.get("save")
    if saved and not anchor:
        anchor = f"#q-{saved}"
    return redirect(reverse("exam", kwargs={"attempt_id": attempt.pk}) + anchor)


@login_required
@require_POST
def exam_answer(request: HttpRequest, attempt_id: uuid.UUID, item_uid: uuid.UUID) -> HttpResponse:
    """One answer, as it is chosen: JSON for the page's script, a redirect for a form."""
    attempt = exam.exam_for(request.user, attempt_id)
    item = next((i for i in exam.exam_items(attempt) if i.uid == item_uid), None)
    if item is None:
        raise Http404("question not found")
    try:
        saved = answers.save_answer(
            request.user,
            attempt.pk,
            item.uid,
            answer_from_form(item, request.POST),
            answer_id=request.POST.get("answer_id") or None,
            answered_at=_client_time(request),
        )
    except answers.ExamClosed as exc:
        return _close(request, attempt, exc.code)
    except (InvalidAnswer, answers.AnswerRefused) as exc:
        text = answer_error_text(exc)
        if _wants_json(request):
            code = getattr(exc, "code", "invalid_answer")
            return JsonResponse({"code": code, "detail": text}, status=400)
        return _exam_error(request, attempt, text)
    if _wants_json(request):
        return _saved_json(saved)
    return redirect(reverse("exam", kwargs={"attempt_id": attempt.pk}) + f"#q-{item.uid}")


@login_required
@require_POST
def exam_flag(request: HttpRequest, attempt_id: uuid.UUID, item_uid: uuid.UUID) -> HttpResponse:
    """Flag a question for review (``flagged=1``) or remove the flag (``flagged=0``)."""
    attempt = exam.exam_for(request.user, attempt_id)
    value = request.POST.get("flagged", "")
    if value not in ("0", "1"):
        text = _("Say whether to flag the question (flagged=1) or not (flagged=0).")
        if _wants_json(request):
            return JsonResponse({"code": "bad_request", "detail": text}, status=400)
        return _exam_error(request, attempt, text)
    try:
        saved = answers.set_flag(request.user, attempt.pk, item_uid, value == "1")
    except answers.ExamClosed as exc:
        return _close(request, attempt, exc.code)
    if _wants_json(request):
        return _saved_json(saved)
    return redirect(reverse("exam", kwargs={"attempt_id": attempt.pk}) + f"#q-{item_uid}")


def _exam_error(request: HttpRequest, attempt: Any, error: str) -> HttpResponse:
    context = _exam_context(attempt)
    context["error"] = error
    return render(request, "certification/exam.html", context, status=400)


@login_required
def exam_review(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    """Before submitting: the questions not answered and those flagged, each a link back."""
    attempt = exam.exam_for(request.user, attempt_id)
    if _closed(attempt):
        exam.finish_exam(attempt)
        return redirect("exam-result", attempt_id=attempt.pk)
    entries = answers.sheet(attempt)
    return render(
        request,
        "certification/exam_review.html",
        {
            **_clock(attempt, entries),
            "entries": entries,
            "unanswered": [e for e in entries if e.response is None],
            "flagged": [e for e in entries if e.flagged],
        },
    )


@login_required
def exam_submit(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    """Submitting is its own step: the page says how many questions are unanswered (and
    flagged); only a POST with ``confirm=yes`` from it submits."""
    attempt = exam.exam_for(request.user, attempt_id)
    if _closed(attempt):
        exam.finish_exam(attempt)
        return redirect("exam-result", attempt_id=attempt.pk)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        exam.finish_exam(attempt)
        return redirect("exam-result", attempt_id=attempt.pk)
    entries = answers.sheet(attempt)
    context = {**_clock(attempt, entries), "n_open": sum(1 for e in entries if e.response is None)}
    return render(
        request,
        "certification/exam_submit.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@login_required
def exam_result(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    attempt = exam.exam_for(request.user, attempt_id)
    if not _closed(attempt):
        return redirect("exam", attempt_id=attempt.pk)
    result = exam.finish_exam(attempt)
    by_competence: dict[str, dict[str, Any]] = {}
    scores = dict(Response.objects.filter(attempt=attempt).values_list("item_id", "score"))
    for item in exam.exam_items(attempt):
        row = by_competence.setdefault(
            item.competence.code, {"competence": item.competence, "correct": 0, "total": 0}
        )
        row["total"] += 1
        row["correct"] += 1 if scores.get(item.pk) else 0
    learner = _learner(request)
    achievement_id = attempt.state.get("achievement")
    achievement = (
        Achievement.objects.select_related("role_profile", "program")
        .filter(pk=achievement_id)
        .first()
    )
    decision = rules.decide(learner, achievement) if achievement else None
    return render(
        request,
        "certification/exam_result.html",
        {
            "attempt": attempt,
            "result": result,
            "rows": sorted(
                by_competence.values(),
                key=lambda r: (r["competence"].area.position, r["competence"].position),
            ),
            "achievement": achievement,
            "decision": decision,
            "credential": rules.latest_credential(learner, achievement) if achievement else None,
        },
    )
