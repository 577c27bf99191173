"""The audit log as one hash chain per stream: writers of different streams never wait on
each other, and every stream still verifies, also after many concurrent writers."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.utils import timezone

from hocvu.audit.models import AuditEvent
from hocvu.audit.services import (
    GENESIS,
    SYSTEM_STREAM,
    _digest,
    _fields,
    record,
    stream_of,
    verify_chain,
)


def make_people(n: int) -> list[Any]:
    user_model = get_user_model()
    return [
        user_model.objects.create(username=f"audit{i}", full_name=f"Người {i}") for i in range(n)
    ]


@pytest.mark.django_db
def test_each_actor_has_a_chain_and_the_system_one() -> None:
    a, b = make_people(2)
    first = record("test.event", actor=a, object_type="thing", object_id="1")
    other = record("test.event", actor=b, object_type="thing", object_id="2")
    second = record("test.event", actor=a, object_type="thing", object_id="3")
    nobody = record("test.event", object_type="thing", object_id="4")
    assert first.stream == stream_of(a) == f"a{a.pk}" and other.stream == f"a{b.pk}"
    assert first.prev_hash == GENESIS and other.prev_hash == GENESIS
    assert second.prev_hash == first.hash, "an actor's events chain to each other"
    assert nobody.stream == SYSTEM_STREAM
    assert verify_chain() is None


@pytest.mark.django_db
def test_events_written_before_streams_still_verify() -> None:
    # The old platform-wide chain: stream NULL, chained in seq order, stream not hashed.
    prev = GENESIS
    for i in range(3):
        event = AuditEvent(
            at=timezone.now(),
            action="legacy.event",
            object_type="thing",
            object_id=str(i),
            data={"n": i},
            prev_hash=prev,
        )
        event.hash = _digest(prev, _fields(event))
        assert "stream" not in _fields(event)
        event.save()
        prev = event.hash
    (person,) = make_people(1)
    record("test.event", actor=person, object_type="thing", object_id="new")
    assert verify_chain() is None


@pytest.mark.django_db
def test_a_deleted_event_breaks_its_own_stream() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses the DELETE itself (tests/audit/test_audit.py)")
    a, b = make_people(2)
    mine = [record("test.event", actor=a, object_type="t", object_id=str(i)) for i in range(3)]
    theirs = [record("test.event", actor=b, object_type="t", object_id=str(i)) for i in range(3)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [theirs[1].seq])
    assert verify_chain() == theirs[2].seq
    assert all(e.stream != theirs[0].stream for e in mine)


@pytest.mark.django_db(transaction=True)
def test_the_chain_verifies_after_concurrent_writes() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serializes every writer: concurrency needs PostgreSQL")
    people = make_people(4)
    threads_n, per_thread = 8, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_n)

    def writer(k: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(per_thread):
                # Two threads share each actor, so one stream has concurrent writers;
                # every third event has no actor (the shared system stream).
                actor = None if i % 3 == 0 else people[k % len(people)]
                with transaction.atomic():
                    record("test.concurrent", actor=actor, object_type="t", object_id=f"{k}-{i}")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    events = list(AuditEvent.objects.filter(action="test.concurrent"))
    assert len(events) == threads_n * per_thread
    links = Counter((e.stream, e.prev_hash) for e in AuditEvent.objects.all())
    assert max(links.values()) == 1, "two events chained to the same predecessor"
    assert {e.stream for e in events} == {SYSTEM_STREAM} | {stream_of(p) for p in people}
    assert verify_chain() is None
