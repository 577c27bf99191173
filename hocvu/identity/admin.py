"""People in the admin, scoped to the editor's subtree.

A subtree administrator manages the people of their units but cannot raise anyone's
rights: the staff and superuser flags, groups and model permissions are not in their form,
the administrator and author roles (whose reach is the whole platform) are granted or
removed by national administrators only, and every unit field offers only the editor's
units (a posted unit outside them is an invalid choice).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from hocvu.framework import services as framework
from hocvu.identity import access
from hocvu.identity.admin_scoping import SubtreeAdmin
from hocvu.identity.models import RoleAssignment, User

ADMINISTER = "platform.administer"
ELEVATED_ROLES = access.ELEVATED_ROLES
outranks = access.outranks
_ALWAYS_EXCLUDED = ("password", "national_id", "user_permissions", "groups", "last_login")


def _unit_field(
    db_field: ForeignKey[Any, Any], request: HttpRequest, kwargs: dict[str, Any]
) -> None:
    if db_field.name == "unit":
        kwargs["queryset"] = access.units_for(request.user, ADMINISTER).order_by("path")
        if not access.is_national(request.user):
            kwargs["required"] = True  # a person with no unit would leave the editor's scope


class RoleAssignmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("unit",)

    # Django's model permissions are not used: administrators of the person's subtree
    # manage their roles (within the limits of ScopedRoleForm).
    def _allowed(self, request: HttpRequest, obj: Any, change: bool) -> bool:
        if not access.can(request.user, ADMINISTER, None):
            return False
        if obj is None:
            return True
        if not access.people_for(request.user, ADMINISTER).filter(pk=obj.pk).exists():
            return False
        return not (change and outranks(obj, request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj, change=False)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj, change=True)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj, change=True)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj, change=True)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleAssignment]:
        # Assignments over units outside the editor's subtree are not theirs to see or change.
        units = access.units_for(request.user, ADMINISTER)
        return super().get_queryset(request).filter(unit__in=units)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        _unit_field(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        if access.is_national(request.user):
            return formset

        class ScopedRoleFormSet(formset):  # type: ignore[misc, valid-type]
            """Refuse adding, changing or deleting an administrator or author role."""

            def clean(self) -> None:
                super().clean()
                for form in self.forms:
                    if not hasattr(form, "cleaned_data"):
                        continue
                    deleting = self.can_delete and self._should_delete_form(form)
                    roles = {form.cleaned_data.get("role"), form.initial.get("role")}
                    if (form.has_changed() or deleting) and ELEVATED_ROLES & roles:
                        raise ValidationError(
                            _("Only a national administrator grants or removes this role.")
                        )

        return ScopedRoleFormSet


@admin.register(User)
class PersonAdmin(SubtreeAdmin):
    """People, limited to the administrator's subtree. The ID number is never shown."""

    list_display = ("full_name", "username", "unit", "position", "role_name", "is_active")
    search_fields = ("full_name", "username")
    readonly_fields = ("date_joined",)
    inlines = [RoleAssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        people = access.people_for(request.user, ADMINISTER).select_related("unit")
        return framework.with_role_titles(people)  # type: ignore[no-any-return]

    @admin.display(description=_("role profile"), ordering="job_role")
    def role_name(self, person: User) -> str:
        """The role profile's title in the page's language, never its code."""
        if not person.job_role:
            return "—"
        english = getattr(person, "role_title_en", "")
        vietnamese = getattr(person, "role_title_vi", "")
        if english and (get_language() or "vi").startswith("en"):
            return str(english)
        return str(vietnamese or person.job_role)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "job_role":
            # Chosen by title from the published framework's roles (the code is stored).
            return forms.ChoiceField(
                label=capfirst(db_field.verbose_name),
                required=False,
                choices=[
                    ("", "—"),
                    *((c, framework.role_title(c)) for c in framework.role_titles()),
                ],
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if access.is_national(request.user):
            return _ALWAYS_EXCLUDED
        return (*_ALWAYS_EXCLUDED, "is_staff", "is_superuser")

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        _unit_field(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or not outranks(obj, request.user)


# django-otp registers its devices in the admin; they hold the authenticator secrets and
# recovery codes, so they stay out of it (``manage.py reset_second_factor`` resets a person).
def _hide_otp_devices() -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_hide_otp_devices()
