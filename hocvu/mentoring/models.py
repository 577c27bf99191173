"""Colleagues who know helping colleagues who don't: requests for help and sessions held."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for a mentor")
    ACCEPTED = "accepted", _("Accepted")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class HelpRequest(models.Model):
    """A learner stuck on a competence asks a certified colleague for help.

    ``level`` is the level the learner needs (their role's target); ``mentor`` is set when
    the learner picked someone, or when a suggested colleague accepts an open request.
    """

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_requests"
    )
    competence = models.ForeignKey(
        "framework.Competence", on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("level needed"))
    message = models.CharField(_("message"), max_length=500, blank=True)
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mentoring",
    )
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "competence"],
                condition=models.Q(status__in=["open", "accepted"]),
                name="one_live_help_request_per_competence",
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.competence.code}"


class MentoringSession(models.Model):
    """One session a mentor held with a mentee (recorded by the mentor)."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("held on"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    note = models.CharField(_("what we worked on"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mentoring session")
        verbose_name_plural = _("mentoring sessions")

    def __str__(self) -> str:
        return f"{self.request} · {self.held_on}"
