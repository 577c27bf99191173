"""Creating and updating people, assigning roles, finding a person by national ID number."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction

from hocvu.audit import crypto
from hocvu.audit import services as audit
from hocvu.identity.models import Gender, Role, RoleAssignment, User
from hocvu.organizations.models import Unit

NATIONAL_ID_CONTEXT = "identity_user.national_id"
# Citizen identity card (CCCD) numbers have 12 digits: province code, century/gender
# digit, year of birth, then a serial.
_NATIONAL_ID = re.compile(r"^\d{12}$")


class InvalidNationalId(ValueError):
    """The value is not a 12-digit citizen identity number."""


def normalize_national_id(value: str) -> str:
    """Strip spaces and dots people type into ID numbers; validate the 12 digits."""
    digits = re.sub(r"[\s.\-]", "", value)
    if not _NATIONAL_ID.match(digits):
        raise InvalidNationalId("Số định danh cá nhân phải gồm đúng 12 chữ số.")
    return digits


def national_id_index(value: str) -> str:
    return crypto.blind_index(normalize_national_id(value), NATIONAL_ID_CONTEXT)


@transaction.atomic
def create_person(
    *,
    username: str,
    full_name: str,
    unit: Unit | None,
    password: str | None = None,
    national_id: str = "",
    date_of_birth: date | None = None,
    gender: str = "",
    position: str = "",
    job_role: str = "",
    email: str = "",
    actor: Any = None,
) -> User:
    """Create one person; the ID number is encrypted and indexed, never stored in clear."""
    if gender and gender not in Gender.values:
        raise ValueError(f"unknown gender {gender!r}")
    user = User(
        username=username,
        full_name=full_name.strip(),
        unit=unit,
        date_of_birth=date_of_birth,
        gender=gender,
        position=position,
        job_role=job_role,
        email=email,
    )
    if national_id:
        clean = normalize_national_id(national_id)
        user.national_id = clean
        user.national_id_index = crypto.blind_index(clean, NATIONAL_ID_CONTEXT)
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    audit.record(
        "person.create", actor=actor, obj=user, unit_path=unit.path if unit else "", data={}
    )
    return user


#: What a manager may change on a person's record (the ID number and roles have their own paths).
EDITABLE_FIELDS = ("full_name", "position", "gender", "date_of_birth", "job_role", "unit")


#: Fields whose old and new values go into the audit log; the others are personal data,
#: which an append-only log must not keep (only their names are recorded).
_AUDITED_VALUES = frozenset({"unit", "job_role", "position"})


def _audit_value(value: Any) -> Any:
    if isinstance(value, Unit):
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    return value


@transaction.atomic
def update_person(person: User, changes: Mapping[str, Any], *, actor: Any) -> User:
    """Change the fields of ``person`` named in ``changes`` (a subset of
    :data:`EDITABLE_FIELDS`), validated as a whole, and audit what changed.

    Raises ``ValueError`` for a field that may not be changed here and Django's
    ``ValidationError`` for a value the model refuses; nothing is saved then.
    """
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValueError(f"these fields cannot be changed here: {', '.join(unknown)}")
    before = {field: _audit_value(getattr(person, field)) for field in changes}
    for field, value in changes.items():
        setattr(person, field, value)
    person.full_clean(exclude=["password", "national_id"])
    person.save()
    after = {field: _audit_value(getattr(person, field)) for field in changes}
    changed = sorted(field for field in changes if before[field] != after[field])
    audit.record(
        "person.update",
        actor=actor,
        obj=person,
        unit_path=person.unit.path if person.unit else "",
        data={
            "fields": changed,
            "before": {f: before[f] for f in changed if f in _AUDITED_VALUES},
            "after": {f: after[f] for f in changed if f in _AUDITED_VALUES},
        },
    )
    return person


def find_by_national_id(value: str) -> User | None:
    """Look a person up by ID number through the blind index."""
    return User.objects.filter(national_id_index=national_id_index(value)).first()


@transaction.atomic
def set_national_id(person: User, value: str, *, actor: Any = None) -> User:
    """Record ``person``'s ID number (encrypted and indexed); the audit never holds it."""
    clean = normalize_national_id(value)
    person.national_id = clean
    person.national_id_index = crypto.blind_index(clean, NATIONAL_ID_CONTEXT)
    person.save(update_fields=["national_id", "national_id_index"])
    audit.record(
        "person.national_id",
        actor=actor,
        obj=person,
        unit_path=person.unit.path if person.unit is not None else "",
        data={},
    )
    return person


@transaction.atomic
def assign_role(user: User, role: str, unit: Unit, *, actor: Any = None) -> RoleAssignment:
    """Give ``user`` a role over ``unit``'s subtree (idempotent)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
    if role in (Role.AUTHOR, Role.ADMINISTRATOR) and not user.is_staff:
        # Django's admin checks is_staff before anything else.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if created:
        audit.record(
            "role.assign",
            actor=actor,
            obj=user,
            unit_path=unit.path,
            data={"role": role, "unit": unit.pk},
        )
    return assignment
