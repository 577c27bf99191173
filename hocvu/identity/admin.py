from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from hocvu.identity import access
from hocvu.identity.models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("unit",)


@admin.register(User)
class PersonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """People, limited to the administrator's subtree. The ID number is never shown."""

    list_display = ("full_name", "username", "unit", "position", "job_role", "is_active")
    search_fields = ("full_name", "username")
    exclude = ("password", "national_id", "user_permissions", "groups", "last_login")
    readonly_fields = ("date_joined",)
    inlines = [RoleAssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return access.people_for(request.user, "person.manage").select_related("unit")

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        if not access.can(request.user, "role.assign", None):
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
        return False  # people are deactivated, not deleted: their records stay auditable
