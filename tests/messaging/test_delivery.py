"""Delivery through the stand-in SMTP server and SMS/Zalo gateway, each a real process.

"Down" is real: the SMTP stand-in answers 421 while its down-file exists or refuses
connections when stopped; the gateway answers 503. Nothing is lost meanwhile, and every
message arrives exactly once after the server comes back. Time is moved with ``now``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from hocvu.messaging import delivery, services
from hocvu.messaging.models import Message, OutboxStatus
from tests.messaging.conftest import GATEWAY_TOKEN, SmtpStandin, call, received


def due_round(**kw: Any) -> dict[str, int]:
    """A delivery round at the moment every waiting message is due."""
    waiting = Message.objects.exclude(status__in=[OutboxStatus.SENT, OutboxStatus.DEAD])
    last = waiting.order_by("-next_attempt_at").first()
    now = max(timezone.now(), last.next_attempt_at) if last else timezone.now()
    return delivery.deliver_messages(now=now, **kw)


@pytest.mark.django_db
def test_an_email_reaches_the_smtp_server(smtp: SmtpStandin) -> None:
    message = services.enqueue(
        channel="email",
        recipient="Mai.Dang@Example.VN",
        subject="Kích hoạt tài khoản học số",
        body="Chào chị Đặng Thị Mai, mã kích hoạt của chị là ABCD-EFGH.",
        dedupe_key="activation:1",
        person_id=1,
    )
    assert delivery.deliver_messages()["sent"] == 1
    mails = smtp.mails()
    assert len(mails) == 1
    assert mails[0]["rcpt_tos"] == ["Mai.Dang@example.vn"]
    assert mails[0]["subject"] == "Kích hoạt tài khoản học số"
    assert "Đặng Thị Mai" in mails[0]["body"]
    assert str(message.idempotency_key) in mails[0]["message_id"]


@pytest.mark.django_db
def test_smtp_down_then_up_delivers_each_mail_exactly_once(smtp: SmtpStandin) -> None:
    for n in range(3):
        services.enqueue(
            channel="email",
            recipient=f"p{n}@example.vn",
            subject="Nhắc",
            body="b",
            dedupe_key=f"m{n}",
        )
    smtp.down_file.touch()  # answers 421
    assert due_round()["retry"] == 3
    smtp.stop()  # refuses connections
    assert due_round()["retry"] == 3
    assert smtp.mails() == []
    assert set(Message.objects.values_list("status", flat=True)) == {OutboxStatus.PENDING}
    assert set(Message.objects.values_list("attempts", flat=True)) == {2}

    smtp.down_file.unlink()
    smtp.start()
    assert due_round()["sent"] == 3
    assert due_round()["sent"] == 0
    later = timezone.now() + timedelta(days=3)
    assert delivery.deliver_messages(now=later)["sent"] == 0
    assert sorted(m["rcpt_tos"][0] for m in smtp.mails()) == [f"p{n}@example.vn" for n in range(3)]
    assert set(Message.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


@pytest.mark.django_db
def test_a_refused_recipient_is_dead_at_once(smtp: SmtpStandin) -> None:
    message = services.enqueue(
        channel="email", recipient="nobody@invalid.example", body="b", dedupe_key="x"
    )
    assert delivery.deliver_messages()["dead"] == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD and "550" in message.last_error


@pytest.mark.django_db
def test_sms_and_zalo_reach_the_gateway(gateway: str) -> None:
    sms = services.enqueue(
        channel="sms", recipient="0912 345 678", body="Mã kích hoạt: ABCD", dedupe_key="s1"
    )
    zalo = services.enqueue(
        channel="zalo",
        recipient="+84987654321",
        body="Nhắc học",
        dedupe_key="z1",
        payload={"template": "reminder_deadline", "params": {"days": 7}},
    )
    assert delivery.deliver_messages()["sent"] == 2
    got = {m["channel"]: m for m in received(gateway)["messages"]}
    assert got["sms"]["to"] == "+84912345678" and got["sms"]["text"] == "Mã kích hoạt: ABCD"
    assert got["sms"]["message_id"] == str(sms.idempotency_key)
    assert got["zalo"]["template"] == "reminder_deadline" and got["zalo"]["params"] == {"days": 7}
    assert got["zalo"]["message_id"] == str(zalo.idempotency_key)


@pytest.mark.django_db
def test_gateway_down_then_up_delivers_each_message_exactly_once(gateway: str) -> None:
    for n in range(4):
        services.enqueue(
            channel="sms" if n % 2 else "zalo",
            recipient=f"091234567{n}",
            body=f"tin {n}",
            dedupe_key=f"g{n}",
        )
    call(gateway, "/_down", {"down": True})
    for attempt in range(1, 4):
        assert due_round()["retry"] == 4
        assert set(Message.objects.values_list("attempts", flat=True)) == {attempt}
    assert received(gateway)["messages"] == []
    call(gateway, "/_down", {"down": False})
    assert due_round()["sent"] == 4
    assert due_round()["sent"] == 0
    texts = sorted(m["text"] for m in received(gateway)["messages"])
    assert texts == [f"tin {n}" for n in range(4)]


@pytest.mark.django_db
def test_an_answer_lost_on_the_way_back_is_not_a_second_message(gateway: str) -> None:
    """The gateway stored the message but the worker saw a failure: the retry carries the
    same Idempotency-Key and the gateway answers the first answer again."""
    message = services.enqueue(channel="sms", recipient="0912345678", body="x", dedupe_key="l")
    assert delivery.deliver_messages()["sent"] == 1
    lost = {"status": OutboxStatus.PENDING, "next_attempt_at": timezone.now()}
    Message.objects.filter(pk=message.pk).update(**lost)  # as if the answer never came
    assert delivery.deliver_messages()["sent"] == 1
    got = received(gateway)
    assert len(got["messages"]) == 1 and got["replayed"] == 1


@pytest.mark.django_db
def test_a_wrong_token_waits_and_a_rejected_message_is_dead(gateway: str, settings: Any) -> None:
    settings.HOCVU_SMS_TOKEN = "wrong"
    waiting = services.enqueue(channel="sms", recipient="0912345678", body="x", dedupe_key="t")
    assert delivery.deliver_messages()["retry"] == 1  # 401: the operator fixes the setting
    settings.HOCVU_SMS_TOKEN = GATEWAY_TOKEN
    call(gateway, "/_fail", {"status": 422, "count": 1})
    waiting.refresh_from_db()
    assert delivery.deliver_messages(now=waiting.next_attempt_at)["dead"] == 1
    waiting.refresh_from_db()
    assert waiting.status == OutboxStatus.DEAD and "422" in waiting.last_error


@pytest.mark.django_db
def test_one_worker_command_delivers_every_channel(
    smtp: SmtpStandin, gateway: str, capsys: Any
) -> None:
    services.enqueue(channel="email", recipient="a@example.vn", body="e", dedupe_key="c1")
    services.enqueue(channel="sms", recipient="0912345678", body="s", dedupe_key="c2")
    call_command("deliver_messages", "--limit", "10")
    out = capsys.readouterr().out
    assert '"sent": 2' in out and '"eid"' in out
    assert len(smtp.mails()) == 1 and len(received(gateway)["messages"]) == 1
