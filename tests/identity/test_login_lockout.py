"""Login throttling (issue 12: 30 wrong passwords, then the right one, went through)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import PASSWORD, World

ADDRESS = "203.0.113.20"


def attempt(client: Client, username: str, password: str, address: str = ADDRESS) -> Any:
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_thirty_wrong_passwords_lock_the_account_from_that_address(world: World) -> None:
    client = Client()
    statuses = [attempt(client, "learner", f"sai-{n}").status_code for n in range(30)]
    assert statuses[0] == 200  # the form again, "wrong username or password"
    assert statuses[-1] == 429
    response = attempt(client, "learner", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Đăng nhập tạm khoá" in page and "15 phút" in page  # Vietnamese first
    assert AccessAttempt.objects.filter(username="learner", ip_address=ADDRESS).exists()


def test_the_same_person_elsewhere_and_other_people_still_log_in(world: World) -> None:
    client = Client()
    for n in range(12):
        attempt(client, "learner", f"sai-{n}")
    other_address = Client()
    assert attempt(other_address, "learner", PASSWORD, "198.51.100.5").status_code == 302
    other_person = Client()
    assert attempt(other_person, "manager_a", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(world: World) -> None:
    client = Client()
    for n in range(10):
        attempt(client, "learner", f"sai-{n}")
    assert attempt(client, "learner", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, "learner", PASSWORD).status_code == 302


def test_a_few_mistakes_do_not_lock(world: World) -> None:
    client = Client()
    for n in range(9):
        assert attempt(client, "learner", f"sai-{n}").status_code == 200
    assert attempt(client, "learner", PASSWORD).status_code == 302
