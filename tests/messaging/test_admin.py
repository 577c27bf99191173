"""The outbox admin: national administrators see dead messages and retry them (audited);
nobody else sees the outbox."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from hocvu.audit.models import AuditEvent
from hocvu.messaging import services
from hocvu.messaging.models import Message, OutboxStatus
from tests.conftest import World


def dead_message() -> Message:
    message = services.enqueue(
        channel="email", recipient="a@example.vn", subject="s", body="b", dedupe_key="dead-1"
    )
    Message.objects.filter(pk=message.pk).update(
        status=OutboxStatus.DEAD, attempts=19, last_error="SMTP 421"
    )
    return message


@pytest.mark.django_db
def test_a_national_administrator_retries_a_dead_message(world: World) -> None:
    message = dead_message()
    client = Client()
    client.force_login(world.admin)
    url = reverse("admin:messaging_message_changelist")
    page = client.get(url + "?status=dead")
    assert page.status_code == 200 and "SMTP 421" in page.content.decode()
    done = client.post(url, {"action": "retry", "_selected_action": [message.pk]})
    assert done.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT and len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="messaging.retry", actor=world.admin).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["province_manager", "manager_a", "learner", "author"])
def test_nobody_else_sees_or_retries_the_outbox(world: World, persona: str) -> None:
    message = dead_message()
    client = Client()
    client.force_login(world.personas()[persona])
    url = reverse("admin:messaging_message_changelist")
    assert client.get(url).status_code in (302, 403)
    client.post(url, {"action": "retry", "_selected_action": [message.pk]})
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD and mail.outbox == []
    assert not AuditEvent.objects.filter(action="messaging.retry").exists()


def test_the_anonymous_visitor_is_sent_to_the_login(client: Any) -> None:
    assert client.get("/admin/messaging/message/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("term", ["abc", "12", "reminder:deadline:1:7", "' OR 1=1 --", "x" * 500])
def test_hostile_search_terms_are_answered(world: World, term: str) -> None:
    dead_message()
    client = Client()
    client.force_login(world.admin)
    response = client.get(reverse("admin:messaging_message_changelist"), {"q": term})
    assert response.status_code == 200
