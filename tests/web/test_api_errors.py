"""Hostile requests to every API route: a 4xx ``{"code", "detail"}`` answer, never a 500.

The cases a probe of the platform found (deep JSON, years 0001 and 9999, identifiers beyond
64 bits, bodies of megabytes, bytes that are not UTF-8) and the framework's own refusals
(not logged in, wrong types), as a learner and as the national administrator.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from tests.conftest import World

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = 2**63
MANY = 10**30


def requests(world: World) -> list[tuple[str, str, Any]]:
    person, unit, attempt = world.learner.pk, world.commune_a.pk, world.attempt.pk
    item = str(world.items[0].uid)
    answer = {"item": item, "answer": {"choice": 0}, "answer_id": str(uuid.uuid4())}
    return [
        ("get", f"/api/v1/units/{HUGE}", None),
        ("get", f"/api/v1/units/{MANY}", None),
        ("get", f"/api/v1/units/-{HUGE}", None),
        ("get", f"/api/v1/units?parent_id={MANY}", None),
        ("get", "/api/v1/units?parent_id=abc&limit=%00", None),
        ("get", f"/api/v1/units?parent_id={unit}&limit=0", None),
        ("get", f"/api/v1/units/{HUGE}/people", None),
        ("get", f"/api/v1/people/{HUGE}", None),
        ("get", f"/api/v1/people/{MANY}", None),
        ("patch", f"/api/v1/people/{HUGE}", "{}"),
        ("patch", f"/api/v1/people/{person}", DEEP),
        ("patch", f"/api/v1/people/{person}", '{"full_name": 12}'),
        ("patch", f"/api/v1/people/{person}", '{"full_name": ["a"]}'),
        ("patch", f"/api/v1/people/{person}", "not json"),
        ("patch", f"/api/v1/people/{person}", b"\xff\xfe\x00"),
        ("patch", f"/api/v1/people/{person}", json.dumps({"position": "x" * 3_000_000})),
        ("get", f"/api/v1/attempts/{attempt}x", None),
        ("post", f"/api/v1/attempts/{attempt}/answers", DEEP),
        (
            "post",
            f"/api/v1/attempts/{attempt}/answers",
            json.dumps({**answer, "answered_at": "0001-01-01T00:00:00Z"}),
        ),
        (
            "post",
            f"/api/v1/attempts/{attempt}/answers",
            json.dumps({**answer, "answered_at": "9999-12-31T23:59:59Z"}),
        ),
        ("post", f"/api/v1/attempts/{attempt}/answers", json.dumps({**answer, "seconds": 1e308})),
        (
            "post",
            f"/api/v1/attempts/{attempt}/answers",
            json.dumps({**answer, "answer": {"choice": HUGE}}),
        ),
        ("post", "/api/v1/verify", DEEP),
        ("get", "/api/v1/verify?id=" + "9" * 10_000, None),
    ]


@pytest.mark.parametrize("persona", ["anonymous", "learner", "admin"])
def test_hostile_requests_get_a_clear_refusal(world: World, persona: str) -> None:
    client = Client(HTTP_ACCEPT_ENCODING="identity")
    user = world.personas()[persona]
    if user is not None:
        client.force_login(user)
    before = (world.learner.full_name, world.learner.position)
    for method, url, body in requests(world):
        kwargs: dict[str, Any] = {}
        if body is not None:
            kwargs = {"data": body, "content_type": "application/json"}
        response = getattr(client, method)(url, **kwargs)
        where = (persona, method, url[:80], response.status_code, response.content[:200])
        assert 400 <= response.status_code < 500, where
        data = response.json()
        assert set(data) >= {"code", "detail"} and data["code"] and data["detail"], where
    world.learner.refresh_from_db()
    assert (world.learner.full_name, world.learner.position) == before
