from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from hocvu.audit.models import AuditEvent
from hocvu.audit.services import record, verify_chain


@pytest.mark.django_db
def test_the_chain_verifies_and_reveals_tampering() -> None:
    for i in range(5):
        record("test.event", object_type="thing", object_id=str(i), data={"n": i})
    assert verify_chain() is None
    second = AuditEvent.objects.order_by("seq")[1]
    with pytest.raises(ValueError, match="append-only"):
        second.data = {"n": 99}
        second.save()
    with pytest.raises(ValueError, match="append-only"):
        second.delete()


@pytest.mark.django_db
def test_the_database_refuses_updates() -> None:
    record("test.event", object_type="thing", object_id="1")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged'")
    assert AuditEvent.objects.get().action == "test.event"


@pytest.mark.django_db
def test_a_deleted_event_is_refused_or_detected() -> None:
    events = [record("test.event", object_type="thing", object_id=str(i)) for i in range(3)]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [events[1].seq])
    except DatabaseError:
        assert connection.vendor == "postgresql"  # the trigger refused it
        assert AuditEvent.objects.count() == 3
    else:
        assert verify_chain() == events[2].seq
