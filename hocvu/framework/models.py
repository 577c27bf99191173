"""The digital competence framework: versions, areas, competences, levels, role profiles.

Everything below a version belongs to that version. A published version is immutable;
change happens in a new draft that starts as a copy. Rows keep a ``uuid`` that stays the
same from one version to the next for the same concept (it is the CASE identifier), so a
learner's result measured against version 1 still names the competence in version 2.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

LEVELS = (1, 2, 3, 4)


class LevelNumber(models.IntegerChoices):
    BASIC = 1, _("Basic")
    INTERMEDIATE = 2, _("Intermediate")
    ADVANCED = 3, _("Advanced")
    SPECIALIZED = 4, _("Specialized")


class PublishedVersionError(ValueError):
    """A published framework version cannot change."""


class Framework(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")

    def __str__(self) -> str:
        return self.title


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class FrameworkVersion(models.Model):
    framework = models.ForeignKey(
        Framework, on_delete=models.PROTECT, related_name="versions", verbose_name=_("framework")
    )
    number = models.PositiveIntegerField(_("version number"))
    label = models.CharField(_("version label"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    based_on = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("based on"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("framework version")
        verbose_name_plural = _("framework versions")
        ordering = ["framework", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "number"], name="unique_version_number"),
            models.UniqueConstraint(
                fields=["framework"],
                condition=models.Q(status="draft"),
                name="one_draft_per_framework",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk and not self._state.adding:
            stored = FrameworkVersion.objects.filter(pk=self.pk).values_list("status", flat=True)
            if stored.first() == VersionStatus.PUBLISHED:
                raise PublishedVersionError("published framework versions are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_published:
            raise PublishedVersionError("published framework versions are immutable")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED


class VersionedPart(models.Model):
    """Base for rows that belong to a framework version and freeze with it."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._guard()
        return super().delete(*args, **kwargs)

    def owning_version_id(self) -> int:
        raise NotImplementedError

    def _guard(self) -> None:
        status = (
            FrameworkVersion.objects.filter(pk=self.owning_version_id())
            .values_list("status", flat=True)
            .first()
        )
        if status == VersionStatus.PUBLISHED:
            raise PublishedVersionError("published framework versions are immutable")


class LevelDefinition(VersionedPart):
    version = models.ForeignKey(FrameworkVersion, on_delete=models.CASCADE, related_name="levels")
    number = models.PositiveSmallIntegerField(_("level"), choices=LevelNumber.choices)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("name in English"), max_length=64, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["version", "number"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="unique_level_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"

    def owning_version_id(self) -> int:
        return self.version_id


class Area(VersionedPart):
    version = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="areas", verbose_name=_("version")
    )
    code = models.CharField(_("code"), max_length=16)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)

    class Meta:
        verbose_name = _("competence area")
        verbose_name_plural = _("competence areas")
        ordering = ["version", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_area_code")]

    def __str__(self) -> str:
        return f"{self.code}. {self.title}"

    def owning_version_id(self) -> int:
        return self.version_id


class Competence(VersionedPart):
    version = models.ForeignKey(
        FrameworkVersion,
        on_delete=models.CASCADE,
        related_name="competences",
        verbose_name=_("version"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="competences", verbose_name=_("area")
    )
    code = models.CharField(_("code"), max_length=16)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    work_context = models.TextField(_("in the work of deputies and officials"), blank=True)

    class Meta:
        verbose_name = _("competence")
        verbose_name_plural = _("competences")
        ordering = ["version", "area__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_competence_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def owning_version_id(self) -> int:
        return self.version_id


class CompetenceLevel(VersionedPart):
    """What a person can do at one level of one competence (the can-do statement)."""

    competence = models.ForeignKey(Competence, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(_("level"), choices=LevelNumber.choices)
    statement = models.TextField(_("can-do statement"))
    statement_en = models.TextField(_("can-do statement in English"), blank=True)

    class Meta:
        verbose_name = _("competence level")
        verbose_name_plural = _("competence levels")
        ordering = ["competence", "level"]
        constraints = [
            models.UniqueConstraint(fields=["competence", "level"], name="unique_competence_level")
        ]

    def __str__(self) -> str:
        return f"{self.competence.code} @ {self.level}"

    def owning_version_id(self) -> int:
        return self.competence.version_id


class Prerequisite(VersionedPart):
    """``target`` should be learned after ``requires``."""

    target = models.ForeignKey(
        CompetenceLevel, on_delete=models.CASCADE, related_name="prerequisites"
    )
    requires = models.ForeignKey(CompetenceLevel, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("prerequisite")
        verbose_name_plural = _("prerequisites")
        constraints = [
            models.UniqueConstraint(fields=["target", "requires"], name="unique_prerequisite")
        ]

    def __str__(self) -> str:
        return f"{self.target} ← {self.requires}"

    def owning_version_id(self) -> int:
        return self.target.competence.version_id


class RoleProfile(VersionedPart):
    """The target level of every competence for one role (deputy, official, ...)."""

    version = models.ForeignKey(
        FrameworkVersion,
        on_delete=models.CASCADE,
        related_name="role_profiles",
        verbose_name=_("version"),
    )
    code = models.SlugField(_("code"), max_length=64)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=255)
    title_en = models.CharField(_("title in English"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description in English"), blank=True)

    class Meta:
        verbose_name = _("role profile")
        verbose_name_plural = _("role profiles")
        ordering = ["version", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_role_profile_code")
        ]

    def __str__(self) -> str:
        return self.title

    def owning_version_id(self) -> int:
        return self.version_id


class RoleTarget(VersionedPart):
    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="targets")
    competence = models.ForeignKey(Competence, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(_("target level"), choices=LevelNumber.choices)

    class Meta:
        verbose_name = _("role target")
        verbose_name_plural = _("role targets")
        ordering = ["profile", "competence__code"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "competence"], name="unique_role_target")
        ]

    def __str__(self) -> str:
        return f"{self.profile.code}: {self.competence.code} → {self.level}"

    def owning_version_id(self) -> int:
        return self.profile.version_id
