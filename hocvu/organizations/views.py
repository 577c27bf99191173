"""Unit pages: the units a person may see, and one unit with its sub-units and people.

Authorization goes through ``hocvu.identity.access``; a unit outside the caller's scope is
not found.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hocvu.identity import access
from hocvu.identity.names import name_sort_key
from hocvu.organizations.models import Unit
from hocvu.organizations.services import ancestors


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    units = access.units_for(request.user, "unit.view")
    # Show the top of each subtree the user may see; they drill down from there.
    roots = [u for u in units.filter(depth__lte=8).order_by("path")]
    tops: list[Unit] = []
    for unit in roots:
        if not any(unit.path.startswith(t.path) for t in tops):
            tops.append(unit)
    return render(request, "organizations/units.html", {"tops": tops[:200]})


@login_required
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = access.unit_for(request.user, unit_id, "unit.view")
    children = unit.children.order_by("path")
    people = sorted(
        access.people_for(request.user, "person.view").filter(unit=unit),
        key=lambda p: name_sort_key(p.full_name),
    )
    # Ancestors are shown only as far up as the user's scope reaches.
    trail = [a for a in ancestors(unit) if access.can(request.user, "unit.view", a)]
    return render(
        request,
        "organizations/unit.html",
        {
            "unit": unit,
            "children": children,
            "people": people,
            "trail": trail,
            "can_manage": access.can(request.user, "person.manage", unit),
        },
    )
