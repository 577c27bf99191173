"""Writing and checking the audit log.

The log is a set of hash chains, one per stream: each actor's events form one chain
(``a<id>``), events without an actor another (``system``). A writer locks only its own
stream, so learners starting and finishing tests at the same minute never wait on each
other; the events written before streams existed form one platform-wide chain (stream
NULL) and still verify as such.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from hocvu.audit.models import AuditEvent

GENESIS = "0" * 64
SYSTEM_STREAM = "system"


def stream_of(actor: Any) -> str:
    """The chain an event by ``actor`` (a user or None) is appended to."""
    pk = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    return SYSTEM_STREAM if pk is None else f"a{pk}"


def _lock_key(stream: str) -> int:
    # A signed 64-bit advisory lock key per stream; a collision only makes two streams wait.
    return int.from_bytes(hashlib.sha256(f"audit:{stream}".encode()).digest()[:8], signed=True)


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "unit_path": event.unit_path,
        "data": event.data,
    }
    if event.stream is not None:  # the hash binds the event to its chain
        fields["stream"] = event.stream
    return fields


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    unit_path: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Never put personal data such as ID numbers in ``data``."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    stream = stream_of(actor)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Serialize the writers of one stream so two events never chain to the same
            # predecessor; other streams go on (SQLite serializes every writer anyway).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(stream)])
        last = (
            AuditEvent.objects.filter(stream=stream)
            .order_by("-seq")
            .values_list("hash", flat=True)
            .first()
        )
        event = AuditEvent(
            at=timezone.now(),
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            stream=stream,
            action=action,
            object_type=object_type,
            object_id=object_id,
            unit_path=unit_path,
            data=data or {},
            prev_hash=last or GENESIS,
        )
        event.hash = _digest(event.prev_hash, _fields(event))
        event.save()
    return event


def verify_chain() -> int | None:
    """Return the lowest ``seq`` of an event whose hash does not check, or None if all do.

    Each stream is checked on its own, in ``seq`` order; a deleted or altered event breaks
    its successor in the same stream.
    """
    broken: list[int] = []
    current: object = object()  # no stream yet
    prev = GENESIS
    failed = False
    events = AuditEvent.objects.order_by("stream", "seq").iterator(chunk_size=2000)
    for event in events:
        if event.stream != current:
            current, prev, failed = event.stream, GENESIS, False
        if failed:
            continue
        if event.prev_hash != prev or event.hash != _digest(prev, _fields(event)):
            broken.append(event.seq)
            failed = True  # the first break of a stream is the one to report
            continue
        prev = event.hash
    return min(broken) if broken else None
