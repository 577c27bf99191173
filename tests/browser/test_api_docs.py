"""The API documentation page works offline: Swagger UI comes from the site, not a CDN.

Every request that leaves the live server is aborted (as on a machine without internet);
the page must still render the operations of the OpenAPI schema, under the site's
Content-Security-Policy, without a single violation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route

from tests.browser.conftest import Shoot

pytestmark = pytest.mark.browser

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def test_api_docs_render_with_the_network_blocked(page: Page, site: str, shoot: Shoot) -> None:
    own = urlsplit(site).netloc
    blocked: list[str] = []

    def only_the_live_server(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.context.route("**/*", only_the_live_server)
    page.add_init_script(LISTEN)
    response = page.goto(f"{site}/api/v1/docs")
    assert response is not None and response.status == 200
    assert "'self'" in response.headers.get("content-security-policy", "")
    # Swagger UI draws one block per operation once it has read the schema.
    page.wait_for_selector(".opblock", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/people/{person_id}" in p.replace("\u200b", "") for p in paths), paths
    assert any("/api/v1/verify" in p.replace("\u200b", "") for p in paths), paths
    assert page.locator(".opblock").count() >= 8
    assert blocked == [], f"the docs page reached outside the site: {blocked}"
    assert page.evaluate("window.__csp") == []
    shoot("api-docs", styled=False)
