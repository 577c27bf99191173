"""People in the open API: read a person in scope, change what a manager may change.

Errors are ``{"code", "detail"}``: 400 ``invalid`` (a name or position that is empty,
only spaces, too long, or holds control or bidirectional-override characters; a job role
that is not a role profile of the current framework), 403 ``forbidden`` (the person holds
rights the caller could not grant, e.g. an administrator in the caller's unit), 404 when
the person is outside the caller's scope.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Path, Router, Schema, Status
from ninja.security import django_auth

from hocvu.framework import services as framework
from hocvu.identity import access
from hocvu.identity.services import update_person

router = Router(tags=["people"], auth=django_auth)

MAX_TEXT = 255
#: A person's identifier: 1 up to the largest 64-bit integer (beyond it: 400, not a 500).
PersonId = Annotated[int, Path(ge=1, le=2**63 - 1)]
# Bidirectional embeddings, overrides and isolates: they make a name display differently
# from what it is (a "Trojan Source" name in lists and exports).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


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
    code: str
    detail: str


def _problem(status: int, code: str, detail: str) -> Status[dict[str, str]]:
    return Status(status, {"code": code, "detail": detail})


def text_problem(field: str, value: str, *, required: bool) -> str | None:
    """Why ``value`` cannot be stored as ``field``, or None."""
    if len(value) > MAX_TEXT:
        return f"{field}: at most {MAX_TEXT} characters"
    if any(ch in _BIDI_CONTROLS for ch in value):
        return f"{field}: bidirectional control characters are not allowed"
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"} for ch in value):
        return f"{field}: control or invisible formatting characters are not allowed"
    if required and not value.strip():
        return f"{field}: may not be empty"
    return None


def _job_roles() -> set[str]:
    version = framework.current_version()
    return set(version.role_profiles.values_list("code", flat=True)) if version else set()


@router.get("/{person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: PersonId) -> Any:
    return access.person_for(request.user, person_id, "person.view")


@router.patch("/{person_id}", response={200: PersonOut, 400: ErrorOut, 403: ErrorOut})
def patch_person(request: HttpRequest, person_id: PersonId, payload: PersonPatch) -> Any:
    person = access.person_for(request.user, person_id, "person.manage")
    if access.outranks(person, request.user):
        return _problem(403, "forbidden", "this person holds rights you cannot change")
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    for field in ("full_name", "position"):
        if field in changes:
            changes[field] = unicodedata.normalize("NFC", changes[field].strip())
            problem = text_problem(field, changes[field], required=field == "full_name")
            if problem:
                return _problem(400, "invalid", problem)
    if changes.get("job_role") and changes["job_role"] not in _job_roles():
        return _problem(400, "invalid", f"job_role: no role profile {changes['job_role']!r}")
    try:
        return update_person(person, changes, actor=request.user)
    except (ValidationError, ValueError) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return _problem(400, "invalid", "; ".join(messages))
