"""Deadline and stall reminders go through the outbox once per person, reason and period."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from hocvu.campaigns.models import PersonStatus
from hocvu.campaigns.reminders import send_reminders
from tests.conftest import World

pytestmark = pytest.mark.django_db


def campaign(world: World, *, days_left: int, stall_days: int = 14) -> Any:
    from hocvu.campaigns.services import TargetSpec, create_campaign

    today = timezone.localdate()
    return create_campaign(
        actor=world.admin,
        program=world.module.program,
        unit=world.province_p,
        title="Về đích",
        starts_on=today - timedelta(days=90),
        deadline=today + timedelta(days=days_left),
        targets=[TargetSpec(by_date=today + timedelta(days=days_left), share=Decimal(1))],
        remind_days_before=14,
        stall_days=stall_days,
    )


def messages() -> list[Any]:
    from hocvu.messaging.models import Message

    return list(Message.objects.order_by("pk"))


def with_email(person: Any, address: str) -> None:
    person.email = address
    person.save()


def test_a_near_deadline_reminds_each_uncertified_person_once(world: World) -> None:
    campaign(world, days_left=10)
    with_email(world.learner, "mai@example.vn")
    first = send_reminders()
    sent = messages()
    learner_messages = [m for m in sent if m.person_id == world.learner.pk]
    assert [m.channel for m in learner_messages] == ["email"]
    assert learner_messages[0].recipient == "mai@example.vn"
    assert "Về đích" in learner_messages[0].subject
    assert first.deadline >= 1
    # People outside the campaign's subtree (province Q) are never reminded.
    assert all(m.person_id != world.learner_q.pk for m in sent)
    # Running again, the same day or the next, stores nothing new.
    send_reminders()
    send_reminders(timezone.localdate() + timedelta(days=1))
    call_command("send_reminders", verbosity=0)
    assert len(messages()) == len(sent)


def test_a_stalled_person_is_reminded_once_per_stall(world: World) -> None:
    campaign(world, days_left=200, stall_days=14)
    with_email(world.learner, "mai@example.vn")
    today = timezone.localdate()
    PersonStatus.objects.filter(pk=world.learner.pk).update(
        activated_on=today - timedelta(days=60), last_activity=today - timedelta(days=20)
    )
    send_reminders()
    stalled = [m for m in messages() if m.person_id == world.learner.pk]
    assert len(stalled) == 1 and "stall" in stalled[0].dedupe_key
    send_reminders()
    assert len([m for m in messages() if m.person_id == world.learner.pk]) == 1
    # They come back, then stall again: a new period, one new reminder.
    PersonStatus.objects.filter(pk=world.learner.pk).update(
        last_activity=today - timedelta(days=15)
    )
    send_reminders()
    send_reminders()
    assert len([m for m in messages() if m.person_id == world.learner.pk]) == 2


def test_active_or_certified_people_and_people_without_address_get_nothing(
    world: World,
) -> None:
    campaign(world, days_left=5)
    today = timezone.localdate()
    with_email(world.learner, "mai@example.vn")
    PersonStatus.objects.filter(pk=world.learner.pk).update(certified_on=today)
    result = send_reminders()
    assert all(m.person_id != world.learner.pk for m in messages())
    assert result.unreachable >= 1  # the others in province P have no e-mail


def test_no_active_campaign_no_reminder(world: World) -> None:
    c = campaign(world, days_left=3)
    c.is_active = False
    c.save()
    with_email(world.learner, "mai@example.vn")
    assert send_reminders().campaigns == []
    assert messages() == []
