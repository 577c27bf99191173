"""The public verification API cannot be used to burn CPU (issue 12): a small credential
whose blank nodes form a clique made canonicalization exponential (86 s for 3 KB), and
nothing limited how often one client asks.

Timings are never asserted: the refusal comes from counted work, so the test passing at all
shows the attack ends early (before the fix, it ran for minutes on this very input).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import World

services = pytest.importorskip("hocvu.credentials.services")

P = "https://attacker.example/p"


@pytest.fixture
def credential(world: World) -> Any:
    from hocvu.credentials.setup import install_achievements

    achievement = next(
        a
        for a in install_achievements(world.module.program)
        if a.role_profile.code == "commune_council"
    )
    return services.issue_credential(world.learner, achievement)


def clique(document: dict[str, Any], size: int) -> dict[str, Any]:
    """The credential with ``size`` blank nodes that all point at each other."""
    attacked = copy.deepcopy(document)
    attacked["evidence"] = [
        {"id": f"_:b{i}", P: [{"id": f"_:b{j}"} for j in range(size) if j != i]}
        for i in range(size)
    ]
    return attacked


def api_post(client: Client, payload: Any, **extra: Any) -> Any:
    return client.post(
        reverse("api:verify_posted"),
        data=json.dumps(payload),
        content_type="application/json",
        **extra,
    )


def test_a_blank_node_clique_is_refused_with_a_clear_error(credential: Any) -> None:
    attacked = clique(credential.document, 8)
    assert len(json.dumps(attacked)) < 16_000  # a few KB, as in the report
    response = api_post(Client(), {"credential": attacked})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "too_complex" and "blank nodes" in body["detail"]


def test_the_page_refuses_it_too(credential: Any) -> None:
    attacked = clique(credential.document, 8)
    response = Client().post(reverse("verify"), {"certificate": json.dumps(attacked)})
    assert response.status_code == 400
    assert "blank nodes" in response.content.decode()


def test_oversized_and_blank_node_heavy_documents_are_refused(credential: Any) -> None:
    from hocvu.credentials import jsonld

    big = copy.deepcopy(credential.document)
    big["evidence"] = [{P: "x" * 1000} for _ in range(jsonld.MAX_DOCUMENT_CHARS // 1000 + 1)]
    response = api_post(Client(), {"credential": big})
    assert response.status_code == 400 and response.json()["code"] == "too_complex"

    many = copy.deepcopy(credential.document)
    many["evidence"] = [{P: str(i)} for i in range(jsonld.MAX_BLANK_NODES + 1)]
    response = api_post(Client(), {"credential": many})
    assert response.status_code == 400 and response.json()["code"] == "too_complex"


def test_our_own_credentials_stay_within_the_limits(credential: Any) -> None:
    response = api_post(Client(), {"credential": credential.document})
    assert response.status_code == 200 and response.json()["status"] == "valid"
    response = api_post(Client(), {"credential": credential.jwt})
    assert response.json()["status"] == "valid"


def test_each_client_is_rate_limited(credential: Any, settings: Any) -> None:
    settings.HOCVU_VERIFY_RATE_LIMIT = 5
    client = Client()
    url = reverse("api:verify_by_id")
    statuses = [
        client.get(url, {"id": str(credential.pk)}, REMOTE_ADDR="203.0.113.7").status_code
        for _ in range(8)
    ]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 3
    refused = api_post(client, {"credential": credential.document}, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert refused["Retry-After"]
    page = client.post(reverse("verify"), {"certificate": "x"}, REMOTE_ADDR="203.0.113.7")
    assert page.status_code == 429
    qr = client.get(
        reverse("verify-credential", kwargs={"credential_id": credential.pk}),
        REMOTE_ADDR="203.0.113.7",
    )
    assert qr.status_code == 429
    # another client is not affected
    other = client.get(url, {"id": str(credential.pk)}, REMOTE_ADDR="198.51.100.2")
    assert other.status_code == 200


def test_a_forged_forwarded_header_does_not_escape_the_limit(
    credential: Any, settings: Any
) -> None:
    settings.HOCVU_VERIFY_RATE_LIMIT = 2
    client = Client()
    url = reverse("api:verify_by_id")
    statuses = [
        client.get(
            url,
            {"id": str(credential.pk)},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 429, 429]
