"""Issuer keys, achievements, issued credentials, status lists and the e-ID outbox."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hocvu.messaging.models import OutboxRow, OutboxStatus

__all__ = [
    "Achievement",
    "Credential",
    "EidOutbox",
    "IssuerIdentifier",
    "IssuerKey",
    "OutboxStatus",
    "StatusList",
]


class IssuerKey(models.Model):
    """An Ed25519 key of the issuer. Keys rotate; old public keys stay published so
    certificates signed with them still verify. The private key is encrypted at rest."""

    key_id = models.CharField(max_length=64, unique=True)  # the fragment in did:web:...#<key_id>
    public_key_multibase = models.CharField(max_length=128)
    private_key_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)  # no longer signs; still verifies
    revoked_at = models.DateTimeField(null=True, blank=True)  # compromised: signatures invalid

    class Meta:
        verbose_name = _("issuer key")
        verbose_name_plural = _("issuer keys")

    def __str__(self) -> str:
        return self.key_id


class IssuerIdentifier(models.Model):
    """A DID this installation has signed certificates under (``did:web`` of the public URL
    at the time). Kept for good: a certificate verifies under the identifier it was signed
    with, whatever ``PUBLIC_URL`` says today (docs/verifying-certificates.md, domain moves)."""

    did = models.CharField(max_length=255, unique=True)
    public_url = models.CharField(max_length=255)
    first_used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("issuer identifier")
        verbose_name_plural = _("issuer identifiers")

    def __str__(self) -> str:
        return self.did


class Achievement(models.Model):
    """What a certificate certifies: a program level, aligned to framework competences."""

    uid = models.UUIDField(_("identifier"), default=uuid.uuid4, unique=True, editable=False)
    program = models.ForeignKey(
        "content.Program", on_delete=models.PROTECT, related_name="+", verbose_name=_("program")
    )
    role_profile = models.ForeignKey(
        "framework.RoleProfile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("role profile"),
    )
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    criteria = models.TextField(_("criteria"))

    class Meta:
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")

    def __str__(self) -> str:
        return self.name


class StatusList(models.Model):
    """A W3C Bitstring Status List (revocation) of up to ``size`` credentials."""

    purpose = models.CharField(max_length=16, default="revocation")
    size = models.PositiveIntegerField(default=131072)
    bits = models.BinaryField()  # size/8 bytes, bit i set = credential at index i revoked
    next_index = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"


class Credential(models.Model):
    """One issued certificate: the signed Open Badges 3.0 credential, as data integrity
    JSON-LD and as a VC-JWT."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credentials"
    )
    achievement = models.ForeignKey(Achievement, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    key = models.ForeignKey(IssuerKey, on_delete=models.PROTECT, related_name="+")
    status_list = models.ForeignKey(StatusList, on_delete=models.PROTECT, related_name="+")
    status_index = models.PositiveIntegerField()
    document = models.JSONField()  # the credential with its DataIntegrityProof
    jwt = models.TextField()  # the same credential as a VC-JWT
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["status_list", "status_index"], name="unique_status_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.achievement} · {self.learner}"


class EidOutbox(OutboxRow):
    """A certificate to push to the national e-ID platform. Written in the same
    transaction as the certificate, so nothing is lost while the e-ID side is down.
    Delivered by the shared outbox mechanism (``hocvu.messaging.outbox``)."""

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, default="issue")  # issue | revoke

    class Meta:
        verbose_name = _("e-ID outbox message")
        verbose_name_plural = _("e-ID outbox")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.credential_id} ({self.status})"
