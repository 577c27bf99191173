"""An append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One recorded action. Each row's hash covers its content and the previous hash."""

    seq = models.BigAutoField(_("number"), primary_key=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action code"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    unit_path = models.CharField(_("unit path"), max_length=255, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The chain this event belongs to: one per actor ("a<id>"), "system" for events without
    # one; NULL for the events written before streams existed (one platform-wide chain).
    # NULL, not "": a nullable column is added in place on SQLite, where a table rebuild
    # would drop the append-only trigger.
    stream = models.CharField(_("stream"), max_length=40, null=True, blank=True)  # noqa: DJ001
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["stream", "seq"], name="audit_stream_seq")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("audit events are append-only")
