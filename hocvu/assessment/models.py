"""Attempts (placement, practice, mastery checks) and the answers given in them.

Responses are the platform's data asset: append-only, each carrying the id the client
generated for it, unique, so that a retry, a double tap or an offline replay is
recognised and never stored twice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AttemptKind(models.TextChoices):
    PLACEMENT = "placement", _("Placement test")
    PRACTICE = "practice", _("Practice")
    MASTERY_CHECK = "mastery_check", _("Mastery check")
    REVIEW = "review", _("Daily review")
    EXAM = "exam", _("Certification exam")


#: Attempts whose answers get immediate feedback (right/wrong and the explanation). Never
#: the placement test (it would teach the test) nor an exam (it would leak the key).
FEEDBACK_KINDS = frozenset({"practice", "mastery_check", "review"})


class AttemptStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    FINISHED = "finished", _("Finished")
    ABANDONED = "abandoned", _("Abandoned")


class Attempt(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AttemptKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.ACTIVE
    )
    module = models.ForeignKey(
        "content.Module", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    framework_version = models.ForeignKey(
        "framework.FrameworkVersion", on_delete=models.PROTECT, related_name="+"
    )
    seed = models.BigIntegerField()
    # The adaptive engine's JSON state, or the fixed list of item codes still to come.
    state = models.JSONField(default=dict)
    pending_item = models.ForeignKey(
        "content.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    n_answered = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        indexes = [models.Index(fields=["learner", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.learner} · {self.started_at:%Y-%m-%d}"


class Response(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="responses")
    item = models.ForeignKey("content.Item", on_delete=models.PROTECT, related_name="responses")
    answer_id = models.UUIDField(_("client answer id"), unique=True)
    answer = models.JSONField()
    score = models.PositiveSmallIntegerField()
    scored = models.BooleanField(default=True, help_text=_("False for pilot items"))
    position = models.PositiveIntegerField()
    seconds = models.FloatField(null=True, blank=True)
    answered_at = models.DateTimeField(help_text=_("when the learner answered (device clock)"))
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "item"], name="one_response_per_item"),
        ]
        indexes = [models.Index(fields=["item", "scored"])]

    def __str__(self) -> str:
        return f"{self.attempt_id} · {self.item_id} · {self.score}"


class BankRevision(models.Model):
    """Changes whenever a framework version's item bank may have changed (an item saved,
    moved or recalibrated), so the engine's cached view of the bank is rebuilt only then."""

    framework_version = models.OneToOneField(
        "framework.FrameworkVersion", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("item bank revision")
        verbose_name_plural = _("item bank revisions")

    def __str__(self) -> str:
        return f"{self.framework_version_id} · {self.token}"


class ItemExposure(models.Model):
    """How many placement attempts showed the item: a running count, so starting a test
    reads one row per item whatever the length of the response history."""

    item = models.OneToOneField(
        "content.Item", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("item exposure")
        verbose_name_plural = _("item exposures")

    def __str__(self) -> str:
        return f"{self.item_id} · {self.attempts}"


class PlacementCount(models.Model):
    """How many placement attempts a framework version has had (exposure's denominator)."""

    framework_version = models.OneToOneField(
        "framework.FrameworkVersion", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    sessions = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("placement count")
        verbose_name_plural = _("placement counts")

    def __str__(self) -> str:
        return f"{self.framework_version_id} · {self.sessions}"


class PlacementPrior(models.Model):
    """The prior of placement against targets for one role (decision 0011): the role's
    mean ability per competence and the variance components (general, area, competence)
    estimated from earlier placements (empirical Bayes, ``manage.py fit_placement_prior``).
    Rows are added, never changed: a placement records the prior it started with."""

    framework_version = models.ForeignKey(
        "framework.FrameworkVersion", on_delete=models.CASCADE, related_name="+"
    )
    role_code = models.CharField(_("role"), max_length=64)
    prior = models.JSONField()
    n_learners = models.PositiveIntegerField(default=0)
    fitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("placement prior")
        verbose_name_plural = _("placement priors")
        indexes = [models.Index(fields=["framework_version", "role_code", "-fitted_at"])]

    def __str__(self) -> str:
        return f"{self.framework_version_id} · {self.role_code} · {self.n_learners}"
