"""The audit log in the admin: read-only, each administrator sees their own subtree's events;
events of no unit (platform-wide) are seen by national administrators only."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from hocvu.audit.labels import action_label, object_type_label
from hocvu.audit.models import AuditEvent
from hocvu.identity import access


class ActionFilter(admin.SimpleListFilter):
    """Filter by action, named in words (the codes stay in the URL)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = model_admin.get_queryset(request).values_list("action", flat=True).distinct()
        return sorted(((c, action_label(c)) for c in codes), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in django-stubs
    list_display = ("seq", "at", "actor", "action_name", "object_name", "object_id")
    list_filter = (ActionFilter,)
    fields = (
        "seq",
        "at",
        "actor",
        "action_name",
        "action",
        "object_name",
        "object_id",
        "unit_path",
        "data",
        "stream",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    @admin.display(description=_("what happened"), ordering="action")
    def action_name(self, event: AuditEvent) -> str:
        return action_label(event.action)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_name(self, event: AuditEvent) -> str:
        return object_type_label(event.object_type)

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


# django-axes names its lockout column after the method ("Status"), which no catalog can
# translate: the same admin, with the column named.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class NamedAccessAttemptAdmin(AccessAttemptAdmin):  # type: ignore[misc]  # axes is untyped
    @admin.display(description=_("lockout status"))
    def status(self, obj: AccessAttempt) -> str:
        return str(super().status(obj))

    @admin.display(description=_("expires at"))
    def expiration(self, obj: AccessAttempt) -> Any:
        return super().expiration(obj)
