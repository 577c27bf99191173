"""Every page under the Content-Security-Policy, in Chromium: no violation reported.

Walks each URL pattern the access walk knows how to fill, as the learner, a unit manager,
the author and the national administrator, and listens for ``securitypolicyviolation``
events and CSP console errors. A violation names the page, the directive and the source.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from django.urls import get_resolver
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.conftest import World
from tests.identity.test_access_walk import iter_patterns, urls_for

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} `
    + `at ${e.sourceFile || ""}:${e.lineNumber || ""}`);
});
"""
# Pages whose violations come from features still being built elsewhere (the unit page
# embeds the campaign progress: inline styles in campaigns/unit.html and campaigns/charts.py).
# They are reported as a warning, not hidden; remove an entry once its owner fixed it.
PENDING: tuple[str, ...] = ()
SKIP = ("logout", "set_language", "sw.js", "/media/", "export", ".pdf", ".xlsx", ".csv")


def page_urls(world: World) -> list[str]:
    urls: set[str] = set()
    for name, _pattern, kwargs in iter_patterns(get_resolver().url_patterns):
        if name.startswith("api:") or "delete" in name or name.endswith("_history"):
            continue
        try:
            filled = urls_for(world, name, kwargs)
        except (AssertionError, AttributeError):
            continue  # a feature this walk does not know how to fill yet
        urls.update(url for url, _kind, _target in filled if not any(s in url for s in SKIP))
    return sorted(urls)


def violations_on(page: Page, site: str, urls: list[str]) -> list[str]:
    found: list[str] = []
    console: list[str] = []
    page.on(
        "console",
        lambda msg: console.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    for url in urls:
        console.clear()
        try:
            response = page.goto(site + url, wait_until="load")
        except PlaywrightError:
            continue  # a bodiless answer (405 to a GET, a download): nothing to render
        if response is None or "html" not in response.headers.get("content-type", ""):
            continue
        page.wait_for_timeout(50)
        seen: Any = page.evaluate("window.__csp || []")
        found += [f"{url}: {v}" for v in seen] + [f"{url}: {c}" for c in console]
    return found


def leave(page: Page) -> None:
    """Go to a blank page, stopping whatever the last page was doing (a reload timer, a
    page that moves on by itself); a navigation it started may win the first try."""
    for _ in range(5):
        try:
            page.goto("about:blank")
            return
        except PlaywrightError:
            page.wait_for_timeout(200)
    page.goto("about:blank")


def test_no_page_violates_the_content_security_policy(
    page: Page, site: str, world: World, login: Callable[[str], None]
) -> None:
    page.add_init_script(LISTEN)
    urls = page_urls(world)
    assert len(urls) > 30
    found = [f"anonymous {v}" for v in violations_on(page, site, urls)]
    for persona in ("learner", "manager_a", "author", "admin"):
        page.context.clear_cookies()
        leave(page)
        login(persona)
        found += [f"{persona} {v}" for v in violations_on(page, site, urls)]
    pending = [v for v in found if v.split(" ", 1)[1].startswith(PENDING)]
    if pending:
        warnings.warn("CSP violations still pending:\n" + "\n".join(pending), stacklevel=1)
    assert [v for v in found if v not in pending] == [], "\n".join(found)
