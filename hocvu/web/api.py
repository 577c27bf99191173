"""The open HTTP API (django-ninja, OpenAPI 3 at /api/v1/openapi.json).

Authorization goes through ``hocvu.identity.access`` exactly as for pages.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import django_auth

from hocvu.audit import services as audit
from hocvu.framework import services as framework
from hocvu.identity import access
from hocvu.identity.models import User

api = NinjaAPI(
    title="hocvu API",
    version="1",
    description="Open API of the hocvu digital-literacy platform.",
    urls_namespace="api",
)
api.add_router("/attempts", "hocvu.assessment.api.router")
api.add_router("/verify", "hocvu.credentials.api.router")


class UnitOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    depth: int


class PersonOut(Schema):
    id: int
    full_name: str
    unit_id: int | None
    position: str
    job_role: str


class PersonPatch(Schema):
    full_name: str | None = None
    position: str | None = None
    job_role: str | None = None


class ErrorOut(Schema):
    detail: str


@api.get("/healthz", auth=None, tags=["system"])
def api_health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


@api.get("/framework", auth=None, tags=["framework"], response={200: dict, 404: ErrorOut})
def current_framework(request: HttpRequest) -> Any:
    """The newest published framework version, with areas, competences, levels and roles."""
    version = framework.current_version()
    if version is None:
        return 404, {"detail": "no published framework"}
    return framework.to_definition(version)


@api.get("/units", auth=django_auth, tags=["units"], response=list[UnitOut])
def list_units(request: HttpRequest, parent_id: int | None = None, limit: int = 500) -> Any:
    """Units the caller may see, optionally only the children of ``parent_id``."""
    units = access.units_for(request.user, "unit.view").order_by("path")
    if parent_id is not None:
        units = units.filter(parent_id=parent_id)
    return list(units[: max(1, min(limit, 5000))])


@api.get("/units/{unit_id}", auth=django_auth, tags=["units"], response=UnitOut)
def get_unit(request: HttpRequest, unit_id: int) -> Any:
    return access.unit_for(request.user, unit_id, "unit.view")


@api.get("/units/{unit_id}/people", auth=django_auth, tags=["people"], response=list[PersonOut])
def unit_people(request: HttpRequest, unit_id: int) -> Any:
    unit = access.unit_for(request.user, unit_id, "unit.view")
    return list(
        access.people_for(request.user, "person.view").filter(unit=unit).order_by("full_name")
    )


@api.get("/people/{person_id}", auth=django_auth, tags=["people"], response=PersonOut)
def get_person(request: HttpRequest, person_id: int) -> Any:
    return access.person_for(request.user, person_id, "person.view")


@api.patch("/people/{person_id}", auth=django_auth, tags=["people"], response=PersonOut)
def patch_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    person: User = access.person_for(request.user, person_id, "person.manage")
    changes = payload.dict(exclude_unset=True)
    for field, value in changes.items():
        if value is not None:
            setattr(person, field, value)
    person.full_clean(exclude=["password", "national_id"])
    person.save()
    audit.record(
        "person.update",
        actor=request.user,
        obj=person,
        unit_path=person.unit.path if person.unit else "",
        data={"fields": sorted(changes)},
    )
    return person
