"""What the platform knows about each learner: proficiency, progress, review cards."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EstimateSource(models.TextChoices):
    PLACEMENT = "placement", _("Placement test")
    PRACTICE = "practice", _("Practice")
    MASTERY_CHECK = "mastery_check", _("Mastery check")


class Proficiency(models.Model):
    """Belief about one learner's ability in one competence: N(mean, sd²) on the θ scale."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proficiencies"
    )
    competence = models.ForeignKey(
        "framework.Competence", on_delete=models.PROTECT, related_name="+"
    )
    mean = models.FloatField()
    sd = models.FloatField()
    level = models.PositiveSmallIntegerField(_("level reached"))
    n_answers = models.PositiveIntegerField(default=0)
    n_correct = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=16, choices=EstimateSource.choices)
    # From placement against the role's targets (decision 0011): the posterior probability
    # that the competence is at its target, and whether placement left that undecided (the
    # path then asks for one short check first, which settles it).
    p_target = models.FloatField(_("probability at target"), null=True, blank=True)
    needs_check = models.BooleanField(_("short check needed"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("proficiency")
        verbose_name_plural = _("proficiencies")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "competence"], name="one_estimate_per_competence"
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.competence.code} · {self.level}"


class LessonProgress(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey("content.Lesson", on_delete=models.PROTECT, related_name="+")
    first_opened_at = models.DateTimeField(auto_now_add=True)
    last_opened_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [
            models.UniqueConstraint(fields=["learner", "lesson"], name="one_progress_per_lesson")
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.lesson_id}"


class ReviewCard(models.Model):
    """A spaced-review card (FSRS state as JSON) for one item a learner practised."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_cards"
    )
    item = models.ForeignKey("content.Item", on_delete=models.PROTECT, related_name="+")
    card = models.JSONField()
    due = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("review card")
        verbose_name_plural = _("review cards")
        constraints = [
            models.UniqueConstraint(fields=["learner", "item"], name="one_card_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.item_id} · {self.due:%Y-%m-%d}"


class StudyDay(models.Model):
    """A day on which the learner studied (for the streak)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_days"
    )
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "day"], name="one_study_day")]

    def __str__(self) -> str:
        return f"{self.learner} · {self.day}"
