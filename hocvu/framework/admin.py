from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from hocvu.framework import services
from hocvu.framework.models import (
    Area,
    Competence,
    CompetenceLevel,
    FrameworkVersion,
    RoleProfile,
    RoleTarget,
)
from hocvu.identity.admin_scoping import AuthorAdmin


class FrozenWhenPublished(AuthorAdmin):
    """Published versions are read-only in the admin, as in the database."""

    def _version_of(self, obj: Any) -> FrameworkVersion | None:
        return None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        version = self._version_of(obj) if obj is not None else None
        if version is not None and version.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        version = self._version_of(obj) if obj is not None else None
        if version is not None and version.is_published:
            return False
        return super().has_delete_permission(request, obj)


# The base class is generic only in django-stubs (no subscript at run time).
class CompetenceLevelInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CompetenceLevel
    extra = 0
    fields = ("level", "statement", "statement_en")


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(FrozenWhenPublished):
    list_display = ("title", "label", "status", "published_at")
    list_filter = ("status",)
    readonly_fields = ("status", "published_at", "based_on", "changes")
    actions = ["publish_versions", "start_new_draft"]

    @admin.display(description=_("Changes from the version it is based on"))
    def changes(self, obj: FrameworkVersion) -> str:
        if obj.based_on is None:
            return "—"
        rows = services.compare(obj.based_on, obj)
        if not rows:
            return str(_("No changes yet."))
        items = format_html_join(
            "",
            "<li>{} — {} {}: «{}» → «{}»</li>",
            ((c.kind, c.subject, c.field, c.before, c.after) for c in rows),
        )
        return format_html("<ul>{}</ul>", items)

    @admin.action(description=_("Start a new draft from the selected published version"))
    def start_new_draft(self, request: HttpRequest, queryset: QuerySet[FrameworkVersion]) -> None:
        for version in queryset:
            try:
                draft = services.new_draft(
                    version.framework, label=f"{version.label}+1", actor=request.user
                )
            except ValueError as exc:
                self.message_user(request, f"{version}: {exc}", level=messages.ERROR)
            else:
                self.message_user(request, _("Draft %(v)s created") % {"v": draft})

    def _version_of(self, obj: Any) -> FrameworkVersion | None:
        version: FrameworkVersion = obj
        return version

    @admin.action(description=_("Publish the selected drafts"))
    def publish_versions(self, request: HttpRequest, queryset: QuerySet[FrameworkVersion]) -> None:
        for version in queryset:
            try:
                services.publish(version, actor=request.user)
            except ValueError as exc:
                self.message_user(request, f"{version}: {exc}", level=messages.ERROR)
            else:
                self.message_user(request, _("Published %(v)s") % {"v": version})


@admin.register(Area)
class AreaAdmin(FrozenWhenPublished):
    list_display = ("code", "title", "version")
    list_filter = ("version",)

    def _version_of(self, obj: Any) -> FrameworkVersion | None:
        area: Area = obj
        return area.version


@admin.register(Competence)
class CompetenceAdmin(FrozenWhenPublished):
    list_display = ("code", "title", "area", "version")
    list_filter = ("version", "area__code")
    search_fields = ("code", "title", "title_en")
    inlines = [CompetenceLevelInline]

    def _version_of(self, obj: Any) -> FrameworkVersion | None:
        competence: Competence = obj
        return competence.version


# The base class is generic only in django-stubs (no subscript at run time).
class RoleTargetInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleTarget
    extra = 0
    fields = ("competence", "level")


@admin.register(RoleProfile)
class RoleProfileAdmin(FrozenWhenPublished):
    list_display = ("code", "title", "version")
    list_filter = ("version",)
    inlines = [RoleTargetInline]

    def _version_of(self, obj: Any) -> FrameworkVersion | None:
        profile: RoleProfile = obj
        return profile.version
