"""Logging in and out through the real login form."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shoot
from tests.conftest import PASSWORD, World, current_code, verified_device

pytestmark = pytest.mark.browser

LOGOUT_BUTTON = "header form[action='/accounts/logout/'] button"


def test_anonymous_home_invites_to_log_in(page: Page, site: str, shoot: Shoot) -> None:
    page.goto(f"{site}/")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("header.top a.button")).to_have_text("Đăng nhập")
    expect(page.locator("main")).to_contain_text("Khung thử")
    expect(page.locator(LOGOUT_BUTTON)).to_have_count(0)
    shoot("home-anonymous")


def test_wrong_password_shows_an_error(page: Page, site: str, shoot: Shoot) -> None:
    page.goto(f"{site}/")
    page.click("header.top a.button")
    expect(page).to_have_url(f"{site}/accounts/login/")
    page.fill("#id_username", "learner")
    page.fill("#id_password", PASSWORD + "-sai")
    page.click("main form button[type=submit]")

    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).not_to_be_empty()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    # The username is kept, the password is not.
    expect(page.locator("#id_username")).to_have_value("learner")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.locator("main")).not_to_contain_text("Đặng Thị Mai")
    shoot("login-error")


def test_login_lands_on_home_with_name_then_logout(
    page: Page, site: str, login: Callable[[str], None], shoot: Shoot
) -> None:
    login("learner")

    main = page.locator("main")
    expect(main).to_contain_text("Đặng Thị Mai")
    expect(main).to_contain_text("HĐND xã A")
    # The learner's job role points at their target profile.
    expect(main).to_contain_text("Đại biểu HĐND cấp xã")
    expect(page.locator("nav.main a[href='/learn/']")).to_have_text("Học tập")
    expect(page.locator("nav.main a[href='/units/']")).to_have_count(0)  # not a manager
    expect(page.locator(LOGOUT_BUTTON)).to_have_text("Đăng xuất")
    shoot("home-learner")

    page.click(LOGOUT_BUTTON)
    expect(page).to_have_url(f"{site}/")
    expect(page.locator("main")).not_to_contain_text("Đặng Thị Mai")
    expect(page.locator("header.top a.button")).to_have_text("Đăng nhập")
    expect(page.locator("nav.main a[href='/units/']")).to_have_count(0)

    # The session is really gone: a page behind login sends back to the login form.
    page.goto(f"{site}/units/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/units/$"))


def test_login_returns_to_the_page_asked_for(page: Page, site: str, world: World) -> None:
    page.goto(f"{site}/me/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/me/$"))
    device = verified_device(world.manager_a)  # a manager: the two-step code comes next
    page.fill("#id_username", "manager_a")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/account/second-factor/\?next=/me/$"))
    page.fill("#id_code", current_code(device))
    page.click("main form button[type=submit]")
    expect(page.locator("main h1")).to_have_text("Vũ Đức Thắng")
    expect(page).to_have_url(re.compile(rf"/people/{world.manager_a.pk}/$"))  # /me/ moves on
