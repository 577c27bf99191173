from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from hocvu.identity import access
from hocvu.identity.admin_scoping import SubtreeAdmin
from hocvu.organizations.models import Unit


@admin.register(Unit)
class UnitAdmin(SubtreeAdmin):
    list_display = ("name", "code", "kind", "depth")
    list_filter = ("kind",)
    search_fields = ("name", "code")
    readonly_fields = ("parent", "path", "depth")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Unit]:
        return access.units_for(request.user, "platform.administer")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # units are created through the tree services, which set the path
