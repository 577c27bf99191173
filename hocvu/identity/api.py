"""People in the open API: read a person in scope, change what a manager may change."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from hocvu.identity import access
from hocvu.identity.services import update_person

router = Router(tags=["people"], auth=django_auth)


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


@router.get("/{person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: int) -> Any:
    return access.person_for(request.user, person_id, "person.view")


@router.patch("/{person_id}", response={200: PersonOut, 400: ErrorOut})
def patch_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    person = access.person_for(request.user, person_id, "person.manage")
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    try:
        return update_person(person, changes, actor=request.user)
    except ValidationError as exc:
        return 400, {"detail": "; ".join(exc.messages)}
