"""The learner's pages: placement, profile, path, lessons, practice, review.

Views parse, authorize (a learner only ever reaches their own attempts, through
``attempt_for``) and render; every write is a service call.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from hocvu.assessment import bank as engine
from hocvu.assessment import services as assessment
from hocvu.assessment.forms import answer_error_text, record_form_answer
from hocvu.assessment.models import FEEDBACK_KINDS, Attempt, AttemptKind, AttemptStatus, Response
from hocvu.content import services as content
from hocvu.content.models import Item, ItemPool, ItemStatus, Lesson, LessonKind, Module, Program
from hocvu.content.rendering import captions_vtt
from hocvu.content.scoring import InvalidAnswer
from hocvu.identity.models import User
from hocvu.learning import charts
from hocvu.learning import services as learning


def _program_or_404() -> Program:
    program = content.default_program()
    if program is None:
        raise Http404("no program installed")
    return program


def _learner(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    learner = _learner(request)
    program = _program_or_404()
    version = program.framework_version
    rows = learning.profile(learner, version)
    placement = (
        Attempt.objects.filter(learner=learner, kind=AttemptKind.PLACEMENT)
        .order_by("-started_at")
        .first()
    )
    steps = learning.learning_path(learner, program) if any(r.measured for r in rows) else []
    return render(
        request,
        "learning/dashboard.html",
        {
            "role": learning.role_profile(learner, version),
            "placement": placement,
            "measured": any(r.measured for r in rows),
            "gaps": sum(1 for r in rows if r.gap > 0),
            "steps": [s for s in steps if not s.finished],
            "minutes_left": sum(s.minutes_left for s in steps),
            "continue_lesson": learning.continue_where_left(learner),
            "due": len(learning.due_reviews(learner)),
            "placement_maximum": engine.TARGETS.max_length,
            "streak": learning.streak(learner),
        },
    )


@login_required
def placement_start(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(
            request, "learning/placement_intro.html", {"maximum": engine.TARGETS.max_length}
        )
    program = _program_or_404()
    attempt = assessment.start_placement(_learner(request), program.framework_version)
    return redirect("placement", attempt_id=attempt.pk)


@login_required
def placement_question(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    """One placement question. An answer from htmx gets the next question in the same
    response; a plain form POST is redirected to this page (POST/redirect/GET)."""
    fragment = request.headers.get("HX-Request") == "true"
    error = ""
    status = 200
    if request.method == "POST":
        try:
            item_uid = uuid.UUID(request.POST.get("item", ""))
        except ValueError:
            raise Http404("question not found") from None
        item = get_object_or_404(Item, uid=item_uid)
        try:
            # The attempt is authorized (the caller's own placement test, 404 otherwise)
            # on the service's one locked read of it.
            outcome = record_form_answer(request, attempt_id, item, kind=AttemptKind.PLACEMENT)
        except (InvalidAnswer, assessment.AnswerError) as exc:
            error, status = answer_error_text(exc), 400
        else:
            if outcome.finished or (fragment and outcome.next_item is None):
                return _placement_redirect(fragment, reverse("proficiency"))
            if not fragment:
                return redirect("placement", attempt_id=attempt_id)
            # The next question was chosen with the answer: render it, no second request.
            return _placement_page(
                request, attempt_id, outcome.next_item, outcome.n_answered, maximum=outcome.maximum
            )
    attempt = assessment.attempt_for(request.user, attempt_id)
    if attempt.kind != AttemptKind.PLACEMENT:
        raise Http404("not a placement test")
    question = assessment.next_placement_item(attempt)
    if question is None:
        return _placement_redirect(fragment, reverse("proficiency"))
    if error and fragment:
        status = 200  # htmx swaps only successful responses; the error is in the page
    typed = _typed(request) if error else {}
    return _placement_page(
        request,
        attempt.pk,
        question,
        attempt.n_answered,
        error,
        status,
        typed=typed,
        maximum=engine.max_questions(attempt.state),
    )


def _typed(request: HttpRequest) -> dict[str, str]:
    """What the learner typed into a refused answer, to put back into the field."""
    return {k: request.POST.get(k, "")[:200] for k in ("value", "text") if k in request.POST}


def _placement_redirect(fragment: bool, url: str) -> HttpResponse:
    if fragment:  # htmx follows HX-Redirect with a full page load
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _placement_page(
    request: HttpRequest,
    attempt_id: uuid.UUID,
    item: Item | None,
    n_answered: int,
    error: str = "",
    status: int = 200,
    *,
    typed: dict[str, str] | None = None,
    maximum: int = engine.TARGETS.max_length,
) -> HttpResponse:
    fragment = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "learning/_placement_question.html" if fragment else "learning/placement.html",
        {
            "attempt_id": attempt_id,
            "item": item,
            "answer_id": uuid.uuid4(),
            "number": n_answered + 1,
            "maximum": maximum,
            "percent": min(100, round(100 * n_answered / max(maximum, 1))),
            "error": error,
            "typed": typed or {},
        },
        status=status,
    )


@login_required
def my_proficiency(request: HttpRequest) -> HttpResponse:
    learner = _learner(request)
    program = _program_or_404()
    version = program.framework_version
    rows = learning.profile(learner, version)
    return render(
        request,
        "learning/proficiency.html",
        {
            "role": learning.role_profile(learner, version),
            "rows": rows,
            "chart": charts.profile_chart(rows),
            "measured": any(r.measured for r in rows),
            "gaps": [r for r in rows if r.measured and r.gap > 0],
            "met": [r for r in rows if r.measured and r.gap == 0],
        },
    )


@login_required
def my_path(request: HttpRequest) -> HttpResponse:
    learner = _learner(request)
    program = _program_or_404()
    steps = learning.learning_path(learner, program)
    minutes = sum(s.minutes for s in steps)
    target_minutes = learning.linear_minutes(
        program, learning.role_targets(learner, program.framework_version)
    )
    return render(
        request,
        "learning/path.html",
        {
            "steps": steps,
            "minutes": minutes,
            "linear_minutes": learning.linear_minutes(program),
            "target_minutes": target_minutes,
            "saved_minutes": max(target_minutes - minutes, 0),
            "measured": Attempt.objects.filter(
                learner=learner, kind=AttemptKind.PLACEMENT, status=AttemptStatus.FINISHED
            ).exists(),
        },
    )


def _lesson_or_404(lesson_id: int) -> Lesson:
    lesson = (
        Lesson.objects.select_related("published", "module__competence")
        .filter(pk=lesson_id, published__isnull=False)
        .first()
    )
    if lesson is None:
        raise Http404("lesson not found")
    return lesson


@login_required
def lesson(request: HttpRequest, lesson_id: int) -> HttpResponse:
    item = _lesson_or_404(lesson_id)
    learner = _learner(request)
    progress = learning.open_lesson(learner, item)
    siblings = list(
        item.module.lessons.filter(published__isnull=False).order_by("level", "position")
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    # "Next" follows the learner's own path, never into levels beyond their target.
    following = learning.next_on_path(learner, item.module.program, item)
    return render(
        request,
        "learning/lesson.html",
        {
            "lesson": item,
            "revision": item.published,
            "module": item.module,
            "is_lecture": item.kind == LessonKind.LECTURE,
            "done": progress.completed_at is not None,
            "previous": siblings[index - 1] if index > 0 else None,
            "next": following,
        },
    )


@login_required
@require_POST
def lesson_done(request: HttpRequest, lesson_id: int) -> HttpResponse:
    item = _lesson_or_404(lesson_id)
    learning.complete_lesson(_learner(request), item)
    if request.headers.get("HX-Request") == "true":
        # Sent again later by the device (read offline): stored, nowhere to go.
        return HttpResponse(status=204)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("path")
    return redirect(target)


def lesson_captions(request: HttpRequest, lesson_id: int) -> HttpResponse:
    item = _lesson_or_404(lesson_id)
    if item.kind != LessonKind.LECTURE or item.published is None:
        raise Http404("not a lecture")
    response = HttpResponse(
        captions_vtt(item.published.transcript), content_type="text/vtt; charset=utf-8"
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _module_or_404(module_id: int) -> Module:
    module = (
        Module.objects.select_related("competence", "program__framework_version")
        .filter(pk=module_id)
        .first()
    )
    if module is None:
        raise Http404("module not found")
    return module


def _target_and_current(learner: User, module: Module) -> tuple[int, int]:
    rows = learning.profile(learner, module.program.framework_version)
    row = next(r for r in rows if r.competence.pk == module.competence_id)
    return max(row.target, 1), (row.level or 0)


@login_required
@require_POST
def practice_start(request: HttpRequest, module_id: int) -> HttpResponse:
    module = _module_or_404(module_id)
    learner = _learner(request)
    target, current = _target_and_current(learner, module)
    levels = list(range(min(current + 1, target), target + 1)) or [target]
    try:
        attempt = assessment.start_practice(learner, module, levels)
    except ValueError as exc:
        raise Http404(str(exc)) from None
    return redirect("practice", attempt_id=attempt.pk)


@login_required
@require_POST
def check_start(request: HttpRequest, module_id: int) -> HttpResponse:
    """A short mastery check at the target level: pass it and skip the module's lessons."""
    module = _module_or_404(module_id)
    learner = _learner(request)
    target, _ = _target_and_current(learner, module)
    try:
        attempt = assessment.start_practice(
            learner, module, [target], size=5, kind=AttemptKind.MASTERY_CHECK
        )
    except assessment.CheckCoolingOff as wait:
        # Not yet: say plainly from when, and offer the module's lessons meanwhile.
        return render(
            request,
            "learning/check_wait.html",
            {"module": module, "not_before": wait.not_before},
            status=429,
        )
    except ValueError as exc:
        raise Http404(str(exc)) from None
    return redirect("practice", attempt_id=attempt.pk)


@login_required
@require_POST
def module_offline(request: HttpRequest, module_id: int) -> JsonResponse:
    """What the device keeps to study ``module`` offline (docs/offline.md): the learner's
    home and path, the module's lessons on the path (all of them when it is not on the
    path) and a practice set, started now unless one is open. The service worker fetches
    these pages and the pictures and files they use."""
    module = _module_or_404(module_id)
    learner = _learner(request)
    step = next(
        (s for s in learning.learning_path(learner, module.program) if s.module.pk == module.pk),
        None,
    )
    lessons = (
        step.lessons
        if step is not None and step.lessons
        else list(module.lessons.filter(published__isnull=False).order_by("level", "position"))
    )
    attempt = (
        Attempt.objects.filter(
            learner=learner,
            module=module,
            kind=AttemptKind.PRACTICE,
            status=AttemptStatus.ACTIVE,
            expires_at__gt=timezone.now(),
        )
        .order_by("-started_at")
        .first()
    )
    if attempt is None:
        target, current = _target_and_current(learner, module)
        levels = list(range(min(current + 1, target), target + 1)) or [target]
        try:
            attempt = assessment.start_practice(learner, module, levels)
        except ValueError:
            attempt = None  # no questions yet: the lessons alone
    practice = reverse("practice", kwargs={"attempt_id": attempt.pk}) if attempt else ""
    urls = [reverse("learn"), reverse("path")]
    urls += [reverse("lesson", kwargs={"lesson_id": lesson.pk}) for lesson in lessons]
    if practice:
        urls.append(practice)
    return JsonResponse(
        {
            "module": module.pk,
            "title": f"{module.competence.code} {_localized_title(module)}",
            "start": urls[2] if len(urls) > 2 else reverse("path"),
            "practice": practice,
            "urls": urls,
        }
    )


def _localized_title(module: Module) -> str:
    english = getattr(module, "title_en", "")
    if english and (get_language() or "vi").startswith("en"):
        return str(english)
    return module.title


def offline_saved(request: HttpRequest) -> HttpResponse:
    """The modules kept on this device, their size and the space used. The list lives on
    the device (app.js asks the service worker), so the page is the same for everyone and
    is itself kept for offline use."""
    return render(request, "learning/saved.html", {})


@login_required
def review_start(request: HttpRequest) -> HttpResponse:
    learner = _learner(request)
    items = learning.due_reviews(learner)
    if request.method == "POST" and items:
        attempt = assessment.start_review(learner, items)
        return redirect("practice", attempt_id=attempt.pk)
    return render(request, "learning/review.html", {"due": items})


def _practice_context(
    attempt: Attempt,
    refused: Item | None = None,
    error: str = "",
    typed: dict[str, str] | None = None,
) -> dict[str, object]:
    """The practice page; ``refused``: the question whose answer was just refused, shown
    with ``error`` and what the learner ``typed``."""
    items = assessment.practice_items(attempt)
    answered = {r.item_id: r for r in Response.objects.filter(attempt=attempt)}
    cards = [
        {"item": i, "response": answered.get(i.pk), "answer_id": uuid.uuid4()}
        | ({"error": error, "typed": typed or {}} if refused and i.pk == refused.pk else {})
        for i in items
    ]
    return {
        "attempt": attempt,
        "cards": cards,
        "n_done": len(answered),
        "n_total": len(items),
        "correct": sum(1 for r in answered.values() if r.score),
        "is_check": attempt.kind == AttemptKind.MASTERY_CHECK,
    }


@login_required
def practice(request: HttpRequest, attempt_id: uuid.UUID) -> HttpResponse:
    attempt = assessment.attempt_for(request.user, attempt_id)
    if attempt.kind not in FEEDBACK_KINDS:
        raise Http404("not a practice set")
    return render(request, "learning/practice.html", _practice_context(attempt))


@login_required
@require_POST
def practice_answer(
    request: HttpRequest, attempt_id: uuid.UUID, item_uid: uuid.UUID
) -> HttpResponse:
    attempt = assessment.attempt_for(request.user, attempt_id)
    item = Item.objects.filter(
        uid=item_uid,
        status__in=[ItemStatus.OPERATIONAL, ItemStatus.PILOT],
        pool=ItemPool.LEARNING,  # a secure exam item never gets feedback
    ).first()
    if item is None or attempt.kind not in FEEDBACK_KINDS:
        raise Http404("question not found")
    error = ""
    status = 200
    try:
        record_form_answer(request, attempt.pk, item)
    except (InvalidAnswer, assessment.AnswerError) as exc:
        error, status = answer_error_text(exc), 400
    typed = _typed(request) if error else {}
    if request.headers.get("HX-Request") != "true":
        if error:
            context = _practice_context(attempt, item, error, typed)
            context["error"] = error
            return render(request, "learning/practice.html", context, status=status)
        return redirect(reverse("practice", kwargs={"attempt_id": attempt.pk}) + f"#q-{item.uid}")
    attempt.refresh_from_db()
    response = Response.objects.filter(attempt=attempt, item=item).first()
    # The counter and, after the last answer, the result come with the card (htmx swaps
    # them out of band): the page never needs a reload.
    scores = list(Response.objects.filter(attempt=attempt).values_list("score", flat=True))
    return render(
        request,
        "learning/_practice_item.html",
        {
            "oob": True,
            "n_done": len(scores),
            "n_total": len(attempt.state.get("items", [])),
            "correct": sum(1 for s in scores if s),
            "is_check": attempt.kind == AttemptKind.MASTERY_CHECK,
            "card": {
                "item": item,
                "response": response,
                "answer_id": uuid.uuid4(),
                "error": error,
                "typed": typed,
            },
            "attempt": attempt,
        },
        status=status,
    )


@login_required
def module_pdf(request: HttpRequest, module_id: int) -> HttpResponse:
    from hocvu.content.pdf import module_pdf as render_pdf

    module = _module_or_404(module_id)
    response = HttpResponse(render_pdf(module), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{module.code}.pdf"'
    return response
