"""Programs, modules, lessons (with revisions) and the item bank.

A lesson is a stable identity (module + level + position) that learners' progress points
at; its text lives in revisions. Authors edit a draft revision and publish it; learners
always read the published one, so a new version never loses anyone's progress.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from hocvu.content.media import UPLOAD_EXTENSIONS, study_minutes
from hocvu.framework.models import LevelNumber


class Program(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    framework_version = models.ForeignKey(
        "framework.FrameworkVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("framework version"),
    )

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")

    def __str__(self) -> str:
        return self.title


class Module(models.Model):
    """Teaches the levels of one competence, one lesson (or more) per level."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="modules", verbose_name=_("program")
    )
    code = models.CharField(_("code"), max_length=32)
    competence = models.ForeignKey(
        "framework.Competence",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("competence"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["program", "position"]
        constraints = [
            models.UniqueConstraint(fields=["program", "code"], name="unique_module_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class LessonKind(models.TextChoices):
    TEXT = "text", _("E-textbook")
    LECTURE = "lecture", _("Lecture")


class MediaStatus(models.TextChoices):
    NONE = "none", _("None")
    PROCESSING = "processing", _("Being converted")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Could not be converted")


class Lesson(models.Model):
    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="lessons", verbose_name=_("module")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=LevelNumber.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=16, choices=LessonKind.choices)
    published = models.ForeignKey(
        "LessonRevision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published revision"),
    )
    # A lecture's recording (audio or video) and its low-bandwidth rendition (content.media).
    video = models.FileField(
        _("recording, audio or video (optional)"),
        upload_to="lectures/",
        blank=True,
        validators=[FileExtensionValidator(list(UPLOAD_EXTENSIONS))],
    )
    media_low = models.FileField(
        _("rendition for slow networks"), upload_to="lectures/low/", blank=True, editable=False
    )
    media_low_bytes = models.PositiveBigIntegerField(
        _("rendition size (bytes)"), null=True, editable=False
    )
    media_kind = models.CharField(_("recording kind"), max_length=8, blank=True, editable=False)
    media_seconds = models.FloatField(_("recording length (s)"), null=True, editable=False)
    media_status = models.CharField(
        _("recording"),
        max_length=16,
        choices=MediaStatus.choices,
        default=MediaStatus.NONE,
        editable=False,
    )
    media_error = models.CharField(_("conversion problem"), max_length=255, blank=True)
    cites: models.ManyToManyField[LegalDocument, Any] = models.ManyToManyField(
        "LegalDocument", blank=True, related_name="lessons", verbose_name=_("cites")
    )
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    review_by = models.DateField(_("review by"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["module", "level", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "level", "position"], name="unique_lesson_place"
            )
        ]

    def __str__(self) -> str:
        title = self.published.title if self.published else "—"
        return f"{self.module.code} · {self.level} · {title}"


class RevisionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class LessonRevision(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    status = models.CharField(
        _("status"), max_length=16, choices=RevisionStatus.choices, default=RevisionStatus.DRAFT
    )
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    minutes = models.PositiveSmallIntegerField(_("study time (minutes)"), default=10)
    body = models.TextField(_("text (Markdown)"))
    transcript = models.TextField(_("lecture transcript"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lesson revision")
        verbose_name_plural = _("lesson revisions")
        ordering = ["lesson", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["lesson", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.title} (r{self.number}, {self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Study time is what the text and the recording take, never a typed guess.
        self.minutes = study_minutes(self.body, self.transcript, self.lesson.media_seconds)
        fields = kwargs.get("update_fields")
        if fields is not None and ({"body", "transcript"} & set(fields)):
            kwargs["update_fields"] = {*fields, "minutes"}
        super().save(*args, **kwargs)


class ItemKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True / false")
    ORDERING = "ordering", _("Ordering")
    SHORT_TEXT = "short_text", _("Short text")
    NUMERIC = "numeric", _("Numeric")
    SCENARIO = "scenario", _("Scenario with an image")


class ItemStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PILOT = "pilot", _("Pilot (shown, not scored)")
    OPERATIONAL = "operational", _("Operational")
    RETIRED = "retired", _("Retired")


class ItemPool(models.TextChoices):
    """What an item may be used for. The two pools never meet.

    Learning items serve placement, practice, mastery checks and review, where feedback and
    the key are shown. Secure exam items serve the certification exam only: no learner ever
    sees one with its key or feedback, anywhere.
    """

    LEARNING = "learning", _("Learning (placement, practice, checks, review)")
    EXAM = "exam", _("Secure exam")


class ParameterSource(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisional, from the level")
    CALIBRATED = "calibrated", _("Calibrated from answers")


class Item(models.Model):
    """A question. Its key (``answer``) never leaves the server before the answer is in."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("code"), max_length=64, unique=True)
    competence = models.ForeignKey(
        "framework.Competence",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("competence"),
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=LevelNumber.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=ItemKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.DRAFT
    )
    stem = models.TextField(_("question (Markdown)"))
    options = models.JSONField(_("options"), default=list, blank=True)
    answer = models.JSONField(_("key"))
    explanation = models.TextField(_("explanation"))
    image = models.CharField(_("image"), max_length=128, blank=True)
    pool = models.CharField(
        _("pool"), max_length=16, choices=ItemPool.choices, default=ItemPool.LEARNING
    )
    topic = models.CharField(
        _("topic"),
        max_length=128,
        blank=True,
        help_text=_("What the item tests. Exam items of one topic never share a form."),
    )
    enemies: models.ManyToManyField[Item, Any] = models.ManyToManyField(
        "self",
        symmetrical=True,
        blank=True,
        verbose_name=_("enemies"),
        help_text=_("Items that test the same thing: never two of them on one exam form."),
    )
    a = models.FloatField(_("discrimination a"), default=1.0)
    b = models.FloatField(_("difficulty b"), default=0.0)
    c = models.FloatField(_("guessing c"), default=0.0)
    se_a = models.FloatField(null=True, blank=True)
    se_b = models.FloatField(null=True, blank=True)
    parameter_source = models.CharField(
        max_length=16, choices=ParameterSource.choices, default=ParameterSource.PROVISIONAL
    )
    calibrated_at = models.DateTimeField(null=True, blank=True)
    # Classical statistics refreshed with each calibration.
    n_responses = models.PositiveIntegerField(default=0)
    p_value = models.FloatField(_("share correct"), null=True, blank=True)
    discrimination = models.FloatField(_("item-rest correlation"), null=True, blank=True)
    exposure = models.FloatField(_("exposure rate"), null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    cites: models.ManyToManyField[LegalDocument, Any] = models.ManyToManyField(
        "LegalDocument", blank=True, related_name="items", verbose_name=_("cites")
    )

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["competence__code", "level", "code"]
        indexes = [
            models.Index(fields=["status", "competence", "level"]),
            models.Index(fields=["pool", "status", "competence", "level"], name="item_pool_cell"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_secure(self) -> bool:
        return self.pool == ItemPool.EXAM


class DocumentKind(models.TextChoices):
    LAW = "law", _("Law")
    DECREE = "decree", _("Decree")
    DECISION = "decision", _("Decision")
    CIRCULAR = "circular", _("Circular")
    RESOLUTION = "resolution", _("Resolution")


class LegalDocument(models.Model):
    """A document the curriculum cites, so that a replaced one can be traced to its citers."""

    number = models.CharField(_("number"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=255)
    issuer = models.CharField(_("issuer"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    in_force_from = models.DateField(_("in force from"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("replaced by"),
    )
    replaced_on = models.DateField(_("replaced on"), null=True, blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("legal document")
        verbose_name_plural = _("legal documents")
        ordering = ["number"]

    lessons: models.Manager[Lesson]
    items: models.Manager[Item]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_replaced(self) -> bool:
        return self.replaced_on is not None or self.replaced_by_id is not None
