"""Units in the open API: the units the caller may see, and the people of one unit."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from ninja.security import django_auth

from hocvu.identity import access
from hocvu.identity.api import PersonOut

router = Router(tags=["units"], auth=django_auth)

#: A database identifier: 1 up to the largest 64-bit integer (beyond it: 400, not a 500).
MAX_ID = 2**63 - 1
UnitId = Annotated[int, Path(ge=1, le=MAX_ID)]


class UnitOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    depth: int


@router.get("", response=list[UnitOut])
def list_units(
    request: HttpRequest,
    parent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Any:
    """Units the caller may see, optionally only the children of ``parent_id``."""
    units = access.units_for(request.user, "unit.view").order_by("path")
    if parent_id is not None:
        units = units.filter(parent_id=parent_id)
    return list(units[:limit])


@router.get("/{unit_id}", response=UnitOut)
def get_unit(request: HttpRequest, unit_id: UnitId) -> Any:
    return access.unit_for(request.user, unit_id, "unit.view")


@router.get("/{unit_id}/people", response=list[PersonOut], tags=["people"])
def unit_people(request: HttpRequest, unit_id: UnitId) -> Any:
    unit = access.unit_for(request.user, unit_id, "unit.view")
    return list(
        access.people_for(request.user, "person.view").filter(unit=unit).order_by("full_name")
    )
