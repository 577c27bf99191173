"""The delivery worker: per-channel senders and the outboxes the worker drains.

A sender is registered by channel name (``register_sender("email", send_email)``); it
takes a :class:`~hocvu.messaging.models.Message` and returns when the message was accepted,
raising :class:`~hocvu.messaging.outbox.RetryableError` or
:class:`~hocvu.messaging.outbox.PermanentError` otherwise. A sender whose ``configured()``
answers False leaves its messages waiting (not failing) until it is configured.

Other apps with their own outbox table built on the same mechanism (the e-ID push)
register a drain function with :func:`register_outbox`, so one worker
(``manage.py deliver_messages --loop``) delivers everything.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from hocvu.messaging import outbox
from hocvu.messaging.models import Message, OutboxStatus


@dataclass(frozen=True)
class Sender:
    send: Callable[[Message], object]
    configured: Callable[[], bool]


_SENDERS: dict[str, Sender] = {}
_OUTBOXES: dict[str, Callable[[int], dict[str, int]]] = {}


def _always() -> bool:
    return True


def register_sender(
    channel: str,
    send: Callable[[Message], object],
    *,
    configured: Callable[[], bool] = _always,
) -> None:
    """Make ``send`` the sender of ``channel`` (a later registration replaces it)."""
    _SENDERS[channel] = Sender(send, configured)


def sender_for(channel: str) -> Sender | None:
    return _SENDERS.get(channel)


def register_outbox(name: str, drain: Callable[[int], dict[str, int]]) -> None:
    """Have the worker call ``drain(limit)`` every round (another outbox table)."""
    _OUTBOXES[name] = drain


def _send(message: Message) -> None:
    sender = _SENDERS.get(message.channel)
    if sender is None:
        raise outbox.PermanentError(f"no sender for channel {message.channel!r}")
    sender.send(message)


def deliver_messages(
    limit: int = 100,
    *,
    now: datetime | None = None,
    ids: Iterable[int] | None = None,
    channels: Iterable[str] | None = None,
    rng: random.Random | None = None,
) -> dict[str, int]:
    """Send up to ``limit`` due messages of the configured channels."""
    ready = [name for name, sender in _SENDERS.items() if sender.configured()]
    if channels is not None:
        ready = [name for name in ready if name in set(channels)]
    if not ready:
        return {"sent": 0, "retry": 0, "dead": 0, "deferred": 0}
    counts = outbox.process(
        Message, _send, limit=limit, now=now, ids=ids, where=Q(channel__in=ready), rng=rng
    )
    if counts["sent"]:
        # Messages carrying a secret (an activation link) keep no copy once delivered.
        Message.objects.filter(status=OutboxStatus.SENT, payload__redact=True).exclude(
            body=""
        ).update(body="")
    return counts


def deliver_all(limit: int = 100) -> dict[str, dict[str, int]]:
    """One round of the worker: messages, then every registered outbox."""
    counts = {"messages": deliver_messages(limit)}
    for name, drain in sorted(_OUTBOXES.items()):
        counts[name] = drain(limit)
    return counts
