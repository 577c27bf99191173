"""Who may do what, where: the one place where authorization is decided.

Every role is held over a unit and reaches that unit's whole subtree. Views, API routes
and admin pages ask these functions and nothing else. An object outside the caller's
scope is reported as not found, so its existence does not leak.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from hocvu.identity.models import Role, RoleAssignment, User
from hocvu.organizations.models import Unit

PERMISSIONS: dict[str, frozenset[str]] = {
    "unit.view": frozenset({Role.UNIT_MANAGER, Role.ADMINISTRATOR, Role.ASSESSOR, Role.MENTOR}),
    "unit.manage": frozenset({Role.UNIT_MANAGER, Role.ADMINISTRATOR}),
    "person.view": frozenset({Role.UNIT_MANAGER, Role.ADMINISTRATOR, Role.ASSESSOR, Role.MENTOR}),
    "person.manage": frozenset({Role.UNIT_MANAGER, Role.ADMINISTRATOR}),
    "role.assign": frozenset({Role.ADMINISTRATOR}),
    "framework.edit": frozenset({Role.AUTHOR, Role.ADMINISTRATOR}),
    # The secure exam pool (questions, keys, explanations): content authors only, not
    # every administrator; nobody learning sees them outside an exam.
    "item.view_secure": frozenset({Role.AUTHOR}),
    "audit.view": frozenset({Role.ADMINISTRATOR}),
    # Administration of a subtree: the admin site's units, people, certificates, outboxes.
    "platform.administer": frozenset({Role.ADMINISTRATOR}),
    # Another person's certificate (its PDF, its admin page); everyone sees their own.
    "credential.view": frozenset({Role.ADMINISTRATOR}),
    "credential.revoke": frozenset({Role.ADMINISTRATOR}),
}

M = TypeVar("M", bound=Model)


def _check_permission(permission: str) -> frozenset[str]:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"unknown permission {permission!r}") from None


def scope_paths(user: Any, permission: str) -> list[str]:
    """Unit paths at whose subtrees ``user`` holds ``permission``, nested ones collapsed."""
    roles = _check_permission(permission)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return [""]
    cache: dict[str, list[str]] = user.__dict__.setdefault("_hocvu_scopes", {})
    if permission not in cache:
        paths = sorted(
            RoleAssignment.objects.filter(user=user, role__in=roles).values_list(
                "unit__path", flat=True
            )
        )
        collapsed: list[str] = []
        for path in paths:
            if not any(path.startswith(kept) for kept in collapsed):
                collapsed.append(path)
        cache[permission] = collapsed
    return cache[permission]


def _path_filter(field: str, paths: list[str]) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def can(user: Any, permission: str, unit: Unit | None) -> bool:
    """True when ``user`` holds ``permission`` over ``unit`` (None means: anywhere)."""
    paths = scope_paths(user, permission)
    if unit is None:
        return bool(paths)
    return any(unit.path.startswith(p) for p in paths)


def units_for(user: Any, permission: str = "unit.view") -> QuerySet[Unit]:
    """The units ``user`` may see (or act on) under ``permission``."""
    return Unit.objects.filter(_path_filter("path", scope_paths(user, permission)))


def unit_for(user: Any, unit_id: int, permission: str = "unit.view") -> Unit:
    """One unit, or 404 when it does not exist or lies outside the caller's scope."""
    try:
        return units_for(user, permission).get(pk=unit_id)
    except (Unit.DoesNotExist, ValueError, TypeError):
        raise Http404("unit not found") from None


def people_for(user: Any, permission: str = "person.view") -> QuerySet[User]:
    """The people ``user`` may see (or act on); everyone may see their own record."""
    condition = _path_filter("unit__path", scope_paths(user, permission))
    if permission == "person.view" and getattr(user, "is_authenticated", False):
        condition |= Q(pk=user.pk)
    return User.objects.filter(condition)


def person_for(user: Any, person_id: int, permission: str = "person.view") -> User:
    """One person, or 404 when they do not exist or lie outside the caller's scope."""
    try:
        return people_for(user, permission).get(pk=person_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("person not found") from None


def may_use_admin(user: Any) -> bool:
    """Authors and administrators use the Django admin."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or scope_paths(user, "framework.edit"))


def is_national(user: Any, permission: str = "platform.administer") -> bool:
    """True when ``user`` holds ``permission`` over the whole tree (a top unit, or superuser).

    Platform-wide objects (issuer keys, achievements, the e-ID outbox) belong to no unit,
    so only national holders see them.
    """
    return any(len(path) <= Unit.SEGMENT for path in scope_paths(user, permission))


def within_scope(
    user: Any, queryset: QuerySet[M], permission: str, *, path_field: str
) -> QuerySet[M]:
    """The rows of ``queryset`` whose unit path (``path_field``) lies in ``user``'s scope."""
    return queryset.filter(_path_filter(path_field, scope_paths(user, permission)))


def records_for(
    user: Any, queryset: QuerySet[M], permission: str, *, owner: str = "learner"
) -> QuerySet[M]:
    """A person's own records (``owner`` is the field naming the person) and, beyond them,
    the records of the people in ``user``'s scope under ``permission``."""
    condition = _path_filter(f"{owner}__unit__path", scope_paths(user, permission))
    if getattr(user, "is_authenticated", False) and user.is_active:
        condition |= Q(**{f"{owner}_id": user.pk})
    return queryset.filter(condition)


def record_for(
    user: Any, queryset: QuerySet[M], pk: Any, permission: str, *, owner: str = "learner"
) -> M:
    """One record of :func:`records_for`, or 404 when it does not exist or is out of scope."""
    try:
        return records_for(user, queryset, permission, owner=owner).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404("not found") from None


# Roles whose reach goes beyond a unit: the admin site, the whole framework and content.
ELEVATED_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUTHOR})


def outranks(person: User, editor: Any) -> bool:
    """True when ``person`` holds rights ``editor`` could not grant (superuser, or an
    administrator or author role beyond the units ``editor`` administers): ``editor`` may
    then see ``person`` but not change them. National administrators outrank no one."""
    if is_national(editor):
        return False
    if person.is_superuser:
        return True
    scope = units_for(editor, "platform.administer")
    return (
        RoleAssignment.objects.filter(user=person, role__in=ELEVATED_ROLES)
        .exclude(unit__in=scope)
        .exists()
    )
