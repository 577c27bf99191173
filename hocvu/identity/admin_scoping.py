"""Admin permissions decided by ``hocvu.identity.access`` instead of Django model permissions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hocvu.audit.admin_base import AuditedAdmin
from hocvu.identity import access


class AuthorAdmin(AuditedAdmin):
    """Framework content: authors and administrators may view and edit drafts."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, "framework.edit", None)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can(request.user, "framework.edit", None)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return access.can(request.user, "framework.edit", None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can(request.user, "framework.edit", None)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can(request.user, "framework.edit", None)


def install_admin_site_permission() -> None:
    """Only authors and administrators enter the admin at all."""
    admin.site.has_permission = lambda request: access.may_use_admin(request.user)  # type: ignore[method-assign]


class SubtreeAdmin(AuditedAdmin):
    """Units and people: administrators only, and only rows their ``get_queryset`` (a
    subtree from ``access``) holds. Nothing is deleted from the admin: people are
    deactivated and units moved, so their records stay auditable."""

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        if not access.can(request.user, "platform.administer", None):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
