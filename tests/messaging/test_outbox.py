"""The outbox mechanism: enqueue, claim, backoff, dead letters, operator retry.

Senders here are plain functions registered for a test channel; time is moved by passing
``now`` (no sleeping).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from hocvu.audit.models import AuditEvent
from hocvu.messaging import delivery, outbox, services
from hocvu.messaging.models import Message, OutboxStatus


@pytest.fixture
def test_channel() -> Iterator[list[Any]]:
    """Replace the e-mail sender by one that records, or raises what the test queues up."""
    calls: list[Any] = []
    failures: list[Exception] = []

    def send(message: Message) -> None:
        calls.append(message.pk)
        if failures:
            raise failures.pop(0)

    previous = delivery.sender_for("email")
    delivery.register_sender("email", send)
    calls.append(failures)  # the test reaches the failure queue as calls[0]
    try:
        yield calls
    finally:
        assert previous is not None
        delivery.register_sender("email", previous.send, configured=previous.configured)


def mail(key: str = "k-1", **kw: Any) -> Message:
    return services.enqueue(
        channel="email",
        recipient=kw.pop("recipient", "mai.dang@example.vn"),
        subject="Nhắc học",
        body="Chị Mai ơi, còn 7 ngày.",
        dedupe_key=key,
        person_id=kw.pop("person_id", 7),
        **kw,
    )


@pytest.mark.django_db
def test_enqueueing_twice_with_one_key_stores_one_message() -> None:
    first = mail("reminder:deadline:1:7")
    again = mail("reminder:deadline:1:7")
    other = mail("reminder:deadline:1:8", person_id=8)
    assert first.pk == again.pk != other.pk
    assert Message.objects.count() == 2
    assert first.status == OutboxStatus.PENDING and first.attempts == 0
    assert first.person_id == 7 and first.channel == "email"


@pytest.mark.django_db
def test_without_a_key_every_call_is_a_new_message() -> None:
    services.enqueue(channel="sms", recipient="0912 345 678", body="a")
    services.enqueue(channel="sms", recipient="+84912345678", body="a")
    assert list(Message.objects.values_list("recipient", flat=True)) == ["+84912345678"] * 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "recipient"),
    [("email", "not-an-address"), ("sms", "12"), ("zalo", "abc"), ("fax", "0912345678")],
)
def test_hostile_input_is_refused_and_stores_nothing(channel: str, recipient: str) -> None:
    with pytest.raises(services.MessageRejected):
        services.enqueue(channel=channel, recipient=recipient, body="x", dedupe_key="k")
    with pytest.raises(services.MessageRejected):
        services.enqueue(channel="email", recipient="a@b.vn", body="x" * 20_000)
    assert Message.objects.count() == 0


@pytest.mark.django_db
def test_a_message_is_sent_once_and_marked_sent(test_channel: list[Any]) -> None:
    message = mail()
    assert delivery.deliver_messages()["sent"] == 1
    assert delivery.deliver_messages()["sent"] == 0  # nothing left
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 1 and message.sent_at
    assert test_channel[1:] == [message.pk]


@pytest.mark.django_db
def test_a_failure_backs_off_and_the_message_is_sent_later(test_channel: list[Any]) -> None:
    failures = test_channel[0]
    failures.extend(outbox.RetryableError(f"down {n}") for n in range(3))
    message = mail()
    rng = random.Random(1)
    now = timezone.now()
    delays = []
    for attempt in range(1, 4):
        assert delivery.deliver_messages(now=now, rng=rng)["retry"] == 1
        message.refresh_from_db()
        assert message.status == OutboxStatus.PENDING and message.attempts == attempt
        assert f"down {attempt - 1}" in message.last_error
        delays.append(message.next_attempt_at - now)
        # Not due yet: a round a second early sends nothing.
        early = message.next_attempt_at - timedelta(seconds=1)
        assert delivery.deliver_messages(now=early)["sent"] == 0
        now = message.next_attempt_at
    assert delays[0] < delays[1] < delays[2] <= outbox.MAX_DELAY
    assert delivery.deliver_messages(now=now)["sent"] == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 4
    assert message.last_error == ""


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    rng = random.Random(3)
    for attempts in range(1, 12):
        full = min(outbox.BASE_DELAY * 2 ** (attempts - 1), outbox.MAX_DELAY)
        assert full * outbox.JITTER <= outbox.backoff(attempts, rng) <= full
    assert outbox.backoff(10_000, rng) <= outbox.MAX_DELAY


@pytest.mark.django_db
def test_a_permanent_failure_is_dead_at_once(test_channel: list[Any]) -> None:
    test_channel[0].append(outbox.PermanentError("550 no such user"))
    message = mail()
    assert delivery.deliver_messages()["dead"] == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD and message.attempts == 1
    assert "550" in message.last_error
    later = timezone.now() + timedelta(days=30)
    assert delivery.deliver_messages(now=later)["sent"] == 0  # the dead stay dead


@pytest.mark.django_db
def test_after_max_attempts_a_message_is_dead_and_an_operator_retries_it(
    test_channel: list[Any], world: Any
) -> None:
    failures = test_channel[0]
    failures.extend(outbox.RetryableError("timeout") for _ in range(outbox.MAX_ATTEMPTS))
    message = mail()
    rng = random.Random(2)
    now = timezone.now()
    for _ in range(outbox.MAX_ATTEMPTS):
        delivery.deliver_messages(now=now, rng=rng)
        message.refresh_from_db()
        now = message.next_attempt_at
    assert message.status == OutboxStatus.DEAD and message.attempts == outbox.MAX_ATTEMPTS
    assert delivery.deliver_messages(now=now + timedelta(days=30))["sent"] == 0

    counts = services.retry([message], actor=world.admin, send=True)
    assert counts["requeued"] == 1 and counts["sent"] == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and message.attempts == 1
    event = AuditEvent.objects.get(action="messaging.retry")
    assert event.actor_id == world.admin.pk and event.data == {"count": 1}
    # A sent message is never requeued.
    assert services.retry([message], actor=world.admin)["requeued"] == 0


@pytest.mark.django_db
def test_a_defect_in_a_sender_counts_as_a_failed_attempt(test_channel: list[Any]) -> None:
    test_channel[0].append(KeyError("template"))
    message = mail()
    assert delivery.deliver_messages()["retry"] == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and "KeyError" in message.last_error


@pytest.mark.django_db
def test_an_unconfigured_channel_waits_without_failing(settings: Any) -> None:
    settings.HOCVU_SMS_URL = ""
    message = services.enqueue(channel="sms", recipient="0912345678", body="x", dedupe_key="s")
    assert delivery.deliver_messages() == {"sent": 0, "retry": 0, "dead": 0, "deferred": 0}
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING and message.attempts == 0


@pytest.mark.django_db
def test_a_stale_claim_loses_the_race() -> None:
    """Two workers saw the same due row; only the first to claim it gets it."""
    message = mail()
    now = timezone.now()
    first = outbox.claim(Message, 10, now)
    second = outbox.claim(Message, 10, now)
    assert [m.pk for m in first] == [message.pk] and second == []
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENDING
    # A worker that died mid-send: after the lease the row is claimed again.
    again = outbox.claim(Message, 10, now + outbox.LEASE)
    assert [m.pk for m in again] == [message.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_send_a_message_twice() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is not shared between threads")
    for n in range(40):
        mail(f"k-{n}", person_id=n)
    sent: list[int] = []
    lock = threading.Lock()

    def send(message: Message) -> None:
        with lock:
            sent.append(message.pk)

    previous = delivery.sender_for("email")
    delivery.register_sender("email", send)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                delivery.deliver_messages(limit=5)
        except BaseException as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        assert previous is not None
        delivery.register_sender("email", previous.send, configured=previous.configured)
    assert errors == []
    assert sorted(sent) == sorted(Message.objects.values_list("pk", flat=True))
    assert Message.objects.filter(status=OutboxStatus.SENT).count() == 40
