"""A unit's exports for the annual review (.xlsx, PDF) and its data-quality pages.

Views parse, authorize (``hocvu.identity.access``: outside the caller's scope is 404,
people without a unit to see are sent to log in) and hand over to ``reports`` and
``quality``. Exports are written to a temporary file and streamed from it, so a large
unit's spreadsheet never sits in memory. They read from the read replica when one is
configured (``hocvu.replicas``); the export's audit event is written to the primary.
"""

from __future__ import annotations

import re
import tempfile
from typing import Any

from django.contrib.auth.decorators import user_passes_test
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from hocvu.campaigns import quality, reports, services
from hocvu.campaigns.models import Campaign
from hocvu.campaigns.progress import local_day
from hocvu.identity import access
from hocvu.organizations.models import Unit
from hocvu.organizations.services import ancestors
from hocvu.replicas import replica_reads

ISSUE_LABELS = {
    "no_date_of_birth": gettext_lazy("No date of birth"),
    "no_gender": gettext_lazy("No gender"),
    "no_national_id": gettext_lazy("No citizen ID number"),
    "no_contact": gettext_lazy("No e-mail and no phone"),
    "no_role": gettext_lazy("No role profile"),
    "duplicates": gettext_lazy("Suspected duplicates"),
    "never_activated": gettext_lazy("Never activated"),
    "inactive": gettext_lazy("No activity in 90 days"),
}
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sees_units(user: Any) -> bool:
    return bool(access.scope_paths(user, "unit.view"))


viewer_required = user_passes_test(_sees_units)


class BadParameter(Exception):
    pass


def _unit(request: HttpRequest, unit_id: int) -> Unit:
    """The unit, when the caller may see it and its people; 404 otherwise."""
    unit = access.unit_for(request.user, unit_id, "unit.view")
    if not access.can(request.user, "person.view", unit):
        raise Http404("unit not found")
    return unit


def _campaign(request: HttpRequest, unit: Unit) -> Campaign | None:
    """The campaign asked for (``?campaign=<id>``, one covering the unit), else the newest
    covering one. A malformed id is a bad request; one not covering the unit is not found."""
    wanted = request.GET.get("campaign", "")
    covering, _below = services.related_campaigns(unit)
    if not wanted:
        return covering[0] if covering else None
    if not wanted.isdigit() or len(wanted) > 12:
        raise BadParameter("campaign")
    chosen = next((c for c in covering if c.pk == int(wanted)), None)
    if chosen is None:
        raise Http404("campaign not found")
    return chosen


def _file_name(unit: Unit, extension: str) -> str:
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", unit.code)[:60] or str(unit.pk)
    return f"bao-cao-{code}-{local_day().isoformat()}.{extension}"


@require_GET
@viewer_required
@replica_reads
def report_xlsx(request: HttpRequest, unit_id: int) -> HttpResponseBase:
    unit = _unit(request, unit_id)
    try:
        campaign = _campaign(request, unit)
    except BadParameter:
        return HttpResponseBadRequest("bad campaign")
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    try:
        reports.export_xlsx(unit, campaign, actor=request.user, out=out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return FileResponse(
        out, as_attachment=True, filename=_file_name(unit, "xlsx"), content_type=XLSX
    )


@require_GET
@viewer_required
@replica_reads
def report_pdf(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = _unit(request, unit_id)
    try:
        campaign = _campaign(request, unit)
    except BadParameter:
        return HttpResponseBadRequest("bad campaign")
    data = reports.export_pdf(unit, campaign, actor=request.user)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(unit, "pdf")}"'
    return response


def _trail(user: Any, unit: Unit) -> list[Unit]:
    return [a for a in ancestors(unit) if access.can(user, "unit.view", a)]


@require_GET
@viewer_required
@replica_reads
def unit_quality(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The subtree's data quality in figures, each linked to its people and to the fix."""
    unit = _unit(request, unit_id)
    figures = quality.measure(unit)
    can_fix = access.can(request.user, "person.manage", unit)
    people_url = reverse("manage-quality-people", args=[unit.pk])
    progress_people = reverse("manage-people", args=[unit.pk])
    roster_url = reverse("roster") if can_fix else ""
    sufficient = [
        {
            "label": ISSUE_LABELS[key],
            "count": figures.missing[key],
            "url": f"{people_url}?issue={key}",
        }
        for key in quality.MISSING
    ]
    return render(
        request,
        "campaigns/quality.html",
        {
            "unit": unit,
            "trail": _trail(request.user, unit),
            "q": figures,
            "sufficient": sufficient,
            "people_url": people_url,
            "never_activated_url": f"{progress_people}?status=not_activated",
            "roster_url": roster_url,
            "activation_url": reverse("unit-activation", args=[unit.pk]) if can_fix else "",
            "can_fix": can_fix,
            "idle_days": quality.IDLE_DAYS,
        },
    )


@require_GET
@viewer_required
@replica_reads
def quality_people(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The people behind a data-quality figure, each with a link to their edit page."""
    unit = _unit(request, unit_id)
    issue = request.GET.get("issue", "")
    if issue not in quality.ISSUES:
        return HttpResponseBadRequest("unknown issue")
    rows = quality.people_with(unit, issue)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_fix = access.can(request.user, "person.manage", unit)
    return render(
        request,
        "campaigns/quality_people.html",
        {
            "unit": unit,
            "trail": _trail(request.user, unit),
            "page": page,
            "issue": issue,
            "issue_label": ISSUE_LABELS[issue],
            "issues": list(ISSUE_LABELS.items()),
            "can_fix": can_fix,
            "roster_url": reverse("roster") if can_fix else "",
            "activation_url": reverse("unit-activation", args=[unit.pk]) if can_fix else "",
        },
    )
