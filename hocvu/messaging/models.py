"""The outbox: every message the platform sends leaves through a row written first.

:class:`OutboxRow` holds the delivery state shared by every outbox (this app's
:class:`Message` and the e-ID outbox of ``hocvu.credentials``); the one mechanism that
claims, retries and buries rows is ``hocvu.messaging.outbox``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Delivered")
    DEAD = "dead", _("Failed: needs an operator")


class OutboxRow(models.Model):
    """Delivery state of one outgoing message (abstract)."""

    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    ZALO = "zalo", _("Zalo")


class Message(OutboxRow):
    """One e-mail, SMS or Zalo message to one recipient.

    ``person_id`` is the id of the person it concerns (no foreign key: this app sits below
    identity); ``dedupe_key`` is unique, so enqueueing the same message twice stores one.
    """

    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.pk} ({self.status})"
