"""PATCH /api/v1/people/{id} with hostile input (issue 12): a clear 400 ``{code, detail}``
that changes nothing, never a 500; a unit manager cannot edit an administrator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from hocvu.identity.models import Role
from tests.conftest import PASSWORD, World


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def patch(client: Client, person: Any, body: Any) -> Any:
    return client.patch(
        f"/api/v1/people/{person.pk}", data=json.dumps(body), content_type="application/json"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"job_role": "khong_ton_tai"},
        {"full_name": "Đặng\x00Thị Mai"},
        {"full_name": "Đặng \u202eiaM ịhT"},
        {"full_name": "Mai\u2066x\u2069"},
        {"full_name": "   "},
        {"full_name": ""},
        {"full_name": "\t\n"},
        {"full_name": "x" * 256},
        {"position": "y" * 256},
        {"position": "Thư ký\x07"},
        {"full_name": "Mai\u200b"},
    ],
)
def test_bad_values_are_refused_and_change_nothing(world: World, body: dict[str, Any]) -> None:
    response = patch(client_for(world.manager_a), world.learner, body)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    data = response.json()
    assert data["code"] == "invalid" and data["detail"]
    world.learner.refresh_from_db()
    assert world.learner.full_name == "Đặng Thị Mai"
    assert world.learner.job_role == "commune_council" and world.learner.position == ""


def test_good_values_are_stored(world: World) -> None:
    response = patch(
        client_for(world.manager_a),
        world.learner,
        {"full_name": "  Đặng Thị Mai Anh ", "position": "Thư ký", "job_role": "na_deputy"},
    )
    assert response.status_code == 200, response.content
    world.learner.refresh_from_db()
    assert world.learner.full_name == "Đặng Thị Mai Anh"
    assert (world.learner.position, world.learner.job_role) == ("Thư ký", "na_deputy")


def test_a_unit_manager_cannot_edit_an_administrator_in_their_unit(world: World) -> None:
    from hocvu.identity.services import assign_role, create_person

    boss = create_person(
        username="boss", full_name="Quản Trị Xã", unit=world.commune_a, password=PASSWORD
    )
    assign_role(boss, Role.ADMINISTRATOR, world.root)
    response = patch(client_for(world.manager_a), boss, {"full_name": "Bị Đổi Tên"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    boss.refresh_from_db()
    assert boss.full_name == "Quản Trị Xã"
    # the national administrator may
    assert patch(client_for(world.admin), boss, {"position": "Chủ tịch"}).status_code == 200


def test_outsiders_still_get_404(world: World) -> None:
    response = patch(client_for(world.manager_b), world.learner, {"full_name": "x"})
    assert response.status_code == 404
