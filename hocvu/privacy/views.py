"""The privacy notice, a person's own data and requests, and the administrators' list."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from hocvu.identity import access
from hocvu.privacy import services
from hocvu.privacy.middleware import SESSION_KEY
from hocvu.privacy.models import DataRequest, RequestKind, RequestStatus


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return reverse("home")


@never_cache
@require_http_methods(["GET", "POST"])
def notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice; a logged-in person who has not agreed to this version agrees here."""
    user: Any = request.user
    agreed = user.is_authenticated and services.has_current_consent(user)
    if request.method == "POST":
        if not user.is_authenticated:
            return HttpResponseRedirect(reverse("login"))
        if request.POST.get("agree") == "yes" and not agreed:
            services.record_consent(user)
            request.session[SESSION_KEY] = services.NOTICE_VERSION
        return HttpResponseRedirect(_next(request))
    return render(
        request,
        "privacy/notice.html",
        {
            "version": services.NOTICE_VERSION,
            "agreed": agreed,
            "next": _next(request),
            "contact": settings.HOCVU_PRIVACY_CONTACT,
            "answer_days": settings.HOCVU_PRIVACY_ANSWER_WORKING_DAYS,
            "complete_days": settings.HOCVU_PRIVACY_COMPLETE_DAYS,
        },
    )


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("What do you ask?"), choices=RequestKind.choices)
    details = forms.CharField(
        label=_("Details (what is wrong, what to delete)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = RequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            services.open_request(user, kind, form.cleaned_data["details"].strip())
            if kind == RequestKind.WITHDRAWAL:
                request.session.pop(SESSION_KEY, None)
            return HttpResponseRedirect(reverse("privacy-my-data") + "?sent=1")
        status = 400
    return render(
        request,
        "privacy/my_data.html",
        {
            "form": form,
            "requests": DataRequest.objects.filter(person=user).order_by("-received_at"),
            "sent": request.GET.get("sent") == "1",
        },
        status=status,
    )


@never_cache
@login_required
def my_data_json(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    response = HttpResponse(
        services.export_json(user), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="hocvu-du-lieu-{stamp}.json"'
    return response


@never_cache
@login_required
def my_data_readable(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(request, "privacy/my_data_readable.html", {"data": services.export(user)})


def _administrator(request: HttpRequest) -> Any:
    user: Any = request.user
    if not (user.is_authenticated and access.scope_paths(user, "platform.administer")):
        raise Http404("not found")
    return user


@never_cache
@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    user = _administrator(request)
    now = timezone.now()
    rows = list(services.requests_for(user).order_by("complete_by", "pk")[:500])
    return render(
        request,
        "privacy/requests.html",
        {
            "rows": [(r, r.overdue(now)) for r in rows],
            "overdue": sum(1 for r in rows if r.overdue(now)),
        },
    )


class HandleForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=RequestStatus.choices)
    response = forms.CharField(
        label=_("Answer to the person"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, data_request_id: int) -> HttpResponse:
    user = _administrator(request)
    try:
        item = services.requests_for(user).get(pk=data_request_id)
    except (DataRequest.DoesNotExist, ValueError):
        raise Http404("not found") from None
    form = HandleForm(
        request.POST or None, initial={"status": item.status, "response": item.response}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.handle(
                item,
                status=form.cleaned_data["status"],
                response=form.cleaned_data["response"].strip(),
                actor=user,
            )
            return HttpResponseRedirect(reverse("privacy-requests"))
        status = 400
    return render(
        request,
        "privacy/request.html",
        {"item": item, "form": form, "overdue": item.overdue()},
        status=status,
    )
