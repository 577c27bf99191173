"""Logging in and out with the national e-ID in a real browser, through a real OpenID
provider (npm ``oidc-provider`` on loopback), under the site's Content-Security-Policy."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.conftest import Shoot
from tests.identity.oidc_standin import ACCOUNTS, Provider, start_provider

pytestmark = pytest.mark.browser

LOGOUT_BUTTON = "header form[action='/accounts/logout/'] button"


@pytest.fixture
def eid_site(site: str, settings: Any, tmp_path: Path) -> Iterator[tuple[str, Provider]]:
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps(ACCOUNTS, ensure_ascii=False), encoding="utf-8")
    provider = start_provider(
        accounts, redirect_uris=[f"{site}/eid/callback/"], post_logout_uris=[f"{site}/"]
    )
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    yield site, provider
    provider.process.terminate()
    provider.process.wait(timeout=10)


def test_eid_login_then_logout_of_both(
    page: Page, eid_site: tuple[str, Provider], shoot: Shoot
) -> None:
    site, provider = eid_site
    violations: list[str] = []

    def watch(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", watch)
    page.goto(f"{site}/accounts/login/")
    button = page.locator("#eid-login")
    expect(button).to_have_text("Đăng nhập bằng định danh điện tử (VNeID)")
    expect(page.locator("#id_username")).to_be_visible()  # local accounts remain
    shoot("login-with-eid")

    button.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    page.get_by_role("button", name=re.compile("001190000001")).click()
    expect(page).to_have_url(f"{site}/")
    expect(page.locator("main")).to_contain_text("Đặng Thị Mai")

    page.click(LOGOUT_BUTTON)
    # Our session is over; the provider asks to end its own.
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/session/end"))
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(f"{site}/")
    expect(page.locator("header.top a.button")).to_have_text("Đăng nhập")
    expect(page.locator(LOGOUT_BUTTON)).to_have_count(0)

    # The provider's session ended too: it asks who is logging in.
    page.goto(f"{site}/accounts/login/")
    page.click("#eid-login")
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    assert violations == []


def test_eid_login_of_someone_without_a_record_is_refused(
    page: Page, eid_site: tuple[str, Provider], shoot: Shoot
) -> None:
    site, _provider = eid_site
    page.goto(f"{site}/accounts/login/")
    page.click("#eid-login")
    page.get_by_role("button", name=re.compile("079200000099")).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Không tìm thấy hồ sơ học viên")
    expect(page.locator(LOGOUT_BUTTON)).to_have_count(0)
    shoot("eid-refused")
