"""Mentoring pages: a learner asks for help, a mentor accepts, sees the gaps, records sessions.

Who may open a request is decided by ``services.request_for`` (404 for anyone else).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from hocvu.content import services as content
from hocvu.framework.models import Competence
from hocvu.identity.models import User
from hocvu.mentoring import services
from hocvu.mentoring.models import HelpRequest, RequestStatus


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _competence_or_404(code: str) -> Competence:
    program = content.default_program()
    if program is None:
        raise Http404("no program installed")
    competence = Competence.objects.filter(version=program.framework_version, code=code).first()
    if competence is None:
        raise Http404("competence not found")
    return competence


class AskForm(forms.Form):
    mentor = forms.IntegerField(required=False, widget=forms.HiddenInput)
    message = forms.CharField(
        label=_("What do you need help with? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SessionForm(forms.Form):
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), initial=date.today
    )
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=1, max_value=services.MAX_SESSION_MINUTES
    )
    note = forms.CharField(
        label=_("What you worked on"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My requests for help, and (for certified colleagues) the requests I could take."""
    user = _user(request)
    mine = HelpRequest.objects.filter(learner=user).select_related("competence", "mentor")
    mentoring = HelpRequest.objects.filter(
        mentor=user, status=RequestStatus.ACCEPTED
    ).select_related("learner__unit", "competence")
    return render(
        request,
        "mentoring/home.html",
        {
            "mine": mine.order_by("-created_at")[:50],
            "mentoring": mentoring.order_by("-accepted_at"),
            "open": services.open_requests_for(user),
        },
    )


@login_required
def ask(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    competence = _competence_or_404(code)
    try:
        level = services.needed_level(user, competence)
    except services.MentoringError as exc:
        messages.info(request, str(exc))
        return redirect("mentoring")
    suggestions = services.suggest_mentors(user, competence, level)
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = None
        mentor_id = form.cleaned_data.get("mentor")
        if mentor_id:
            chosen = next((s.mentor for s in suggestions if s.mentor.pk == mentor_id), None)
            if chosen is None:
                form.add_error(None, _("This colleague cannot be asked for this competence."))
        if not form.errors:
            try:
                help_request = services.ask_for_help(
                    user, competence, mentor=chosen, message=form.cleaned_data["message"]
                )
            except services.MentoringError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("mentoring-request", request_id=help_request.pk)
    return render(
        request,
        "mentoring/ask.html",
        {"competence": competence, "level": level, "suggestions": suggestions, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    user = _user(request)
    help_request = services.request_for(user, request_id)
    is_mentor = help_request.mentor_id == user.pk and help_request.status == RequestStatus.ACCEPTED
    return render(
        request,
        "mentoring/request.html",
        {
            "req": help_request,
            "is_learner": help_request.learner_id == user.pk,
            "is_mentor": is_mentor,
            "may_take": services.may_take(user, help_request),
            "gaps": services.mentee_gaps(help_request) if is_mentor else [],
            "sessions": help_request.sessions.order_by("-held_on"),
            "form": SessionForm() if is_mentor else None,
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    user = _user(request)
    help_request = services.request_for(user, request_id)
    try:
        if action == "accept":
            services.accept(help_request, user)
            messages.success(request, _("You are now this colleague's mentor."))
        elif action == "decline":
            services.decline(help_request, user)
        elif action == "close":
            services.close(help_request, user)
        elif action == "session":
            form = SessionForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Check the date and the minutes."))
            else:
                services.record_session(
                    help_request,
                    user,
                    held_on=form.cleaned_data["held_on"],
                    minutes=form.cleaned_data["minutes"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, _("The session is recorded."))
        else:
            raise Http404("unknown action")
    except services.MentoringError as exc:
        messages.error(request, str(exc))
    if action == "decline" or (action == "close" and help_request.learner_id != user.pk):
        return redirect("mentoring")
    return redirect("mentoring-request", request_id=help_request.pk)
