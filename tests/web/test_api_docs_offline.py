"""The API documentation page names no other site: Swagger UI is served by the platform."""

from __future__ import annotations

import re

from django.test import Client


def test_api_docs_load_their_assets_from_the_site(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"(?:src|href)=\"(https?:)?//", html) == []
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui-init.js" in html
    script = client.get("/static/ninja/swagger-ui-bundle.js")
    assert script.status_code == 200
