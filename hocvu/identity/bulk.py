"""Creating and updating people in bulk (roster imports): the companion of ``services``.

The ID number is normalised, encrypted and indexed exactly as ``services.create_person``
does it, in Python, and rows go to the database in batches instead of one query each.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction

from hocvu.audit import crypto
from hocvu.identity.models import Gender, Role, RoleAssignment, User
from hocvu.identity.services import NATIONAL_ID_CONTEXT, normalize_national_id
from hocvu.identity.signals import people_changed

_BATCH = 2000


@dataclass(frozen=True)
class PersonData:
    """One person's fields for the bulk functions below (``national_id`` in clear)."""

    full_name: str
    unit_id: int
    national_id: str
    date_of_birth: date | None = None
    gender: str = ""
    position: str = ""
    job_role: str = ""
    email: str = ""


def _unusable_password() -> str:
    # What set_unusable_password stores, without 40 calls to secrets.choice per person.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


@transaction.atomic
def bulk_create_people(
    people: Sequence[tuple[str, PersonData]], *, role: str | None = Role.LEARNER
) -> list[User]:
    """Create many (username, data) people at once, each holding ``role`` over their unit.

    ID numbers are encrypted and indexed in Python and the rows inserted in batches;
    passwords are unusable until the person activates the account. No audit event is
    written here: the caller records one for the whole batch.
    """
    users = []
    for username, data in people:
        if data.gender and data.gender not in Gender.values:
            raise ValueError(f"unknown gender {data.gender!r}")
        clean = normalize_national_id(data.national_id) if data.national_id else ""
        users.append(
            User(
                username=username,
                full_name=data.full_name,
                unit_id=data.unit_id,
                date_of_birth=data.date_of_birth,
                gender=data.gender,
                position=data.position,
                job_role=data.job_role,
                email=data.email,
                national_id=clean,
                national_id_index=crypto.blind_index(clean, NATIONAL_ID_CONTEXT) if clean else "",
                password=_unusable_password(),
            )
        )
    created = User.objects.bulk_create(users, batch_size=_BATCH)
    if any(user.pk is None for user in created):  # a backend that cannot return ids
        ids = dict(
            User.objects.filter(username__in=[u.username for u in created]).values_list(
                "username", "pk"
            )
        )
        for user in created:
            user.pk = ids[user.username]
    if role is not None:
        bulk_assign_role([(user.pk, user.unit_id) for user in created if user.unit_id], role)
    _announce([user.pk for user in created])
    return created


@transaction.atomic
def bulk_update_people(changes: Sequence[tuple[int, PersonData]]) -> int:
    """Overwrite the fields of existing people (by id) with ``data``; the ID stays as is."""
    if not changes:
        return 0
    fields = ["full_name", "unit_id", "date_of_birth", "gender", "position", "job_role", "email"]
    users = [
        User(
            pk=pk,
            full_name=data.full_name,
            unit_id=data.unit_id,
            date_of_birth=data.date_of_birth,
            gender=data.gender,
            position=data.position,
            job_role=data.job_role,
            email=data.email,
        )
        for pk, data in changes
    ]
    count = User.objects.bulk_update(users, fields, batch_size=_BATCH)
    _announce([pk for pk, _data in changes])
    return count


def bulk_assign_role(pairs: Sequence[tuple[int, int]], role: str) -> None:
    """Give each (person id, unit id) ``role`` over that unit; existing ones are kept."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user_id=user_id, role=role, unit_id=unit_id) for user_id, unit_id in pairs],
        batch_size=_BATCH,
        ignore_conflicts=True,
    )


@transaction.atomic
def bulk_place_learners(pairs: Sequence[tuple[int, int]]) -> None:
    """Make each (person id, unit id) a learner of that unit only (their learner roles move)."""
    for start in range(0, len(pairs), _BATCH):
        chunk = pairs[start : start + _BATCH]
        RoleAssignment.objects.filter(
            user_id__in=[person_id for person_id, _unit in chunk], role=Role.LEARNER
        ).delete()
    bulk_assign_role(pairs, Role.LEARNER)


def _announce(ids: list[int]) -> None:
    # In batches: receivers look the people up with ``pk__in`` (SQLite caps parameters).
    for start in range(0, len(ids), _BATCH):
        people_changed.send(sender=User, user_ids=ids[start : start + _BATCH])
