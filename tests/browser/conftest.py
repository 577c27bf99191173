"""Browser tests: Playwright drives the system Chromium against pytest-django's live server.

The live server serves static files through ``StaticFilesHandler`` (pytest-django does this
whenever ``django.contrib.staticfiles`` is installed), so pages get their stylesheet even
though the project runs with ``DEBUG`` off.

Requesting ``live_server`` makes every database fixture of the test transactional, so the
shared ``world`` fixture (personas, unit tree, published framework) is usable as is.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Page, ViewportSize
from pytest_django.live_server_helper import LiveServer

from tests.conftest import PASSWORD, World, current_code, verified_device

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# Viewports every main page is photographed at.
VIEWPORTS: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1366, "height": 900},
}

# The header's background comes from the stylesheet (var(--soft)); without it the header
# would be transparent. Checking it proves the CSS was served and applied.
STYLED_HEADER_BACKGROUND = "rgb(246, 248, 250)"


class Shoot(Protocol):
    """The ``shoot`` fixture: check the page is styled, then photograph it at every size."""

    def __call__(self, name: str, *, styled: bool = True) -> None: ...


def _chromium_path() -> str | None:
    configured = os.environ.get("HOCVU_CHROMIUM")
    if configured:
        return configured
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _chromium_path() is not None:
        return
    skip = pytest.mark.skip(reason="no system Chromium (run scripts/system-deps.sh chromium)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": _chromium_path(),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-dev-shm-usage",
        ],
    }


@pytest.fixture(scope="session")
def base_url() -> str | None:
    # Pages are opened with the live server's full URL; this also replaces the plugin's own
    # ``base_url`` fixture, which pytest 9 warns about.
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A Vietnamese user's browser: Accept-Language asks for Vietnamese first.
    return {
        **browser_context_args,
        "locale": "vi-VN",
        "timezone_id": "Asia/Ho_Chi_Minh",
        "viewport": VIEWPORTS["desktop"],
    }


@pytest.fixture
def site(live_server: LiveServer, world: World) -> str:
    """The live server's base URL, with the personas of ``world`` in its database."""
    return live_server.url


@pytest.fixture
def login(page: Page, site: str) -> Callable[[str], None]:
    """Log ``username`` in through the login form; return once the home page has loaded."""

    def _login(username: str) -> None:
        from hocvu.identity.models import User
        from hocvu.identity.second_factor import needs_second_factor

        person = User.objects.get(username=username)
        device = verified_device(person) if needs_second_factor(person) else None
        page.goto(f"{site}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        if device is not None:  # staff: the authenticator app's code, as a person types it
            assert "/account/second-factor/" in page.url, page.url
            page.fill("#id_code", current_code(device))
            with page.expect_navigation():
                page.click("main form button[type=submit]")
        assert page.url == f"{site}/", f"login as {username} did not land on home: {page.url}"

    return _login


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig: pytest.Config) -> Path:
    path = Path(pytestconfig.rootpath) / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def shoot(page: Page, screenshot_dir: Path) -> Shoot:
    """Check the page is styled, then save full-page shots at the phone and desktop sizes."""

    def _shoot(name: str, *, styled: bool = True) -> None:
        if styled:
            background = page.eval_on_selector(
                "header.top", "el => getComputedStyle(el).backgroundColor"
            )
            assert background == STYLED_HEADER_BACKGROUND, f"stylesheet not applied on {page.url}"
        original = page.viewport_size
        for label, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            page.screenshot(path=str(screenshot_dir / f"{name}-{label}.png"), full_page=True)
            if styled:
                # Nothing may push the page wider than the screen (wide tables scroll inside
                # their own box instead).
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= size["width"], f"{page.url} is {width}px wide at {label} size"
        if original:
            page.set_viewport_size(original)

    return _shoot
