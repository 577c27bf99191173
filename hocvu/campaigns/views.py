"""The unit manager's pages under /manage/: progress dashboards, people, campaigns.

Views parse, authorize (``hocvu.identity.access``: outside the caller's scope is 404) and
render; the figures come from ``services`` and cost a fixed number of queries. The pages
that only read (``replica_reads``) read from the read replica when one is configured; the
campaign pages, which follow a write, read from the primary.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from hocvu.campaigns import charts, services
from hocvu.campaigns.forms import CampaignForm
from hocvu.campaigns.models import MEASURES, Campaign, UnitDay
from hocvu.campaigns.progress import local_day
from hocvu.identity import access
from hocvu.organizations.models import Unit
from hocvu.organizations.services import ancestors
from hocvu.replicas import replica_reads

LABELS = {
    "people": pgettext_lazy("progress", "People"),
    "activated": gettext_lazy("Activated"),
    "placed": gettext_lazy("Placed"),
    "learning": gettext_lazy("Learning"),
    "at_target": gettext_lazy("At target"),
    "certified": gettext_lazy("Certified"),
}
FILTER_LABELS = {
    **LABELS,
    "not_activated": gettext_lazy("Not activated"),
    "not_placed": gettext_lazy("Not placed"),
    "not_at_target": gettext_lazy("Not at target"),
    "not_certified": gettext_lazy("Not certified"),
}
PAGE_SIZE = 50


def _manages_something(user: Any) -> bool:
    return bool(access.scope_paths(user, "unit.view"))


manager_required = user_passes_test(_manages_something)


def _trail(user: Any, unit: Unit) -> list[Unit]:
    """Ancestors as far up as the user's scope reaches."""
    return [a for a in ancestors(unit) if access.can(user, "unit.view", a)]


@manager_required
@replica_reads
def home(request: HttpRequest) -> HttpResponse:
    """The top units of the manager's scope with their figures, and their campaigns."""
    paths = access.scope_paths(request.user, "unit.view")
    today = local_day()
    last = UnitDay.objects.filter(unit=OuterRef("pk"), day__lte=today).order_by("-day")
    found = Unit.objects.filter(depth=0) if "" in paths else Unit.objects.filter(path__in=paths)
    tops = list(found.annotate(last_id=Subquery(last.values("pk")[:1])).order_by("path"))
    rows = UnitDay.objects.in_bulk([u.last_id for u in tops if u.last_id])
    units = [(u, services.Totals.of(rows.get(u.last_id))) for u in tops]
    if len(units) == 1 and not request.GET:
        return HttpResponseRedirect(reverse("manage-unit", args=[units[0][0].pk]))
    return render(
        request,
        "campaigns/home.html",
        {
            "units": units,
            "campaigns": services.campaigns_for(request.user).order_by("-deadline")[:50],
            "can_create": bool(access.scope_paths(request.user, "unit.manage")),
        },
    )


def _measure_rows(unit: Unit, totals: services.Totals) -> list[dict[str, Any]]:
    base = reverse("manage-people", args=[unit.pk])
    return [
        {
            "key": m,
            "label": LABELS[m],
            "count": getattr(totals, m),
            "share": totals.share(m),
            "url": f"{base}?status={m}",
        }
        for m in MEASURES
    ]


@manager_required
@replica_reads
def unit_dashboard(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = access.unit_for(request.user, unit_id, "unit.view")
    covering, below = services.related_campaigns(unit)
    chosen: Campaign | None = covering[0] if covering else None
    wanted = request.GET.get("campaign", "")
    if wanted:
        chosen = next((c for c in covering if str(c.pk) == wanted), chosen)
    board = services.dashboard(unit, chosen)
    chart = None
    if board.series:
        start = board.campaign.starts_on if board.campaign else board.series[0][0]
        end = board.campaign.deadline if board.campaign else board.today
        lines = {
            m: [(d, t.share(m)) for d, t in board.series]
            for m in ("activated", "at_target", "certified")
        }
        chart = charts.trend_chart(
            lines,
            {m: str(LABELS[m]) for m in lines},
            start=min(start, board.today - timedelta(days=30)) if not board.campaign else start,
            end=max(end, board.today),
            targets=[(t.by_date, float(t.share)) for t in board.targets],
            forecast=board.forecast,
            today=board.today,
        )
    people_url = reverse("manage-people", args=[unit.pk])
    children = _children_table(board, unit)
    target_rows = [
        {
            "target": t,
            "share": float(t.share),
            "met": board.totals.share(board.measure) >= float(t.share),
            "missing": max(
                0,
                math.ceil(float(t.share) * board.totals.people - 1e-9)
                - getattr(board.totals, board.measure),
            ),
        }
        for t in board.targets
    ]
    return render(
        request,
        "campaigns/unit.html",
        {
            "unit": unit,
            "trail": [a for a in board.trail if access.can(request.user, "unit.view", a)],
            "board": board,
            "measures": _measure_rows(unit, board.totals),
            "chart": chart,
            "children": children,
            "lagging": board.lagging[:10],
            "covering": covering,
            "below": services.summaries(below[:20], board.today),
            "target_rows": target_rows,
            "measure_label": LABELS[board.measure],
            "share_now": board.totals.share(board.measure),
            "people_url": people_url,
            "can_create": access.can(request.user, "unit.manage", unit),
        },
    )


def _children_table(board: services.Dashboard, unit: Unit) -> SafeString:
    """The child units' rows, every figure a link to its people (built in Python: a
    province has ~100 communes and the template engine would spend most of the page on it)."""
    if not board.children:
        return mark_safe("")  # an empty string  # nosec B308
    # URLs by string substitution from one reverse() each: same routes, a fraction of the cost.
    unit_url = reverse("manage-unit", args=[unit.pk]).replace(f"/{unit.pk}/", "/{}/")
    people_url = reverse("manage-people", args=[unit.pk]).replace(f"/{unit.pk}/", "/{}/")
    suffix = f"?campaign={board.campaign.pk}" if board.campaign else ""
    english = (get_language() or "vi").startswith("en")
    head = "".join(f'<th scope="col">{escape(LABELS[m])}</th>' for m in MEASURES)
    rows = []
    for child in board.children:
        c = child.unit
        name = escape(c.name_en if english and c.name_en else c.name)
        link = people_url.format(c.pk)
        cells = "".join(
            f'<td><a href="{link}?status={m}">{getattr(child.totals, m)}</a></td>' for m in MEASURES
        )
        rows.append(
            f'<tr><th scope="row"><a href="{unit_url.format(c.pk)}{suffix}">{name}</a></th>'
            f"{cells}</tr>"
        )
    return mark_safe(  # noqa: S308 - names escaped, numbers and URLs built here  # nosec B308 B703
        f'<div class="scroll"><table><thead><tr><th scope="col">{escape(_("Unit"))}</th>{head}'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


@manager_required
@replica_reads
def unit_people(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The people behind a figure: paginated, searchable without diacritics."""
    unit = access.unit_for(request.user, unit_id, "unit.view")
    if not access.can(request.user, "person.view", unit):
        raise Http404("unit not found")
    status = request.GET.get("status", "people")
    if status not in services.FILTERS:
        status = "people"
    query = request.GET.get("q", "")[:100]
    rows = services.people(unit, status=status, query=query)
    paginator = Paginator(rows, PAGE_SIZE)
    known = None if query else services.figure(unit, status)
    if known is not None and known >= services.COUNT_FROM_TOTALS:
        # Counting a million rows to print "page 1 of 20,000" costs more than the page: a
        # large unit's count is its dashboard figure (the same number, kept by events).
        paginator.count = known
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/people.html",
        {
            "unit": unit,
            "trail": _trail(request.user, unit),
            "page": page,
            "status": status,
            "status_label": FILTER_LABELS[status],
            "filters": list(FILTER_LABELS.items()),
            "query": query,
        },
    )


@manager_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """A campaign opens on the dashboard of its unit, or of the caller's part of it."""
    campaign = services.campaign_for(request.user, campaign_id)
    unit: Unit | None = campaign.unit
    if not access.can(request.user, "unit.view", campaign.unit):
        unit = (
            access.units_for(request.user, "unit.view")
            .filter(path__startswith=campaign.unit.path)
            .order_by("depth", "path")
            .first()
        )
    if unit is None:
        raise Http404("campaign not found")
    return HttpResponseRedirect(reverse("manage-unit", args=[unit.pk]) + f"?campaign={campaign.pk}")


@manager_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    """Assign a program to a unit subtree with a deadline and dated targets."""
    if not access.scope_paths(request.user, "unit.manage"):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    unit_id = request.GET.get("unit", "")
    if unit_id:
        unit = access.unit_for(
            request.user, int(unit_id) if unit_id.isdigit() else -1, "unit.manage"
        )
        initial["unit_code"] = unit.code
    form = CampaignForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(
                actor=request.user,
                program=form.cleaned_data["program"],
                unit=form.cleaned_data["unit_code"],
                title=form.cleaned_data["title"],
                starts_on=form.cleaned_data["starts_on"],
                deadline=form.cleaned_data["deadline"],
                targets=form.targets(),
                remind_days_before=form.cleaned_data["remind_days_before"],
                stall_days=form.cleaned_data["stall_days"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The campaign is assigned."))
            return HttpResponseRedirect(reverse("campaign", args=[campaign.pk]))
    return render(request, "campaigns/campaign_form.html", {"form": form})
