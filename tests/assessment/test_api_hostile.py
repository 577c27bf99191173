"""Hostile bodies on the answers API (issue 12): each is a 400 ``{code, detail}`` that
stores nothing, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hocvu.assessment.models import Response
from tests.assessment.test_api_answers import body, client_for, post, right
from tests.conftest import World

pytestmark = pytest.mark.django_db


def refused(response: Any, code: str = "bad_request") -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    data = response.json()
    assert data["code"] == code and isinstance(data["detail"], str) and data["detail"]


def test_deeply_nested_json_is_refused(world: World) -> None:
    client = client_for(world.learner)
    for depth in (200, 5_000, 100_000):
        raw = "[" * depth + "]" * depth
        refused(
            post(client, world.attempt.pk, raw, raw=True),
            "too_large" if len(raw) > 16 * 1024 else "bad_request",
        )
        nested: Any = {}
        for _ in range(min(depth, 500)):
            nested = {"choice": nested}
        sent = json.dumps(body(world.items[0], {"choice": 1}) | {"answer": nested})
        refused(post(client, world.attempt.pk, sent, raw=True), "invalid_answer")
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "when",
    ["0001-01-01T00:00:00+07:00", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z"],
)
def test_answered_at_far_in_the_past_is_refused(world: World, when: str) -> None:
    client = client_for(world.learner)
    item = world.items[0]
    refused(post(client, world.attempt.pk, body(item, right(item), answered_at=when)))
    assert not Response.objects.exists()


def test_oversized_bodies_are_refused(world: World) -> None:
    client = client_for(world.learner)
    item = world.items[0]
    padded = body(item, {"text": "x" * 300_000})
    refused(post(client, world.attempt.pk, padded), "too_large")
    huge = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    response = client.post(
        f"/api/v1/attempts/{world.attempt.pk}/answers", data=huge, content_type="application/json"
    )
    refused(response, "too_large")
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "answer",
    [
        {"choice": 1, "note": "x" * 1000},
        {"choice": 1, "padding": ["x"] * 100},
        {"anything": 1},
        {},
        {"choice": "1"},
        {"choice": True},
        {"choices": [1] * 51},
        {"value": "NaN"},
        {"text": "x" * 501},
        {"order": [[1]]},
    ],
)
def test_answers_hold_only_their_kinds_key(world: World, answer: dict[str, Any]) -> None:
    client = client_for(world.learner)
    refused(post(client, world.attempt.pk, body(world.items[0], answer)), "invalid_answer")
    assert not Response.objects.exists()


def test_unknown_top_level_keys_and_odd_numbers_are_refused(world: World) -> None:
    client = client_for(world.learner)
    item = world.items[0]
    refused(post(client, world.attempt.pk, body(item, right(item), extra={"a": 1})))
    for seconds in (-1, 10**9):
        refused(post(client, world.attempt.pk, body(item, right(item), seconds=seconds)))
    raw = json.dumps(body(item, right(item))).replace('"answer_id"', '"seconds": NaN, "answer_id"')
    refused(post(client, world.attempt.pk, raw, raw=True))
    assert not Response.objects.exists()
    assert post(client, world.attempt.pk, body(item, right(item))).status_code == 200
