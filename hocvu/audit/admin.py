"""The audit log in the admin: read-only, each administrator sees their own subtree's events;
events of no unit (platform-wide) are seen by national administrators only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from hocvu.audit.models import AuditEvent
from hocvu.identity import access


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in django-stubs
    list_display = ("seq", "at", "actor", "action", "object_type", "object_id")
    list_filter = ("action",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        events = super().get_queryset(request)
        if access.is_national(request.user, "audit.view"):
            return events
        return access.within_scope(request.user, events, "audit.view", path_field="unit_path")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, "audit.view", None)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not access.can(request.user, "audit.view", None):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
