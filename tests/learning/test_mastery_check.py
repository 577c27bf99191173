"""Mastery checks cannot be farmed: one in progress is resumed, a failed one makes the
next wait (said plainly, with the time), and the questions rotate."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import World


def fail(learner: Any, attempt: Any) -> None:
    """Answer every question of ``attempt`` wrongly."""
    from hocvu.assessment.services import practice_items, record_answer

    for item in practice_items(attempt):
        record_answer(
            user=learner,
            attempt_id=attempt.pk,
            item_uid=item.uid,
            answer={"choice": (item.answer[0] + 1) % len(item.options)},
            answer_id=uuid.uuid4(),
        )
    attempt.refresh_from_db()
    assert attempt.status == "finished" and attempt.result["passed"] is False


@pytest.mark.django_db
def test_a_failed_check_makes_the_next_wait_and_the_questions_rotate(
    world: World, settings: Any
) -> None:
    from hocvu.assessment import services
    from hocvu.assessment.models import AttemptKind

    settings.HOCVU_CHECK_COOLING_OFF_MINUTES = 90
    learner, module = world.learner_b, world.module  # learner_b has answered nothing
    first = services.start_practice(learner, module, [1], size=2, kind=AttemptKind.MASTERY_CHECK)
    # Asking again while it is open gives the same check, not fresh questions.
    again = services.start_practice(learner, module, [1], size=2, kind=AttemptKind.MASTERY_CHECK)
    assert again.pk == first.pk
    fail(learner, first)
    with pytest.raises(services.CheckCoolingOff) as wait:
        services.start_practice(learner, module, [1], size=2, kind=AttemptKind.MASTERY_CHECK)
    assert first.finished_at is not None
    assert wait.value.not_before == first.finished_at + timedelta(minutes=90)
    # Practice stays open meanwhile.
    assert services.start_practice(learner, module, [1], size=2).kind == AttemptKind.PRACTICE
    # Once the time has passed: a new check, led by the question the first one left out.
    first.finished_at = timezone.now() - timedelta(minutes=91)
    first.save(update_fields=["finished_at"])
    second = services.start_practice(learner, module, [1], size=2, kind=AttemptKind.MASTERY_CHECK)
    assert second.pk != first.pk
    unseen = {i.code for i in world.items} - set(first.state["items"])
    assert second.state["items"][0] in unseen


@pytest.mark.django_db
def test_the_page_says_from_when_in_plain_vietnamese(world: World, settings: Any) -> None:
    from hocvu.assessment import services
    from hocvu.assessment.models import Attempt, AttemptKind

    settings.HOCVU_CHECK_COOLING_OFF_MINUTES = 240
    learner, module = world.learner, world.module
    check = services.start_practice(learner, module, [1], size=3, kind=AttemptKind.MASTERY_CHECK)
    fail(learner, check)
    client = Client()
    client.force_login(learner)
    page = client.post(reverse("check-start", args=[module.pk]), HTTP_ACCEPT_LANGUAGE="vi")
    assert page.status_code == 429
    assert check.finished_at is not None
    when = timezone.localtime(check.finished_at + timedelta(minutes=240))
    body = page.content.decode()
    assert f"Bạn có thể làm lại từ {when:%H:%M} ngày {when:%d/%m/%Y}" in body
    assert reverse("path") in body
    assert Attempt.objects.filter(learner=learner, kind=AttemptKind.MASTERY_CHECK).count() == 1
