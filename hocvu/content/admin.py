"""Authoring in the admin: programs, modules, lessons with revisions, and the item bank.

Authors edit a draft revision of a lesson (with a live preview of the Markdown) and
publish it; published and archived revisions are read-only. Items move through
draft → pilot → operational → retired by actions that check the item first; their IRT
parameters and statistics come from recalibration (``hocvu.assessment.calibration``) and are
never typed in. Who may do this is decided by ``hocvu.identity.access`` (authors and
administrators), as for the framework.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from hocvu.audit import services as audit
from hocvu.content import flags, item_status, linter, media, services
from hocvu.content.admin_currency import (
    CurrencyColumn,
    LintMixin,
    OutdatedFilter,
    OverdueFilter,
    with_outdated,
)
from hocvu.content.models import (
    Item,
    ItemPool,
    ItemStatus,
    Lesson,
    LessonRevision,
    MediaStatus,
    Module,
    ParameterSource,
    Program,
    RevisionStatus,
)
from hocvu.content.rendering import render_markdown
from hocvu.content.scoring import check_key
from hocvu.identity import access
from hocvu.identity.admin_scoping import AuthorAdmin


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else formats.number_format(value, digits)


class AuthorInline:
    """Inline permissions from ``hocvu.identity.access``, like :class:`AuthorAdmin`."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.can(request.user, "framework.edit", None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --------------------------------------------------------------------------------------
# Programs and modules
# --------------------------------------------------------------------------------------


@admin.register(Program)
class ProgramAdmin(AuthorAdmin):
    list_display = ("code", "title", "framework_version")
    fields = ("code", "title", "title_en", "description", "framework_version")
    readonly_fields = ("code", "framework_version")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # programs are installed from the curriculum files

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The base class is generic only in django-stubs (no subscript at run time).
class LessonInline(AuthorInline, admin.TabularInline):  # type: ignore[type-arg]
    model = Lesson
    extra = 0
    fields = ("level", "position", "kind", "published_title", "has_draft")
    readonly_fields = fields
    show_change_link = True

    @admin.display(description=_("published title"))
    def published_title(self, obj: Lesson) -> str:
        return obj.published.title if obj.published else "—"

    @admin.display(description=_("draft in progress"), boolean=True)
    def has_draft(self, obj: Lesson) -> bool:
        return obj.revisions.filter(status=RevisionStatus.DRAFT).exists()


@admin.register(Module)
class ModuleAdmin(AuthorAdmin):
    list_display = ("code", "title", "competence", "program", "lesson_count")
    list_filter = ("program",)
    search_fields = ("code", "title", "title_en")
    fields = ("program", "code", "competence", "position", "title", "title_en", "summary")
    inlines = [LessonInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Module]:
        queryset: QuerySet[Module] = super().get_queryset(request)
        return queryset.select_related("competence", "program").annotate(n_lessons=Count("lessons"))

    @admin.display(description=_("lessons"), ordering="n_lessons")
    def lesson_count(self, obj: Any) -> int:
        return int(obj.n_lessons)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("program", "code", "competence") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # learners' progress points at the lessons


# --------------------------------------------------------------------------------------
# Lessons and their revisions
# --------------------------------------------------------------------------------------


def _revision_url(revision: LessonRevision) -> str:
    return reverse("admin:content_lessonrevision_change", args=[revision.pk])


def _when(value: Any) -> str:
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


class RevisionDates:
    @admin.display(description=_("created"), ordering="created_at")
    def created_on(self, obj: LessonRevision) -> str:
        return _when(obj.created_at)

    @admin.display(description=_("published"), ordering="published_at")
    def published_on(self, obj: LessonRevision) -> str:
        return _when(obj.published_at)


# The base class is generic only in django-stubs (no subscript at run time).
class RevisionInline(RevisionDates, AuthorInline, admin.TabularInline):  # type: ignore[type-arg]
    model = LessonRevision
    extra = 0
    fields = ("number", "status", "title", "created_on", "published_on")
    readonly_fields = fields
    show_change_link = True
    ordering = ("-number",)


class LessonForm(forms.ModelForm):  # type: ignore[type-arg]  # generic only in django-stubs
    def clean_video(self) -> Any:
        upload = self.cleaned_data.get("video")
        if upload and getattr(upload, "size", 0) > media.max_upload_bytes():
            raise forms.ValidationError(
                _("The recording is larger than %(mb)d MB.")
                % {"mb": media.max_upload_bytes() // (1024 * 1024)}
            )
        return upload


@admin.register(Lesson)
class LessonAdmin(CurrencyColumn, AuthorAdmin):
    list_display = (
        "__str__",
        "module",
        "level",
        "position",
        "kind",
        "revision",
        "has_draft",
        "outdated",
        "review_by",
    )
    list_filter = (
        OutdatedFilter,
        OverdueFilter,
        "cites",
        "level",
        "kind",
        "module__program",
        "module",
    )
    search_fields = ("module__code", "revisions__title")
    form = LessonForm
    fields = ("module", "level", "position", "kind", "video", "published")
    inlines = [RevisionInline]
    actions = ["new_draft"]
    change_form_template = "admin/content/lesson/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lesson]:
        return with_outdated(super().get_queryset(request).select_related("module", "published"))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        currency = ("cites", "reviewed_on", "review_by")
        if obj is not None:
            return (
                "module_name",
                "level",
                "place",
                "kind",
                "video",
                "recording",
                "published",
                *currency,
            )
        return ("module", "level", "position", "kind", "video", *currency)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is not None:
            return ("module_name", "level", "place", "kind", "recording", "published")
        return ()

    @admin.display(description=_("recording for learners"))
    def recording(self, obj: Lesson) -> str:
        if obj.media_status == MediaStatus.READY and obj.media_low:
            return _("Ready: %(length)s, %(size)s for slow networks") % {
                "length": formats.localize(round((obj.media_seconds or 0) / 60, 1)) + " ′",
                "size": filesizeformat(obj.media_low_bytes or 0),
            }
        if obj.media_status == MediaStatus.FAILED:
            return _("Could not be converted: %(why)s") % {"why": obj.media_error}
        return str(obj.get_media_status_display())

    def save_model(self, request: HttpRequest, obj: Lesson, form: Any, change: bool) -> None:
        replaced = "video" in form.changed_data
        if replaced:
            # Learners keep no stale rendition; the background step makes the new one.
            if obj.media_low:
                obj.media_low.delete(save=False)
            obj.media_low_bytes = None
            obj.media_status = MediaStatus.PROCESSING if obj.video else MediaStatus.NONE
            obj.media_error, obj.media_kind, obj.media_seconds = "", "", None
        super().save_model(request, obj, form, change)
        if replaced:
            lesson_id = obj.pk
            transaction.on_commit(lambda: media.render_lesson_media.enqueue(lesson_id))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/new-draft/",
                self.admin_site.admin_view(self.new_draft_view),
                name="content_lesson_new_draft",
            ),
            *super().get_urls(),
        ]

    def new_draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The "New draft" button of a lesson's page (a POST, like every change)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        lesson = self.get_object(request, object_id)
        if lesson is None or not self.has_change_permission(request, lesson):
            raise PermissionDenied
        return HttpResponseRedirect(
            _revision_url(services.draft_revision(lesson, actor=request.user))
        )

    @admin.display(description=_("module"))
    def module_name(self, obj: Lesson) -> str:
        return str(obj.module)

    @admin.display(description=_("position"))
    def place(self, obj: Lesson) -> int:
        return obj.position

    @admin.display(description=_("published revision"))
    def revision(self, obj: Lesson) -> str:
        return f"r{obj.published.number}" if obj.published else "—"

    @admin.display(description=_("draft in progress"), boolean=True)
    def has_draft(self, obj: Lesson) -> bool:
        return obj.revisions.filter(status=RevisionStatus.DRAFT).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # learners' progress points at the lesson

    @admin.action(description=_("New draft of the selected lessons"))
    def new_draft(
        self, request: HttpRequest, queryset: QuerySet[Lesson]
    ) -> HttpResponseRedirect | None:
        drafts = [services.draft_revision(lesson, actor=request.user) for lesson in queryset]
        if len(drafts) == 1:
            return HttpResponseRedirect(_revision_url(drafts[0]))
        self.message_user(request, _("%(n)d drafts ready.") % {"n": len(drafts)})
        return None


class RevisionForm(forms.ModelForm):  # type: ignore[type-arg]  # generic only in django-stubs
    class Meta:
        model = LessonRevision
        fields = ("title", "title_en", "body", "transcript")
        widgets = {
            "body": forms.Textarea(attrs={"rows": 24, "class": "hocvu-markdown"}),
            "transcript": forms.Textarea(attrs={"rows": 8}),
        }


@admin.register(LessonRevision)
class LessonRevisionAdmin(RevisionDates, AuthorAdmin):
    form = RevisionForm
    list_display = ("lesson_name", "number", "status", "title", "created_on", "published_on")
    list_filter = ("status", "lesson__module")
    search_fields = ("title", "title_en", "body")
    list_select_related = ("lesson__module", "lesson__published")
    fields = (
        "lesson_name",
        "number",
        "status",
        "title",
        "title_en",
        "minutes",
        "body",
        "transcript",
        "published_on",
    )
    # Study time follows from the text and the recording (content.media.study_minutes).
    readonly_fields = ("lesson_name", "number", "status", "minutes", "published_on")
    actions = ["publish"]
    change_form_template = "admin/content/lessonrevision/change_form.html"

    @admin.display(description=_("lesson"), ordering="lesson")
    def lesson_name(self, obj: LessonRevision) -> str:
        return str(obj.lesson)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # a draft starts from the lesson ("New draft"), numbered there

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != RevisionStatus.DRAFT:
            return False  # what learners read (or read before) stays as it was
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != RevisionStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # drafts are deleted one by one
        return actions

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        revision = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if revision is not None:
            context["preview"] = render_markdown(revision.body)
            context["preview_url"] = reverse("authoring-preview")
            context["can_publish"] = revision.status == RevisionStatus.DRAFT and (
                self.has_change_permission(request, revision)
            )
        return super().change_view(request, object_id, form_url, context)

    def save_model(
        self, request: HttpRequest, obj: LessonRevision, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "lesson.draft.edit",
            actor=request.user,
            obj=obj.lesson,
            data={"revision": obj.number, "fields": sorted(form.changed_data)},
        )

    def response_change(self, request: HttpRequest, obj: LessonRevision) -> HttpResponse:
        if "_publish" in request.POST:
            if self._publish_one(request, obj):
                return HttpResponseRedirect(
                    reverse("admin:content_lesson_change", args=[obj.lesson_id])
                )
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def _publish_one(self, request: HttpRequest, revision: LessonRevision) -> bool:
        try:
            services.publish_revision(revision, actor=request.user)
        except ValueError as exc:
            self.message_user(request, f"{revision}: {exc}", level=messages.ERROR)
            return False
        self.message_user(
            request,
            _("Published %(title)s (revision %(n)d); learners now read it.")
            % {"title": revision.title, "n": revision.number},
        )
        return True

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request: HttpRequest, queryset: QuerySet[LessonRevision]) -> None:
        for revision in queryset.select_related("lesson"):
            self._publish_one(request, revision)


# --------------------------------------------------------------------------------------
# The item bank
# --------------------------------------------------------------------------------------


def _enemy_proposals(version_id: int) -> list[linter.Finding]:
    """The linter's enemy proposals over the secure exam pool of a framework version."""
    pool = Item.objects.filter(
        competence__version_id=version_id, pool=ItemPool.EXAM
    ).select_related("competence")
    items = [linter.lint_item_of(i) for i in pool.exclude(status=ItemStatus.RETIRED)]
    links = Item.enemies.through.objects.filter(from_item__in=pool).values_list(
        "from_item__code", "to_item__code"
    )
    return linter.propose_enemies(items, linked=list(links))


class FlagFilter(admin.SimpleListFilter):
    title = _("flags")
    parameter_name = "flag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("any", _("any flag")), *flags.FLAG_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Item]) -> QuerySet[Item]:
        value = self.value()
        if value == "any":
            return queryset.exclude(flags=[])
        if value in flags.FLAG_LABELS:
            # Text search in the JSON list works on every database backend.
            return queryset.filter(flags__icontains=f'"{value}"')
        return queryset


class SourceFilter(admin.SimpleListFilter):
    title = _("parameters")
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (ParameterSource.PROVISIONAL, _("provisional")),
            (ParameterSource.CALIBRATED, _("calibrated")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Item]) -> QuerySet[Item]:
        value = self.value()
        return queryset.filter(parameter_source=value) if value else queryset


#: Fields fixed once an item is operational: changing them would change what its
#: calibrated parameters and its past answers mean.
LOCKED_WHEN_LIVE = ("competence", "level", "kind", "stem", "options", "answer")
STATISTICS = (
    "source",
    "par_a",
    "par_b",
    "par_c",
    "col_se_a",
    "col_se_b",
    "calibrated_on",
    "responses",
    "col_p",
    "col_r",
    "col_exposure",
    "flag_list",
)


class ItemForm(forms.ModelForm):  # type: ignore[type-arg]  # generic only in django-stubs
    class Meta:
        model = Item
        fields = (
            "code",
            "competence",
            "level",
            "kind",
            "stem",
            "options",
            "answer",
            "explanation",
            "image",
            "cites",
            "pool",
            "topic",
            "enemies",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "pool" in self.fields:
            self.fields["pool"].required = False  # left out: the learning pool

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if "pool" in self.fields and not data.get("pool"):
            data["pool"] = self.instance.pool or ItemPool.LEARNING
        enemies = data.get("enemies")
        if enemies is not None and self.instance.pk and enemies.filter(pk=self.instance.pk):
            self.add_error("enemies", _("An item cannot be its own enemy."))
        if "answer" in self.fields and {"kind", "answer"} <= set(data):
            options = data.get("options") or []
            if not isinstance(options, list):
                self.add_error("options", _("Options must be a list."))
                return data
            try:
                check_key(data["kind"], data["answer"], len(options))
            except ValueError as exc:
                self.add_error("answer", str(exc))
        return data


@admin.register(Item)
class ItemAdmin(LintMixin, CurrencyColumn, AuthorAdmin):
    form = ItemForm
    list_display = (
        "code",
        "competence_code",
        "level",
        "kind",
        "status",
        "pool",
        "col_a",
        "col_b",
        "col_c",
        "source",
        "responses",
        "col_p",
        "col_r",
        "col_exposure",
        "flag_list",
        "outdated",
    )
    list_filter = (
        OutdatedFilter,
        "cites",
        "status",
        "pool",
        FlagFilter,
        SourceFilter,
        "competence__version",
        "competence",
        "level",
        "kind",
    )
    list_select_related = ("competence",)
    search_fields = ("code", "stem")
    list_per_page = 100
    actions = ["to_pilot", "to_operational", "retire", "lint_selected", "link_proposed_enemies"]
    autocomplete_fields = ("enemies",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "status",
                    "competence",
                    "level",
                    "kind",
                    "stem",
                    "options",
                    "answer",
                    "explanation",
                    "image",
                    "cites",
                    "lint_findings",
                )
            },
        ),
        (
            _("Pool and enemies"),
            {"fields": ("pool", "topic", "enemies", "proposed_enemies")},
        ),
        (_("Parameters and statistics (from recalibration)"), {"fields": STATISTICS}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fixed: tuple[str, ...] = ("status", "lint_findings", "proposed_enemies", *STATISTICS)
        if not access.can(request.user, "item.view_secure", None):
            fixed = ("pool", *fixed)  # who may not see the secure pool cannot fill it
        if obj is not None and obj.status in (ItemStatus.OPERATIONAL, ItemStatus.RETIRED):
            return ("code", *LOCKED_WHEN_LIVE, *fixed)
        return fixed

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        items = with_outdated(super().get_queryset(request))
        if not access.can(request.user, "item.view_secure", None):
            # Secure exam items (and their keys) exist only for content authors.
            items = items.exclude(pool=ItemPool.EXAM)
        return items

    @admin.display(description=_("proposed enemies"))
    def proposed_enemies(self, obj: Item) -> str:
        if obj is None or obj.pk is None or obj.pool != ItemPool.EXAM:
            return "—"
        found = linter.findings_for(obj.code, _enemy_proposals(obj.competence.version_id))
        if not found:
            return str(_("None: no other secure exam item looks alike."))
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong>: {} <em>{}</em></li>",
                ((", ".join(c for c in f.codes if c != obj.code), f.message, f.fix) for f in found),
            ),
        )

    @admin.action(description=_("Link the proposed enemies among the selected items"))
    def link_proposed_enemies(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        chosen = {i.code: i for i in queryset.filter(pool=ItemPool.EXAM)}
        versions = {i.competence.version_id for i in chosen.values()}
        linked = 0
        for version_id in versions:
            for finding in _enemy_proposals(version_id):
                first, second = finding.codes
                if first in chosen and second in chosen:
                    chosen[first].enemies.add(chosen[second])
                    linked += 1
        if linked:
            audit.record(
                "item.enemies", actor=request.user, data={"pairs": linked, "items": len(chosen)}
            )
        self.message_user(request, _("%(n)d pairs linked as enemies.") % {"n": linked})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != ItemStatus.DRAFT:
            return False  # answered items are retired, never deleted
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # answered items are retired, never deleted
        return actions

    def save_model(self, request: HttpRequest, obj: Item, form: Any, change: bool) -> None:
        if obj.parameter_source == ParameterSource.PROVISIONAL:
            obj.a, obj.b, obj.c = services.provisional_parameters(
                obj.level, obj.kind, len(obj.options or [])
            )
        super().save_model(request, obj, form, change)
        audit.record(
            "item.edit" if change else "item.create",
            actor=request.user,
            obj=obj,
            data={"code": obj.code, "fields": sorted(form.changed_data)},
        )

    @admin.display(description=_("competence"), ordering="competence__code")
    def competence_code(self, obj: Item) -> str:
        return obj.competence.code

    @admin.display(description="a", ordering="a")
    def col_a(self, obj: Item) -> str:
        return _number(obj.a)

    @admin.display(description="b", ordering="b")
    def col_b(self, obj: Item) -> str:
        return _number(obj.b)

    @admin.display(description="c", ordering="c")
    def col_c(self, obj: Item) -> str:
        return _number(obj.c)

    @admin.display(description=_("discrimination a"))
    def par_a(self, obj: Item) -> str:
        return _number(obj.a, 3)

    @admin.display(description=_("difficulty b"))
    def par_b(self, obj: Item) -> str:
        return _number(obj.b, 3)

    @admin.display(description=_("guessing c"))
    def par_c(self, obj: Item) -> str:
        return _number(obj.c, 3)

    @admin.display(description=_("SE of a"))
    def col_se_a(self, obj: Item) -> str:
        return _number(obj.se_a, 3)

    @admin.display(description=_("SE of b"))
    def col_se_b(self, obj: Item) -> str:
        return _number(obj.se_b, 3)

    @admin.display(description=_("parameters"), ordering="parameter_source")
    def source(self, obj: Item) -> str:
        if obj.parameter_source == ParameterSource.CALIBRATED:
            return str(_("calibrated"))
        return str(_("provisional"))

    @admin.display(description=_("calibrated at"), ordering="calibrated_at")
    def calibrated_on(self, obj: Item) -> str:
        return _when(obj.calibrated_at)

    @admin.display(description=_("responses"), ordering="n_responses")
    def responses(self, obj: Item) -> int:
        return obj.n_responses

    @admin.display(description=_("p-value"), ordering="p_value")
    def col_p(self, obj: Item) -> str:
        return _number(obj.p_value)

    @admin.display(description=_("discrimination (r)"), ordering="discrimination")
    def col_r(self, obj: Item) -> str:
        return _number(obj.discrimination)

    @admin.display(description=_("exposure"), ordering="exposure")
    def col_exposure(self, obj: Item) -> str:
        return _number(obj.exposure)

    @admin.display(description=_("flags"))
    def flag_list(self, obj: Item) -> str:
        if not obj.flags:
            return "—"
        return format_html_join(
            ", ",
            '<strong class="hocvu-flag">{}</strong>',
            ((flags.FLAG_LABELS.get(f, f),) for f in obj.flags),
        )

    def _move(self, request: HttpRequest, queryset: QuerySet[Item], target: str) -> None:
        moved = 0
        for item in queryset:
            problems = item_status.move_item(item, target, actor=request.user)
            if problems:
                self.message_user(
                    request, f"{item.code}: {'; '.join(problems)}", level=messages.ERROR
                )
                continue
            moved += 1
        if moved:
            self.message_user(
                request,
                _("%(n)d item(s) now %(status)s.")
                % {"n": moved, "status": ItemStatus(target).label},
            )

    @admin.action(description=_("Start piloting (shown unscored in placement tests)"))
    def to_pilot(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        self._move(request, queryset, ItemStatus.PILOT)

    @admin.action(description=_("Make operational (scored)"))
    def to_operational(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        self._move(request, queryset, ItemStatus.OPERATIONAL)

    @admin.action(description=_("Retire"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        self._move(request, queryset, ItemStatus.RETIRED)
