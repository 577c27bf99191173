"""The JSON answer API: every answer stored exactly once, refusals change nothing."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hocvu.assessment import services
from hocvu.assessment.models import Attempt, AttemptStatus, Response
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def post(client: Client, attempt_id: Any, body: Any, raw: bool = False) -> Any:
    return client.post(
        f"/api/v1/attempts/{attempt_id}/answers",
        data=body if raw else json.dumps(body),
        content_type="application/json",
    )


def right(item: Any) -> dict[str, int]:
    return {"choice": item.answer[0]}


def wrong(item: Any) -> dict[str, int]:
    return {"choice": (item.answer[0] + 1) % len(item.options)}


def body(item: Any, answer: dict[str, Any], answer_id: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "item": str(item.uid),
        "answer": answer,
        "answer_id": str(answer_id or uuid.uuid4()),
        **extra,
    }


def test_a_right_answer_is_stored_and_scored(world: World) -> None:
    client = client_for(world.learner)
    item = world.items[0]
    sent = body(item, right(item), seconds=12.5, answered_at="2026-01-05T08:00:00+07:00")
    response = post(client, world.attempt.pk, sent)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["correct"] is True
    assert data["scored"] is True
    assert data["duplicate"] is False
    assert data["finished"] is False
    assert data["n_answered"] == 1
    assert data["explanation"] == item.explanation
    stored = Response.objects.get(attempt=world.attempt)
    assert stored.pk == data["response_id"]
    assert str(stored.answer_id) == sent["answer_id"]
    assert stored.answer == right(item)
    assert stored.score == 1
    assert stored.seconds == 12.5
    assert stored.answered_at.isoformat() == "2026-01-05T01:00:00+00:00"


def test_the_same_answer_id_twice_is_stored_once(world: World) -> None:
    client = client_for(world.learner)
    item = world.items[1]
    sent = body(item, wrong(item))
    first = post(client, world.attempt.pk, sent)
    again = post(client, world.attempt.pk, sent)
    assert first.status_code == again.status_code == 200
    assert first.json()["duplicate"] is False
    assert again.json()["duplicate"] is True
    assert again.json()["response_id"] == first.json()["response_id"]
    assert again.json()["correct"] is False
    assert again.json()["n_answered"] == 1
    assert Response.objects.filter(answer_id=sent["answer_id"]).count() == 1
    world.attempt.refresh_from_db()
    assert world.attempt.n_answered == 1


def test_the_same_answer_id_with_another_answer_is_a_conflict(world: World) -> None:
    client = client_for(world.learner)
    item = world.items[0]
    answer_id = uuid.uuid4()
    assert post(client, world.attempt.pk, body(item, right(item), answer_id)).status_code == 200
    changed = post(client, world.attempt.pk, body(item, wrong(item), answer_id))
    assert changed.status_code == 409
    assert changed.json()["code"] == "conflict"
    # Same id, other question: also a conflict.
    other = post(client, world.attempt.pk, body(world.items[1], right(world.items[1]), answer_id))
    assert other.status_code == 409
    assert other.json()["code"] == "conflict"
    stored = Response.objects.get(answer_id=answer_id)
    assert stored.answer == right(item)
    assert Response.objects.filter(attempt=world.attempt).count() == 1


def test_a_second_answer_to_the_same_question_is_refused(world: World) -> None:
    client = client_for(world.learner)
    item = world.items[0]
    assert post(client, world.attempt.pk, body(item, right(item))).status_code == 200
    again = post(client, world.attempt.pk, body(item, wrong(item)))
    assert again.status_code == 409
    assert again.json()["code"] == "already_answered"
    assert Response.objects.filter(attempt=world.attempt).count() == 1


def test_a_question_outside_the_attempt_is_refused(world: World) -> None:
    from hocvu.content.models import Item, ItemStatus

    stranger = Item.objects.create(
        code="Q-1.1-2-09",
        competence=world.items[0].competence,
        level=2,
        kind="single",
        status=ItemStatus.OPERATIONAL,
        stem="Câu khác?",
        options=["A", "B"],
        answer=[0],
    )
    client = client_for(world.learner)
    for uid in (stranger.uid, uuid.uuid4()):
        response = post(
            client, world.attempt.pk, {**body(stranger, {"choice": 0}), "item": str(uid)}
        )
        assert response.status_code == 409
        assert response.json() == {"code": "not_in_attempt", "detail": response.json()["detail"]}
    assert not Response.objects.exists()


def test_another_learners_attempt_is_not_found(world: World) -> None:
    item = world.items[0]
    for user in (world.learner_b, world.manager_a, world.admin):
        client = client_for(user)
        response = post(client, world.attempt.pk, body(item, right(item)))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert client.get(f"/api/v1/attempts/{world.attempt.pk}").status_code == 404
    for missing in (uuid.uuid4(), "not-a-uuid"):
        client = client_for(world.learner)
        assert post(client, missing, body(item, right(item))).status_code == 404
        assert client.get(f"/api/v1/attempts/{missing}").status_code == 404
    assert not Response.objects.exists()


def test_anonymous_callers_are_refused(world: World) -> None:
    item = world.items[0]
    assert post(Client(), world.attempt.pk, body(item, right(item))).status_code == 401
    assert Client().get(f"/api/v1/attempts/{world.attempt.pk}").status_code == 401
    assert not Response.objects.exists()


def test_session_callers_need_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="learner", password=PASSWORD)
    item = world.items[0]
    assert post(client, world.attempt.pk, body(item, right(item))).status_code == 403
    assert not Response.objects.exists()


@pytest.mark.parametrize("state", ["finished", "expired"])
def test_a_closed_or_expired_attempt_takes_no_answer(world: World, state: str) -> None:
    attempt = world.attempt
    if state == "finished":
        Attempt.objects.filter(pk=attempt.pk).update(status=AttemptStatus.FINISHED)
        code = "closed"
    else:
        Attempt.objects.filter(pk=attempt.pk).update(expires_at=timezone.now() - timedelta(1))
        code = "expired"
    client = client_for(world.learner)
    item = world.items[0]
    response = post(client, attempt.pk, body(item, right(item)))
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert not Response.objects.exists()


def test_a_replay_after_the_attempt_closed_still_gets_its_outcome(world: World) -> None:
    """An offline device may resend the last answer after it finished the attempt."""
    client = client_for(world.learner)
    sent = [body(item, right(item)) for item in world.items]
    outcomes = [post(client, world.attempt.pk, b).json() for b in sent]
    assert outcomes[-1]["finished"] is True
    replay = post(client, world.attempt.pk, sent[-1])
    assert replay.status_code == 200
    assert replay.json()["duplicate"] is True
    assert replay.json()["finished"] is True
    assert Response.objects.filter(attempt=world.attempt).count() == 3


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("{not json", "bad_request"),
        ("", "bad_request"),
        ("[1, 2]", "bad_request"),
        ('{"item": "nope", "answer": {"choice": 0}, "answer_id": "%s"}', "bad_request"),
        ('{"item": "%s", "answer": {"choice": 0}, "answer_id": "42"}', "bad_request"),
        ('{"item": "%s", "answer": "0", "answer_id": "%s"}', "bad_request"),
        ('{"item": "%s", "answer": {"choice": 9}, "answer_id": "%s"}', "invalid_answer"),
        ('{"item": "%s", "answer": {"pick": 0}, "answer_id": "%s"}', "invalid_answer"),
        (
            '{"item": "%s", "answer": {"choice": 0}, "answer_id": "%s",'
            ' "answered_at": "2026-01-05T08:00:00"}',
            "bad_request",
        ),
        (
            '{"item": "%s", "answer": {"choice": 0}, "answer_id": "%s",'
            ' "answered_at": "2999-01-01T00:00:00Z"}',
            "bad_request",
        ),
    ],
)
def test_malformed_requests_are_400_and_store_nothing(world: World, raw: str, problem: str) -> None:
    item = world.items[0]
    fill = [str(item.uid), str(uuid.uuid4())][: raw.count("%s")]
    client = client_for(world.learner)
    response = post(client, world.attempt.pk, raw % tuple(fill), raw=True)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == problem
    assert response.json()["detail"]
    assert not Response.objects.exists()


def test_the_state_lists_questions_without_their_key(world: World) -> None:
    client = client_for(world.learner)
    item = world.items[2]
    sent = body(item, right(item))
    post(client, world.attempt.pk, sent)
    response = client.get(f"/api/v1/attempts/{world.attempt.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["kind"] == "practice"
    assert data["status"] == "active"
    assert data["n_answered"] == 1
    assert {i["uid"] for i in data["items"]} == {str(i.uid) for i in world.items}
    assert data["answered"] == [{"item": str(item.uid), "answer_id": sent["answer_id"]}]
    for shown in data["items"]:
        assert set(shown) == {"uid", "kind", "stem", "options", "image", "level", "competence"}
    # No key and no explanation anywhere in the text.
    text = response.content.decode()
    assert '"answer"' not in text
    assert "Giải thích" not in text


def test_placement_answers_do_not_reveal_the_key(world: World) -> None:
    from hocvu.assessment.models import AttemptKind

    attempt = Attempt.objects.create(
        learner=world.learner,
        kind=AttemptKind.PLACEMENT,
        framework_version=world.attempt.framework_version,
        seed=1,
        state={},
        pending_item=world.items[0],
        expires_at=timezone.now() + timedelta(days=1),
    )
    client = client_for(world.learner)
    state = client.get(f"/api/v1/attempts/{attempt.pk}").json()
    assert [i["uid"] for i in state["items"]] == [str(world.items[0].uid)]
    # Not the pending question: refused before anything is scored.
    other = post(client, attempt.pk, body(world.items[1], right(world.items[1])))
    assert other.status_code == 409
    assert other.json()["code"] == "not_in_attempt"
    assert not Response.objects.exists()
    assert services.attempt_for(world.learner, attempt.pk).n_answered == 0
