"""National e-ID login against a real OpenID provider (npm ``oidc-provider`` on loopback).

The person is the roster record with the national ID number the provider vouches for;
anyone else is refused and nothing is created. State, nonce and code serve once.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from hocvu.audit.models import AuditEvent
from hocvu.identity.models import User
from tests.identity.oidc_standin import CLIENT_ID, SITE, Agent, Provider, local
from tests.identity.oidc_standin import provider as provider  # (fixture)

PENDING = "oidc_pending"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()  # rate-limit counters; spent states are random per test anyway


@pytest.fixture
def eid(settings: Any, provider: Provider) -> Provider:
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    return provider


def _start(client: Client, query: str = "") -> str:
    answer = client.get(f"/eid/login/{query}")
    assert answer.status_code == 302, answer
    return str(answer["Location"])


def _save(client: Client, session: Any) -> None:
    """Save a changed session; its key is the cookie itself with signed-cookie sessions."""
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key


def _logged_in(client: Client) -> Any:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def _refusals() -> list[dict[str, Any]]:
    return [e.data for e in AuditEvent.objects.filter(action="auth.eid_refused").order_by("pk")]


def _audit_text() -> str:
    return json.dumps([e.data for e in AuditEvent.objects.all()], ensure_ascii=False)


def test_it_logs_in_the_person_with_the_national_id(
    client: Client, world: Any, eid: Provider
) -> None:
    login_page = client.get("/accounts/login/")
    assert b'id="eid-login"' in login_page.content
    assert b'id="id_password"' in login_page.content  # local accounts remain

    authorize = _start(client)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)
    assert authorize.startswith(f"{eid.issuer}/auth?")
    assert query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT_ID]
    assert {"state", "nonce", "code_challenge"} <= set(query)
    assert "code_verifier" not in query

    back = Agent(eid.issuer).log_in(authorize, "s-learner")
    answer = client.get(local(back))
    assert answer.status_code == 302
    assert answer["Location"] == "/"
    assert _logged_in(client) == world.learner
    assert client.session[PENDING] == {}  # the state is spent
    home = client.get("/")
    assert "Đặng Thị Mai" in home.content.decode()
    event = AuditEvent.objects.get(action="auth.eid_login")
    assert event.actor == world.learner
    assert "001190000001" not in _audit_text()


def test_it_returns_to_a_local_next_page_only(client: Client, world: Any, eid: Provider) -> None:
    agent = Agent(eid.issuer)
    answer = client.get(local(agent.log_in(_start(client, "?next=/me/"), "s-learner")))
    assert answer["Location"] == "/me/"

    other = Client()
    hostile = _start(other, "?next=https://evil.example/")
    answer = other.get(local(Agent(eid.issuer).log_in(hostile, "s-learner")))
    assert answer["Location"] == "/"


def test_it_refuses_a_wrong_state(client: Client, world: Any, eid: Provider) -> None:
    back = Agent(eid.issuer).log_in(_start(client), "s-learner")
    parts = urllib.parse.urlsplit(back)
    params = dict(urllib.parse.parse_qsl(parts.query))
    params["state"] = "forged-" + params["state"]
    answer = client.get(parts.path, params)
    assert answer.status_code == 400
    assert "Phiên đăng nhập này đã hết hạn" in answer.content.decode()
    assert _logged_in(client) is None
    del params["state"]
    assert client.get(parts.path, params).status_code == 400
    assert _logged_in(client) is None
    assert [r["reason"] for r in _refusals()] == ["state", "state"]

    # A callback in another browser (no login started there) is refused too, without an
    # audit row (noise anyone can make).
    stranger = Client()
    assert stranger.get(local(back)).status_code == 400
    assert _logged_in(stranger) is None
    assert len(_refusals()) == 2


def test_it_refuses_a_wrong_nonce(client: Client, world: Any, eid: Provider) -> None:
    back = Agent(eid.issuer).log_in(_start(client), "s-learner")
    session = client.session
    pending = session[PENDING]
    (state,) = pending
    pending[state]["nonce"] = "tampered-" + pending[state]["nonce"]
    session[PENDING] = pending
    _save(client, session)

    answer = client.get(local(back))
    assert answer.status_code == 400
    assert _logged_in(client) is None
    assert [r["reason"] for r in _refusals()] == ["nonce"]


def test_it_refuses_a_wrong_pkce_verifier(client: Client, world: Any, eid: Provider) -> None:
    back = Agent(eid.issuer).log_in(_start(client), "s-learner")
    session = client.session
    pending = session[PENDING]
    (state,) = pending
    pending[state]["verifier"] = "x" * 64
    session[PENDING] = pending
    _save(client, session)

    assert client.get(local(back)).status_code == 400
    assert _logged_in(client) is None
    assert [r["reason"] for r in _refusals()] == ["code"]


def test_it_refuses_a_reused_code(client: Client, world: Any, eid: Provider) -> None:
    agent = Agent(eid.issuer)
    back = agent.log_in(_start(client), "s-learner")
    spent = dict(client.session[PENDING])
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(local(back)).status_code == 302
    assert _logged_in(client) == world.learner

    # The same answer again: the state is spent.
    assert client.get(local(back)).status_code == 400
    # Also when the browser sends the session it had before (a signed-cookie session).
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert PENDING in replay.session
    assert replay.get(local(back)).status_code == 400
    assert _logged_in(replay) is None

    # Even with the nonce and verifier put back under a fresh state, the provider refuses
    # the code it already exchanged.
    attacker = Client()
    attacker.get("/accounts/login/")
    session = attacker.session
    fresh = secrets.token_urlsafe(16)  # the cache remembers spent states across tests
    ((_, pending),) = spent.items()
    session[PENDING] = {fresh: {**pending, "state": fresh}}
    _save(attacker, session)
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(back).query)["code"][0]
    answer = attacker.get("/eid/callback/", {"code": code, "state": fresh})
    assert answer.status_code == 400
    assert _logged_in(attacker) is None
    # The reload in the same browser is noise (nothing pending there, no audit row); the
    # replayed cookie and the reused code are audited.
    assert [r["reason"] for r in _refusals()] == ["state", "code"]


def test_it_refuses_an_expired_code(
    client: Client, world: Any, eid: Provider, settings: Any
) -> None:
    # The provider gives this client's codes one second to live.
    settings.HOCVU_OIDC_CLIENT_ID = f"{CLIENT_ID}-expiring"
    back = Agent(eid.issuer).log_in(_start(client), "s-learner")
    time.sleep(2.5)
    answer = client.get(local(back))
    assert answer.status_code == 400
    assert _logged_in(client) is None
    assert [r["reason"] for r in _refusals()] == ["code"]


def test_it_refuses_an_old_login(client: Client, world: Any, eid: Provider) -> None:
    back = Agent(eid.issuer).log_in(_start(client), "s-learner")
    session = client.session
    pending = session[PENDING]
    (state,) = pending
    pending[state]["started"] -= 3600
    session[PENDING] = pending
    _save(client, session)
    assert client.get(local(back)).status_code == 400
    assert _logged_in(client) is None


@pytest.mark.parametrize("sub", ["s-stranger", "s-namesake"])
def test_it_refuses_an_unknown_person_and_creates_nobody(
    client: Client, world: Any, eid: Provider, sub: str
) -> None:
    people = User.objects.count()
    answer = client.get(local(Agent(eid.issuer).log_in(_start(client), sub)))
    assert answer.status_code == 403
    text = answer.content.decode()
    assert "Không tìm thấy hồ sơ học viên nào khớp với định danh điện tử của bạn" in text
    assert User.objects.count() == people
    assert _logged_in(client) is None
    (refusal,) = _refusals()
    assert refusal["reason"] == "unknown_person"
    assert len(refusal["national_id_index"]) == 64
    assert "079200000099" not in _audit_text()
    assert "001190000077" not in _audit_text()


def test_it_refuses_a_malformed_national_id(client: Client, world: Any, eid: Provider) -> None:
    answer = client.get(local(Agent(eid.issuer).log_in(_start(client), "s-malformed")))
    assert answer.status_code == 400
    assert _logged_in(client) is None
    assert [r["reason"] for r in _refusals()] == ["invalid_national_id"]


def test_it_refuses_an_inactive_person(client: Client, world: Any, eid: Provider) -> None:
    User.objects.filter(pk=world.learner_b.pk).update(is_active=False)
    answer = client.get(local(Agent(eid.issuer).log_in(_start(client), "s-learner-b")))
    assert answer.status_code == 403
    assert "vô hiệu hoá" in answer.content.decode()
    assert _logged_in(client) is None
    assert [r["reason"] for r in _refusals()] == ["inactive"]


def test_it_refuses_a_cancelled_login(client: Client, world: Any, eid: Provider) -> None:
    authorize = _start(client)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(authorize).query)["state"][0]
    answer = client.get("/eid/callback/", {"error": "access_denied", "state": state})
    assert answer.status_code == 400
    assert _logged_in(client) is None
    assert [r["reason"] for r in _refusals()] == ["provider_refused"]


def test_logout_ends_the_provider_session(client: Client, world: Any, eid: Provider) -> None:
    agent = Agent(eid.issuer)
    assert client.get(local(agent.log_in(_start(client), "s-learner"))).status_code == 302
    # While the provider's session lasts, it sends the person straight back (single sign-on).
    again = agent.go(_start(Client()))
    assert isinstance(again, str) and again.startswith(f"{SITE}/eid/callback/?code=")

    answer = client.post("/accounts/logout/")
    assert answer.status_code == 200
    assert _logged_in(client) is None
    target = answer.context["target"]
    assert target.startswith(f"{eid.issuer}/session/end?")
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
    assert params["post_logout_redirect_uri"] == [f"{SITE}/"]
    assert params["client_id"] == [CLIENT_ID]
    assert "id_token_hint" in params  # this provider's ID token has no ID number
    assert f'content="0;url={target.replace("&", "&amp;")}"' in answer.content.decode()

    assert agent.submit_logout(target) == f"{SITE}/"
    # The provider asks who is logging in again.
    page = agent.go(_start(Client()))
    assert not isinstance(page, str) and page.status == 200
    assert 'action="/interaction/' in page.body


def test_a_large_id_token_is_not_kept_for_logout(
    client: Client, world: Any, eid: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hocvu.identity import oidc_views

    monkeypatch.setattr(oidc_views, "MAX_HINT", 10)
    agent = Agent(eid.issuer)
    assert client.get(local(agent.log_in(_start(client), "s-learner"))).status_code == 302
    target = client.post("/accounts/logout/").context["target"]
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
    assert "id_token_hint" not in params
    assert params["client_id"] == [CLIENT_ID]
    # The provider still ends its session and comes back.
    assert agent.submit_logout(target) == f"{SITE}/"


def test_local_login_and_logout_are_unchanged(client: Client, world: Any, eid: Provider) -> None:
    from tests.conftest import PASSWORD

    answer = client.post("/accounts/login/", {"username": "learner", "password": PASSWORD})
    assert answer.status_code == 302
    assert _logged_in(client) == world.learner
    answer = client.post("/accounts/logout/")
    assert answer.status_code == 302
    assert _logged_in(client) is None
    assert client.get("/accounts/logout/").status_code == 405


def test_e_id_requests_are_rate_limited_per_address(
    client: Client, world: Any, eid: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hocvu.identity import oidc_views

    monkeypatch.setattr(oidc_views, "REQUESTS_PER_MINUTE", 3)
    for _ in range(3):
        assert client.get("/eid/login/").status_code == 302
    answer = client.get("/eid/login/")
    assert answer.status_code == 429
    assert "Có quá nhiều lần đăng nhập" in answer.content.decode()
    assert Client().get("/eid/callback/?code=x&state=y").status_code == 429
    assert _refusals() == []  # no audit row per hammering request
    # Another address is not slowed down.
    assert Client(REMOTE_ADDR="10.0.0.9").get("/eid/login/").status_code == 302


def test_without_a_provider_there_is_no_e_id_login(client: Client, world: Any) -> None:
    assert b'id="eid-login"' not in client.get("/accounts/login/").content
    assert client.get("/eid/login/").status_code == 404
    assert client.get("/eid/callback/?code=x&state=y").status_code == 404


def test_an_unreachable_provider_is_a_clear_error(
    client: Client, world: Any, settings: Any
) -> None:
    settings.HOCVU_OIDC_ISSUER = "http://127.0.0.1:9"
    settings.HOCVU_OIDC_CLIENT_ID = CLIENT_ID
    answer = client.get("/eid/login/")
    assert answer.status_code == 503
    assert "Hiện không kết nối được" in answer.content.decode()
