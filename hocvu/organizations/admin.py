from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from hocvu.identity import access
from hocvu.organizations.models import Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "code", "kind", "depth")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    readonly_fields = ("parent", "path", "depth")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Unit]:
        return access.units_for(request.user, "unit.manage")

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        if not access.can(request.user, "role.assign", None):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # units are created through the tree services, which set the path

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
