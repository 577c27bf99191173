"""The demo's Python stand-in provider (used by make demo when Node.js is missing) speaks
enough OpenID Connect for the login: the person is logged in, strangers are refused, a code
serves once, and logout ends its session."""

from __future__ import annotations

import json
import secrets
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

from hocvu.identity.models import User
from tests.identity.oidc_standin import (
    ACCOUNTS,
    CLIENT_ID,
    SITE,
    Agent,
    Provider,
    local,
    start_python_provider,
)


@pytest.fixture(scope="module")
def python_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    accounts = tmp_path_factory.mktemp("oidc-py") / "accounts.json"
    accounts.write_text(json.dumps(ACCOUNTS, ensure_ascii=False), encoding="utf-8")
    running = start_python_provider(
        accounts, redirect_uris=[f"{SITE}/eid/callback/"], post_logout_uris=[f"{SITE}/"]
    )
    yield running
    running.process.terminate()
    running.process.wait(timeout=10)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # rate-limit counters


@pytest.fixture
def eid(settings: Any, python_provider: Provider) -> Provider:
    for name, value in python_provider.settings().items():
        setattr(settings, name, value)
    return python_provider


def _logged_in(client: Client) -> Any:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _start(client: Client) -> str:
    answer = client.get("/eid/login/")
    assert answer.status_code == 302
    return str(answer["Location"])


def test_it_logs_in_then_out_through_the_python_stand_in(
    client: Client, world: Any, eid: Provider
) -> None:
    agent = Agent(eid.issuer)
    back = agent.log_in(_start(client), "s-learner")
    ((_, pending),) = client.session["oidc_pending"].items()
    assert client.get(local(back)).status_code == 302
    assert _logged_in(client) == world.learner

    # The code serves once, even with the right verifier and nonce under a fresh state.
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["code"][0]
    replay = Client()
    session = replay.session
    fresh = secrets.token_urlsafe(16)  # the cache remembers spent states across tests
    session["oidc_pending"] = {fresh: {**pending, "state": fresh}}
    session.save()
    replay.cookies[django_settings.SESSION_COOKIE_NAME] = str(session.session_key)
    assert replay.get("/eid/callback/", {"code": code, "state": fresh}).status_code == 400
    assert _logged_in(replay) is None

    answer = client.post("/accounts/logout/")
    assert answer.status_code == 200
    target = answer.context["target"]
    assert target.startswith(f"{eid.issuer}/session/end?")
    assert f"client_id={CLIENT_ID}" in target
    assert agent.submit_logout(target) == f"{SITE}/"
    page = agent.go(_start(Client()))
    assert not isinstance(page, str) and 'action="/auth/login"' in page.body


def test_the_python_stand_in_refuses_a_stranger(client: Client, world: Any, eid: Provider) -> None:
    people = User.objects.count()
    answer = client.get(local(Agent(eid.issuer).log_in(_start(client), "s-stranger")))
    assert answer.status_code == 403
    assert User.objects.count() == people
    assert _logged_in(client) is None
