"""Certificates in the admin: revocation, issuer keys, achievements and the e-ID outbox.

Who may do what is decided by ``hocvu.identity.access``:

* certificates are seen and revoked by administrators, each within their unit subtree
  (the certificates of learners in units they administer). Assessors do not revoke here:
  they do not enter the admin at all; a revocation they request goes through an
  administrator, who records the reason;
* issuer keys, achievements and the e-ID outbox belong to the whole platform: only
  national administrators (administrators of a top unit) see them.

Nothing here is deleted: certificates are revoked, keys are retired, outbox messages stay
as a record. Private keys are never shown.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from hocvu.audit import services as audit
from hocvu.credentials import eid
from hocvu.credentials.models import Achievement, Credential, EidOutbox, IssuerKey, OutboxStatus
from hocvu.identity import access


def is_national_admin(user: Any) -> bool:
    """An administrator of the whole tree (or a superuser)."""
    return access.is_national(user, "platform.administer")


class NationalAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in django-stubs
    """Platform-wide objects: national administrators only; nothing is deleted."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_national_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_national_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevocationState(admin.SimpleListFilter):
    title = _("revoked")
    parameter_name = "revoked"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("In force")), ("yes", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(revoked_at__isnull=True)
        return queryset


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"),
        max_length=255,
        help_text=_("Recorded in the audit log and sent to the e-ID platform."),
        widget=forms.TextInput(attrs={"size": 60}),
    )


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in django-stubs
    list_display = ("holder", "achievement", "issued_at", "revoked_at")
    list_filter = (RevocationState, "achievement")
    search_fields = ("learner__full_name", "learner__username")
    date_hierarchy = "issued_at"
    list_select_related = ("learner", "achievement")
    fields = (
        "id",
        "holder",
        "achievement",
        "issued_at",
        "valid_until",
        "key",
        "status_list",
        "status_index",
        "revoked_at",
        "revocation_reason",
        "verification_page",
    )
    readonly_fields = fields
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Credential]:
        return access.within_scope(
            request.user,
            super().get_queryset(request),
            "credential.view",
            path_field="learner__unit__path",
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Credential], search_term: str
    ) -> tuple[QuerySet[Credential], bool]:
        found, duplicates = super().get_search_results(request, queryset, search_term)
        try:
            number = uuid.UUID(search_term.strip())
        except ValueError:
            return found, duplicates
        return found | queryset.filter(pk=number), duplicates

    def _allowed(self, request: HttpRequest, obj: Any = None, permission: str = "") -> bool:
        if not access.can(request.user, permission or "credential.view", None):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request, permission="credential.revoke")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # certificates are issued by the rules, never typed in

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("holder"), ordering="learner__full_name")
    def holder(self, obj: Credential) -> str:
        return obj.learner.full_name or obj.learner.username

    @admin.display(description=_("verification page"))
    def verification_page(self, obj: Credential) -> str:
        url = reverse("verify-credential", kwargs={"credential_id": obj.pk})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.action(description=_("Revoke the selected certificates"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Credential]) -> HttpResponse | None:
        from hocvu.credentials import services

        in_force = queryset.filter(revoked_at__isnull=True)
        form = RevokeForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            done = 0
            for credential in in_force.select_related("learner", "achievement"):
                services.revoke_credential(credential, reason=reason, actor=request.user)
                done += 1
            self.message_user(
                request,
                ngettext("%(count)d certificate revoked.", "%(count)d certificates revoked.", done)
                % {"count": done},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Revoke certificates"),
            "opts": self.model._meta,
            "form": form,
            "credentials": list(in_force.select_related("learner", "achievement")[:500]),
            "already_revoked": queryset.count() - in_force.count(),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/credentials/revoke.html", context)


@admin.register(IssuerKey)
class IssuerKeyAdmin(NationalAdmin):
    list_display = ("key_id", "created_at", "retired_at", "revoked_at", "signing")
    fields = ("key_id", "public_key_multibase", "created_at", "retired_at", "revoked_at")
    readonly_fields = fields  # the private key is never displayed
    ordering = ("-created_at",)
    actions = ["rotate"]

    @admin.display(description=_("signs new certificates"), boolean=True)
    def signing(self, obj: IssuerKey) -> bool:
        return obj.retired_at is None and obj.revoked_at is None

    def has_rotate_permission(self, request: HttpRequest) -> bool:
        return is_national_admin(request.user)

    @admin.action(
        description=_("Rotate the issuer key (a new key signs from now on)"),
        permissions=["rotate"],
    )
    def rotate(self, request: HttpRequest, queryset: QuerySet[IssuerKey]) -> None:
        from hocvu.credentials import services

        new = services.rotate_key()
        self.message_user(
            request,
            _(
                "New signing key %(key)s. Earlier certificates stay valid: their keys remain "
                "published."
            )
            % {"key": new.key_id},
            messages.SUCCESS,
        )


@admin.register(Achievement)
class AchievementAdmin(NationalAdmin):
    list_display = ("name", "program", "role_profile")
    list_filter = ("program",)
    search_fields = ("name", "name_en")
    readonly_fields = ("uid", "program", "role_profile")
    fields = ("uid", "program", "role_profile", "name", "name_en", "description", "criteria")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Wording may be corrected; certificates already issued keep what they were signed with.
        return is_national_admin(request.user)


@admin.register(EidOutbox)
class EidOutboxAdmin(NationalAdmin):
    list_display = (
        "credential_id",
        "action",
        "status",
        "attempts",
        "next_attempt_at",
        "error",
        "sent_at",
        "created_at",
    )
    list_filter = ("status", "action")
    search_fields = ("=credential__id",)
    ordering = ("status", "next_attempt_at")
    fields = (
        "credential",
        "action",
        "idempotency_key",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ["retry"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[EidOutbox], search_term: str
    ) -> tuple[QuerySet[EidOutbox], bool]:
        try:
            number = uuid.UUID(search_term.strip())
        except ValueError:
            return (queryset.none() if search_term.strip() else queryset), False
        return queryset.filter(credential_id=number), False

    @admin.display(description=_("last error"))
    def error(self, obj: EidOutbox) -> str:
        return Truncator(obj.last_error).chars(80)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return is_national_admin(request.user)

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[EidOutbox]) -> None:
        waiting = list(queryset.exclude(status=OutboxStatus.SENT)[:200])
        counts = eid.retry_now(waiting)
        audit.record(
            "credential.eid_retry",
            actor=request.user,
            object_type="credentials.eidoutbox",
            data={"ids": [m.pk for m in waiting], "at": timezone.now().isoformat()},
        )
        if counts.get("unconfigured"):
            self.message_user(
                request,
                _("%(count)d messages queued again; the e-ID address is not configured.")
                % {"count": counts["requeued"]},
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            _(
                "%(requeued)d messages retried: %(sent)d delivered, %(retry)d will be "
                "retried later, %(dead)d failed again."
            )
            % {
                "requeued": counts.get("requeued", 0),
                "sent": counts.get("sent", 0),
                "retry": counts.get("retry", 0) + counts.get("deferred", 0),
                "dead": counts.get("dead", 0),
            },
            messages.SUCCESS if not counts.get("dead") else messages.WARNING,
        )
