"""Password hashing (issue 12): Argon2id for new passwords; PBKDF2 hashes stored before
still log in and are upgraded at that login."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from hocvu import settings as production
from tests.conftest import PASSWORD, World


def test_new_passwords_are_argon2id_with_the_tuned_cost(settings: Any, world: World) -> None:
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    encoded = make_password("một mật khẩu dài")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=3,p=1$")


def test_an_old_pbkdf2_hash_still_logs_in_and_is_upgraded(settings: Any, world: World) -> None:
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    learner = world.learner
    learner.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    learner.save(update_fields=["password"])
    client = Client()
    response = client.post(reverse("login"), {"username": "learner", "password": PASSWORD})
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.password.startswith("argon2$argon2id$")
    assert learner.check_password(PASSWORD)
