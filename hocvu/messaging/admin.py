"""The outbox in the admin, for national administrators: waiting and dead messages, the
last error, and "retry now" (audited). Message bodies are not shown (they may carry an
activation link)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from hocvu.identity import access
from hocvu.messaging import services
from hocvu.messaging.models import Message, OutboxStatus


def _national(request: HttpRequest) -> bool:
    return access.is_national(request.user, "platform.administer")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "pk",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "error",
        "person_id",
        "created_at",
        "sent_at",
    )
    list_filter = ("status", "channel")
    search_fields = ("=dedupe_key", "=person_id")
    ordering = ("status", "next_attempt_at")
    fields = (
        "channel",
        "recipient",
        "person_id",
        "subject",
        "dedupe_key",
        "idempotency_key",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ["retry"]

    @admin.display(description=_("last error"))
    def error(self, obj: Message) -> str:
        return Truncator(obj.last_error).chars(80)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _national(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _national(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return _national(request)

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        waiting = list(queryset.exclude(status=OutboxStatus.SENT)[:200])
        counts = services.retry(waiting, actor=request.user, send=True)
        self.message_user(
            request,
            _("%(requeued)d messages retried: %(sent)d delivered, %(dead)d failed again.")
            % {
                "requeued": counts.get("requeued", 0),
                "sent": counts.get("sent", 0),
                "dead": counts.get("dead", 0),
            },
            messages.SUCCESS,
        )
