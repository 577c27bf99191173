"""The manager's roster pages under /manage/roster/: upload, preview, decide, commit.

Only people who manage people somewhere reach them; an import outside the caller's
scope is not found (404), like every other object.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hocvu.framework.services import role_titles
from hocvu.identity import access
from hocvu.organizations.models import Unit
from hocvu.roster import services, template
from hocvu.roster.forms import UploadForm
from hocvu.roster.messages import render as message
from hocvu.roster.models import ImportStatus, Level, RosterImport, RowStatus
from hocvu.roster.reading import MAX_FILE_BYTES, MAX_ROWS
from hocvu.roster.report import problem_csv

PAGE_SIZE = 100


def _manager(request: HttpRequest) -> None:
    if not access.can(request.user, services.PERMISSION, None):
        raise Http404("no unit to manage")


def _tops(user: Any) -> list[Unit]:
    paths = access.scope_paths(user, services.PERMISSION)
    units = access.units_for(user, services.PERMISSION)
    if paths == [""]:
        return list(units.filter(depth=0).order_by("path"))
    return list(units.filter(path__in=paths).order_by("path"))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _manager(request)
    tops = _tops(request.user)
    # A body over the limit is refused without reading the file (the front server's
    # client_max_body_size is what keeps it off the disk: docs/decisions/0008).
    too_large = request.method == "POST" and _declared_size(request) > MAX_FILE_BYTES + 65536
    form = UploadForm(
        None if too_large else (request.POST or None),
        None if too_large else (request.FILES or None),
        user=request.user,
        initial={"unit": tops[0].code if tops else ""},
    )
    upload_error = (
        message("file.too_large", {"limit": MAX_FILE_BYTES // 2**20}) if too_large else ""
    )
    if request.method == "POST" and not too_large and form.is_valid():
        upload = form.cleaned_data["file"]
        data = b"".join(upload.chunks())
        roster_import = services.stage(
            data, upload.name or "", actor=request.user, unit=form.cleaned_data["unit"]
        )
        return redirect("roster-import", import_id=roster_import.pk)
    units = access.units_for(request.user, services.PERMISSION).order_by("path")
    return render(
        request,
        "roster/index.html",
        {
            "form": form,
            "upload_error": upload_error,
            "units": units.values_list("code", "name")[:300],
            "imports": services.imports_for(request.user)[:50],
            "columns": [(vi, key, template.HELP[key]) for key, vi, _en in services.COLUMNS],
            "roles": sorted(role_titles().items()),
            "max_rows": MAX_ROWS,
        },
    )


def _declared_size(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _template_context(request: HttpRequest) -> tuple[str, list[tuple[str, str]]]:
    _manager(request)
    tops = _tops(request.user)
    code = request.GET.get("unit", "")
    unit = access.units_for(request.user, services.PERMISSION).filter(code=code).first()
    chosen = unit or (tops[0] if tops else None)
    roles = [(c, titles[0]) for c, titles in role_titles().items()]
    return (chosen.code if chosen else ""), roles


@login_required
def template_xlsx(request: HttpRequest) -> HttpResponse:
    unit_code, roles = _template_context(request)
    units = access.units_for(request.user, services.PERMISSION).order_by("path")
    data = template.build_xlsx(
        unit_code=unit_code,
        roles=roles,
        units=list(units.values_list("code", "name")[: template.MAX_LISTED_UNITS]),
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach.xlsx"'
    return response


@login_required
def template_csv(request: HttpRequest) -> HttpResponse:
    unit_code, roles = _template_context(request)
    response = HttpResponse(
        template.build_csv(unit_code=unit_code, roles=roles), content_type="text/csv"
    )
    response["Content-Disposition"] = 'attachment; filename="mau-danh-sach.csv"'
    return response


@login_required
def detail(request: HttpRequest, import_id: int) -> HttpResponse:
    roster_import = services.import_for(request.user, import_id)
    rows = roster_import.rows.all()
    attention = rows.exclude(status__in=[RowStatus.OK, RowStatus.UNCHANGED])
    show = request.GET.get("show") or ("problems" if attention.exists() else "all")
    listed = attention if show == "problems" else rows
    page = Paginator(listed.order_by("row"), PAGE_SIZE).get_page(request.GET.get("page"))
    numbers = [r.row for r in page.object_list]
    by_row: dict[int, list[dict[str, str]]] = defaultdict(list)
    problems = roster_import.problems.filter(row__in=numbers).exclude(code__startswith="file.")
    for p in problems:
        by_row[p.row].append(_problem(p.level, p.column, p.code, p.params))
    file_problems = [
        _problem(p.level, p.column, p.code, p.params)
        for p in roster_import.problems.filter(code__startswith="file.")
    ]
    titles = role_titles()
    for row in page.object_list:
        row.problem_list = by_row.get(row.row, [])
        row.role_title = titles.get(row.job_role, (row.job_role,))[0]
    counts = {
        "total": roster_import.total_rows,
        "errors": roster_import.error_rows,
        "duplicates": roster_import.duplicate_rows,
        "warnings": roster_import.warning_rows,
    }
    return render(
        request,
        "roster/detail.html",
        {
            "imp": roster_import,
            "page": page,
            "show": show,
            "file_problems": file_problems,
            "counts": counts,
            "can_commit": roster_import.status == ImportStatus.PREVIEW,
            "query": urlencode({"show": show, "page": str(page.number)}),
        },
    )


def _problem(level: str, column: str, code: str, params: dict[str, Any]) -> dict[str, str]:
    return {
        "level": level,
        "level_label": str(Level(level).label),
        "column": column,
        "message": message(code, params),
    }


@login_required
@require_POST
def commit(request: HttpRequest, import_id: int) -> HttpResponse:
    roster_import = services.import_for(request.user, import_id)
    decisions: dict[int, str] = {}
    for key in request.POST:
        if key.startswith("decision-") and key[9:].isdigit():
            decisions[int(key[9:])] = str(request.POST.get(key, ""))
    back = str(request.POST.get("query", ""))
    if not re.fullmatch(r"[a-z]+=[a-z]+&page=\d{1,7}", back):  # only what the page sent
        back = ""
    target = reverse("roster-import", kwargs={"import_id": roster_import.pk})
    if roster_import.status == ImportStatus.PREVIEW:
        services.decide(roster_import, decisions)
    if request.POST.get("action") != "commit":
        flash.success(request, _("Your choices are saved."))
        return redirect(f"{target}?{back}" if back else target)
    try:
        outcome = services.commit(roster_import, actor=request.user)
    except services.CommitRefused:
        flash.error(
            request,
            _("This import cannot be stored any more. Upload the file again to check it."),
        )
        return redirect(target)
    if outcome.committed:
        flash.success(
            request,
            _(
                "Stored: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, "
                "%(skipped)s skipped."
            )
            % {
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
                "skipped": outcome.skipped,
            },
        )
    else:
        flash.error(request, _("Nothing was stored: the file has errors now. See below."))
    return redirect(target)


@login_required
def report_csv(request: HttpRequest, import_id: int) -> HttpResponse:
    roster_import: RosterImport = services.import_for(request.user, import_id)
    lines = (
        (p.row, p.column, p.level, message(p.code, p.params))
        for p in roster_import.problems.order_by("row", "pk")
    )
    response = HttpResponse(problem_csv(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kiem-tra-{roster_import.pk}.csv"'
    return response
