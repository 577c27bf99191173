"""Writing and checking the audit log."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from hocvu.audit.models import AuditEvent

GENESIS = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_LOCK_KEY = 0x686F6376


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "unit_path": event.unit_path,
        "data": event.data,
    }


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
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Serialize writers so two events never chain to the same predecessor.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").values_list("hash", flat=True).first()
        event = AuditEvent(
            at=timezone.now(),
            actor=actor if getattr(actor, "is_authenticated", False) else None,
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
    """Return the ``seq`` of the first event whose hash does not check, or None if all do."""
    prev = GENESIS
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.prev_hash != prev or event.hash != _digest(prev, _fields(event)):
            return event.seq
        prev = event.hash
    return None
