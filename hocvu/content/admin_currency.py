"""Keeping content current in the authoring admin: the registry of cited documents,
the flags on lessons and items that cite a replaced one, and the bank linter.

Imported by ``hocvu.content.admin`` (which registers the lesson and item admins and mixes
these pieces in), so that admin module stays about editing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from hocvu.audit import services as audit
from hocvu.content import linter, services
from hocvu.content.models import Item, LegalDocument, Lesson
from hocvu.identity.admin_scoping import AuthorAdmin

REPLACED = Q(cites__replaced_on__isnull=False) | Q(cites__replaced_by__isnull=False)


def with_outdated(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate ``n_outdated``: how many replaced documents the row cites."""
    annotated: QuerySet[Any] = queryset.annotate(
        n_outdated=Count("cites", filter=REPLACED, distinct=True)
    )
    return annotated


class OutdatedFilter(admin.SimpleListFilter):
    title = _("currency")
    parameter_name = "outdated"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("yes", _("cites a replaced document")),
            ("no", _("cites only documents in force")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        replaced = services.replaced_documents()
        if self.value() == "yes":
            return queryset.filter(cites__in=replaced).distinct()
        if self.value() == "no":
            return queryset.exclude(cites__in=replaced)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("review")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("review date passed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "overdue":
            return queryset.filter(review_by__lt=timezone.localdate())
        return queryset


class CurrencyColumn:
    """The "outdated" column of the lesson and item lists."""

    @admin.display(description=_("outdated"), boolean=True, ordering="n_outdated")
    def outdated(self, obj: Any) -> bool:
        n = getattr(obj, "n_outdated", None)
        if n is None:
            n = obj.cites.filter(
                Q(replaced_on__isnull=False) | Q(replaced_by__isnull=False)
            ).count()
        return bool(n)

    @admin.display(description=_("cites"))
    def cited(self, obj: Any) -> str:
        documents = list(obj.cites.all())
        if not documents:
            return "—"
        return format_html_join(
            ", ",
            '<span class="{}">{}</span>',
            (("hocvu-flag" if d.is_replaced else "", d.number) for d in documents),
        )


# --------------------------------------------------------------------------------------
# The bank linter in the item admin
# --------------------------------------------------------------------------------------


def _bank_for(item: Item) -> list[linter.LintItem]:
    bank = Item.objects.filter(competence__version_id=item.competence.version_id).select_related(
        "competence"
    )
    return [linter.lint_item_of(i) for i in bank.exclude(status="retired")]


def _media() -> list[str]:
    return [p.name for p in services.MEDIA.glob("*")]


class LintMixin:
    """The linter's findings on an item's page, and a changelist action for a selection."""

    @admin.display(description=_("linter"))
    def lint_findings(self, obj: Item) -> str:
        if obj is None or obj.pk is None:
            return "—"
        found = linter.findings_for(obj.code, linter.lint(_bank_for(obj), media=_media()))
        if not found:
            return str(_("No findings."))
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong>: {} <em>{}</em></li>",
                ((f.check, f.message, f.fix) for f in found),
            ),
        )

    @admin.action(description=_("Lint the selected items"))
    def lint_selected(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        items = [linter.lint_item_of(i) for i in queryset.select_related("competence")]
        found = linter.lint(items, media=_media())
        if not found:
            self.message_user(request, _("The linter found nothing."))  # type: ignore[attr-defined]
            return
        for finding in found[:50]:
            self.message_user(request, str(finding), level=messages.WARNING)  # type: ignore[attr-defined]
        if len(found) > 50:
            self.message_user(  # type: ignore[attr-defined]
                request, _("%(n)d more findings.") % {"n": len(found) - 50}, level=messages.WARNING
            )


# --------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------


@admin.register(LegalDocument)
class LegalDocumentAdmin(AuthorAdmin):
    list_display = (
        "number",
        "title",
        "issuer",
        "kind",
        "in_force_from",
        "replaced",
        "replaced_by",
        "replaced_on",
        "citing_lessons",
        "citing_items",
    )
    list_filter = ("kind",)
    search_fields = ("number", "title")
    fields = (
        "number",
        "title",
        "issuer",
        "kind",
        "in_force_from",
        "source_url",
        "replaced_by",
        "replaced_on",
    )
    actions = ["mark_replaced_today"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_list_template = "admin/content/legaldocument/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[LegalDocument]:
        queryset: QuerySet[LegalDocument] = super().get_queryset(request)
        return queryset.select_related("replaced_by").annotate(
            n_lessons=Count("lessons", distinct=True), n_items=Count("items", distinct=True)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # lessons and items point at it; mark it replaced instead

    @admin.display(description=_("replaced"), boolean=True)
    def replaced(self, obj: LegalDocument) -> bool:
        return obj.is_replaced

    @admin.display(description=_("lessons citing"), ordering="n_lessons")
    def citing_lessons(self, obj: Any) -> str:
        url = reverse("admin:content_lesson_changelist") + f"?cites__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_lessons)

    @admin.display(description=_("items citing"), ordering="n_items")
    def citing_items(self, obj: Any) -> str:
        url = reverse("admin:content_item_changelist") + f"?cites__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_items)

    def save_model(self, request: HttpRequest, obj: LegalDocument, form: Any, change: bool) -> None:
        replacing = {"replaced_by", "replaced_on"} & set(form.changed_data)
        if change and replacing:
            # The rest of the form first, then the audited replacement.
            fields = [f for f in form.changed_data if f not in ("replaced_by", "replaced_on")]
            if fields:
                LegalDocument.objects.filter(pk=obj.pk).update(
                    **{f: form.cleaned_data[f] for f in fields}
                )
            try:
                services.mark_replaced(
                    obj,
                    replaced_by=form.cleaned_data.get("replaced_by"),
                    replaced_on=form.cleaned_data.get("replaced_on"),
                    actor=request.user,
                )
            except ValueError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
            return
        super().save_model(request, obj, form, change)
        audit.record(
            "document.edit" if change else "document.create",
            actor=request.user,
            obj=obj,
            data={"number": obj.number, "fields": sorted(form.changed_data)},
        )

    @admin.action(description=_("Mark the selected documents replaced as of today"))
    def mark_replaced_today(self, request: HttpRequest, queryset: QuerySet[LegalDocument]) -> None:
        today = timezone.localdate()
        for document in queryset:
            services.mark_replaced(
                document, replaced_by=document.replaced_by, replaced_on=today, actor=request.user
            )
        self.message_user(
            request,
            _("%(n)d document(s) marked replaced; their lessons and items are flagged.")
            % {"n": queryset.count()},
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = dict(extra_context or {})
        context["currency"] = currency_counts()
        return super().changelist_view(request, context)


def currency_counts() -> dict[str, Any]:
    """The authors' dashboard: what needs attention to keep content current."""
    return {
        "replaced_documents": services.replaced_documents().count(),
        "outdated_lessons": services.outdated_lessons().count(),
        "outdated_items": services.outdated_items().count(),
        "overdue_lessons": services.overdue_lessons().count(),
        "lessons_url": reverse("admin:content_lesson_changelist") + "?outdated=yes",
        "items_url": reverse("admin:content_item_changelist") + "?outdated=yes",
        "overdue_url": reverse("admin:content_lesson_changelist") + "?review=overdue",
    }


__all__ = [
    "CurrencyColumn",
    "LegalDocumentAdmin",
    "Lesson",
    "LintMixin",
    "OutdatedFilter",
    "OverdueFilter",
    "currency_counts",
    "with_outdated",
]
