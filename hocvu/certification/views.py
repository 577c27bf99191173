"""The certification exam pages.

The exam page shows the questions without their keys; each answer is stored by
``record_answer`` (no feedback); the clock is the server's (the attempt's deadline);
submission (or the deadline) scores the exam on the server. A learner only ever reaches
their own exam (``exam_for`` answers 404 otherwise).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hocvu.assessment import services as assessment
from hocvu.assessment.forms import answer_error_text, record_form_answer
from hocvu.assessment.models import AttemptStatus, Response
from hocvu.certification import eligibility, exam, rules
from hocvu.content import services as content
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
        "minutes": exam.EXAM_MINUTES,
        "max_attempts": exam.MAX_ATTEMPTS_PER_YEAR,
        "waiting_days": exam.WAITING_PERIOD.days,
        "left_after": max(0, status.left - 1),
        "credential": rules.latest_credential(learner, achievement),
    }


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


def _exam_context(attempt: Any) -> dict[str, Any]:
    items = exam.exam_items(attempt)
    answered = {
        r.item_id: r for r in Response.objects.filter(attempt=attempt).select_related("item")
    }
    remaining = exam.remaining_seconds(attempt)
    cards = [
        {"item": i, "response": answered.get(i.pk), "answer_id": uuid.uuid4(), "number": n}
        for n, i in enumerate(items, start=1)
    ]
    return {
        "attempt": attempt,
        "cards": cards,
        "n_done": len(answered),
        "n_total": len(items),
        "remaining": remaining,
        "remaining_text": f"{remaining // 60:02d}:{remaining % 60:02d}",
        "deadline": timezone.localtime(attempt.expires_at),
    }


def _closed(attempt: Any) -> bool:
    return bool(attempt.status != AttemptStatus.ACTIVE or attempt.expires_at <= timezone.now())


@login_required
def exam_page(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    attempt = exam.exam_for(request.user, attempt_id)
    if _closed(attempt):
        exam.finish_exam(attempt)
        return redirect("exam-result", attempt_id=attempt.pk)
    return render(request, "certification/exam.html", _exam_context(attempt))


@login_required
@require_POST
def exam_answer(request: HttpRequest, attempt_id: uuid.UUID, item_uid: uuid.UUID) -> HttpResponse:
    attempt = exam.exam_for(request.user, attempt_id)
    item = next((i for i in exam.exam_items(attempt) if i.uid == item_uid), None)
    if item is None:
        raise Http404("question not found")
    try:
        record_form_answer(request, attempt.pk, item)
    except assessment.AnswerError as exc:
        if exc.code in ("expired", "closed"):
            # Too late: the exam is scored on the answers that arrived in time.
            exam.finish_exam(attempt)
            messages.warning(
                request, _("Time is up: this answer arrived after the deadline and was not saved.")
            )
            return redirect("exam-result", attempt_id=attempt.pk)
        return _exam_error(request, attempt, answer_error_text(exc))
    except InvalidAnswer as exc:
        return _exam_error(request, attempt, answer_error_text(exc))
    attempt.refresh_from_db()
    if attempt.status != AttemptStatus.ACTIVE:  # the last question: scored right away
        exam.finish_exam(attempt)
        return redirect("exam-result", attempt_id=attempt.pk)
    return redirect(reverse("exam", kwargs={"attempt_id": attempt.pk}) + f"#q-{item.uid}")


def _exam_error(request: HttpRequest, attempt: Any, error: str) -> HttpResponse:
    context = _exam_context(attempt)
    context["error"] = error
    return render(request, "certification/exam.html", context, status=400)


@login_required
@require_POST
def exam_submit(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    attempt = exam.exam_for(request.user, attempt_id)
    exam.finish_exam(attempt)
    return redirect("exam-result", attempt_id=attempt.pk)


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
