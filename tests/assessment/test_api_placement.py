"""A whole placement test through the JSON API: start, read the question, answer, repeat.

The attempt's state always lists exactly the question to answer now (also right after the
start and after each answer, when the client does not use the ``next`` of the answer), and
none once the test is finished.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
from hocvu.content.models import Item
from tests.learning import PASSWORD, Shipped, make_learner, right_answer, shipped, wrong_answer

MAX_PLACEMENT = 60


@pytest.fixture(scope="module")
def _installed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        shipped()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def curriculum(db: Any, _installed: None) -> Shipped:
    return shipped()


def answer(client: Client, attempt_id: str, item_uid: str, value: dict[str, Any]) -> Any:
    return client.post(
        f"/api/v1/attempts/{attempt_id}/answers",
        data=json.dumps({"item": item_uid, "answer": value, "answer_id": str(uuid.uuid4())}),
        content_type="application/json",
    )


def test_a_whole_placement_through_the_api(curriculum: Shipped) -> None:
    learner = make_learner()
    client = Client()
    assert client.login(username=learner.username, password=PASSWORD)
    started = client.post("/api/v1/attempts/placement")
    assert started.status_code == 201, started.content
    state = started.json()
    assert state["kind"] == AttemptKind.PLACEMENT and state["status"] == "active"
    attempt_id = state["id"]
    # Starting again resumes the same test.
    assert client.post("/api/v1/attempts/placement").json()["id"] == attempt_id
    rng = random.Random(5)
    shown: list[str] = []
    while True:
        state = client.get(f"/api/v1/attempts/{attempt_id}").json()
        if state["status"] != "active":
            break
        assert len(state["items"]) == 1, f"after {len(shown)} answers: {state['items']}"
        (question,) = state["items"]
        assert "answer" not in question
        item = Item.objects.get(uid=question["uid"])
        value = right_answer(item) if rng.random() < 0.6 else wrong_answer(item)
        outcome = answer(client, attempt_id, question["uid"], value)
        assert outcome.status_code == 200, outcome.content
        assert outcome.json()["correct"] is None  # placement never tells right from wrong
        shown.append(question["uid"])
        assert len(shown) <= MAX_PLACEMENT
    assert state["status"] == AttemptStatus.FINISHED and state["items"] == []
    assert 1 <= len(shown) <= MAX_PLACEMENT and len(set(shown)) == len(shown)
    assert [a["item"] for a in state["answered"]] == shown
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.n_answered == len(shown) and attempt.result


def test_placement_start_is_for_logged_in_learners_only(curriculum: Shipped) -> None:
    refused = Client().post("/api/v1/attempts/placement")
    assert refused.status_code == 401
    assert not Attempt.objects.filter(kind=AttemptKind.PLACEMENT).exists()
