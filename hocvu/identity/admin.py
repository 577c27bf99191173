from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from hocvu.identity import access
from hocvu.identity.admin_scoping import SubtreeAdmin
from hocvu.identity.models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("unit",)


@admin.register(User)
class PersonAdmin(SubtreeAdmin):
    """People, limited to the administrator's subtree. The ID number is never shown."""

    list_display = ("full_name", "username", "unit", "position", "job_role", "is_active")
    search_fields = ("full_name", "username")
    exclude = ("password", "national_id", "user_permissions", "groups", "last_login")
    readonly_fields = ("date_joined",)
    inlines = [RoleAssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return access.people_for(request.user, "person.manage").select_related("unit")
