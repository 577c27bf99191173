"""Schemathesis over the OpenAPI schema, as each persona: no request gives a server error.

Each operation of ``/api/v1/openapi.json`` is called with generated paths, queries and
bodies (valid and invalid), in-process through the WSGI application, as an anonymous
caller, a learner, a unit manager and the national administrator (a logged-in session,
second factor passed, CSRF token sent). Every answer must be below 500, and every refusal
(4xx) of a JSON route must be the documented ``{"code", "detail"}`` object. Examples are
bounded (``EXAMPLES`` per operation and persona) so the test costs well under a minute.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from tests.conftest import World

EXAMPLES = 12
PERSONAS = ("anonymous", "learner", "manager_a", "admin")


def session_for(user: Any) -> dict[str, str]:
    if user is None:
        return {}
    client = Client()
    client.force_login(user)  # second factor passed for staff (tests/conftest.py)
    return {
        django_settings.SESSION_COOKIE_NAME: client.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value
    }


@pytest.fixture
def _connection_kept() -> Iterator[None]:
    # The WSGI handler closes the database connection at each request's start and end (as
    # in production); inside the test's transaction it must stay open, as the test client
    # arranges for its own requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("persona", PERSONAS)
def test_no_generated_request_gives_a_server_error(
    world: World, persona: str, _connection_kept: None
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler())
    token = secrets.token_hex(16)  # a 32-character CSRF secret, as cookie and header
    cookies = {**session_for(world.personas()[persona]), django_settings.CSRF_COOKIE_NAME: token}
    headers = {"X-CSRFToken": token, "Accept-Encoding": "identity"}
    failures: list[str] = []
    operations = 0
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations += 1

        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            response = case.call(headers=headers, cookies=cookies)
            statuses[response.status_code // 100] = statuses.get(response.status_code // 100, 0) + 1
            where = f"{persona} {case.method} {case.formatted_path} {case.query} {case.body!r:.200}"
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {where}")
                return
            kind = " ".join(response.headers.get("content-type", []))
            if 400 <= response.status_code < 500 and "json" in kind:
                body = response.json()
                if not (isinstance(body, dict) and {"code", "detail"} <= set(body)):
                    failures.append(f"{response.status_code} not {{code, detail}}: {body} {where}")

        call()
    assert operations >= 10
    print(persona, statuses)
    # Both kinds of answers were seen: the generated requests reached the views.
    assert statuses.get(2, 0) > 0 and statuses.get(4, 0) > 0, statuses
    assert failures == [], "\n".join(failures[:20])
