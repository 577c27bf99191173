"""Writing to the outbox and the operator's actions on it.

Other apps call :func:`enqueue` (inside their own transaction when the message must leave
only if their change is stored) and never touch :class:`~hocvu.messaging.models.Message`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from hocvu.audit.services import record
from hocvu.messaging import outbox
from hocvu.messaging.models import Channel, Message, OutboxStatus

PHONE = re.compile(r"^\+?[0-9]{8,15}$")
MAX_BODY = 10_000


class MessageRejected(ValueError):
    """The message cannot be enqueued as given (unknown channel, bad address...)."""


def normalize_recipient(channel: str, recipient: str) -> str:
    """The address in one form, or :class:`MessageRejected`."""
    value = (recipient or "").strip()
    if channel == Channel.EMAIL:
        try:
            validate_email(value)
        except ValidationError as error:
            raise MessageRejected("not an e-mail address") from error
        local, _, domain = value.rpartition("@")
        return f"{local}@{domain.lower()}"
    if channel in (Channel.SMS, Channel.ZALO):
        digits = re.sub(r"[\s.()-]", "", value)
        if digits.startswith("0") and len(digits) == 10:  # Vietnamese national form
            digits = "+84" + digits[1:]
        elif digits.startswith("84") and len(digits) == 11:
            digits = "+" + digits
        if not PHONE.match(digits):
            raise MessageRejected("not a phone number")
        return digits if digits.startswith("+") else "+" + digits
    raise MessageRejected(f"unknown channel {channel!r}")


def enqueue(
    *,
    channel: str,
    recipient: str,
    subject: str = "",
    body: str = "",
    dedupe_key: str = "",
    person_id: int | None = None,
    payload: dict[str, Any] | None = None,
    send_after: datetime | None = None,
) -> Message:
    """Store one outgoing message; the delivery worker sends it.

    ``dedupe_key`` names the message in the caller's terms (e.g.
    ``"reminder:deadline:<campaign>:<person>:<date>"``): enqueueing again with the same key
    stores nothing and returns the first message. Without a key every call is a new message.
    """
    address = normalize_recipient(channel, recipient)
    if len(body) > MAX_BODY or len(subject) > 200:
        raise MessageRejected("message too long")
    key = (dedupe_key or f"auto:{uuid.uuid4().hex}")[:200]
    existing = Message.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Message.objects.create(
                channel=channel,
                recipient=address,
                person_id=person_id,
                subject=subject,
                body=body,
                payload=payload or {},
                dedupe_key=key,
                next_attempt_at=send_after or timezone.now(),
            )
    except IntegrityError:  # a concurrent enqueue of the same key won the race
        return Message.objects.get(dedupe_key=key)


def retry(messages: Iterable[Message], *, actor: Any = None, send: bool = False) -> dict[str, int]:
    """An operator's "retry now" on dead (or waiting) messages, audited."""
    rows = [m for m in messages if m.status != OutboxStatus.SENT]
    with transaction.atomic():
        counts = outbox.requeue(Message, [m.pk for m in rows])
        record(
            "messaging.retry",
            actor=actor,
            object_type="messaging.message",
            object_id=",".join(str(m.pk) for m in rows)[:200],
            data={"count": len(rows)},
        )
    if send and rows:
        from hocvu.messaging.delivery import deliver_messages

        counts.update(deliver_messages(limit=len(rows), ids=[m.pk for m in rows]))
    return counts
