"""Consent to the privacy notice, and requests about one's personal data.

Law on Personal Data Protection 91/2025/QH15 and Decree 356/2025/NĐ-CP (docs/privacy.md):
consent is recorded with its time and the notice version it was given to; a request
(access, correction, deletion, objection, withdrawal) is tracked against its deadlines.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Consent(models.Model):
    """One "I agree" to one version of the privacy notice (never edited; a withdrawal is
    stored on it)."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_consents"
    )
    notice_version = models.CharField(_("notice version"), max_length=32)
    given_at = models.DateTimeField(_("given at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["person", "notice_version"])]

    def __str__(self) -> str:
        return f"{self.notice_version} {self.given_at:%Y-%m-%d %H:%M}"


class RequestKind(models.TextChoices):
    ACCESS = "access", _("A copy of my data")
    CORRECTION = "correction", _("Correct my data")
    DELETION = "deletion", _("Delete my data")
    OBJECTION = "objection", _("Restrict or object to processing")
    WITHDRAWAL = "withdrawal", _("Withdraw my consent")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("Being handled")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused, with reasons")


OPEN_STATUSES = (RequestStatus.RECEIVED, RequestStatus.IN_PROGRESS)


class DataRequest(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_requests"
    )
    kind = models.CharField(_("request"), max_length=16, choices=RequestKind.choices)
    details = models.TextField(_("details"), max_length=2000, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    answer_by = models.DateTimeField(_("answer by"))
    complete_by = models.DateTimeField(_("complete by"))
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    response = models.TextField(_("response"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        indexes = [models.Index(fields=["status", "complete_by"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.received_at:%Y-%m-%d}"

    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, now: object = None) -> bool:
        moment = now or timezone.now()
        if not self.is_open():
            return False
        late_answer = self.answered_at is None and self.answer_by < moment  # type: ignore[operator]
        return bool(late_answer or self.complete_by < moment)  # type: ignore[operator]
