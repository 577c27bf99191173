from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from hocvu.audit.models import AuditEvent
from hocvu.identity import access


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("seq", "at", "actor", "action", "object_type", "object_id")
    list_filter = ("action",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, "audit.view", None)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can(request.user, "audit.view", None)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
