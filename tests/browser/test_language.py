"""Switching the interface between Vietnamese and English with the header button."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shoot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SWITCH = "header form[action='/i18n/setlang/'] button[name=language]"
NAV_FRAMEWORK = "nav.main a[href='/framework/']"


def test_switch_to_english_and_back_persists_across_pages(
    page: Page, site: str, shoot: Shoot
) -> None:
    html = page.locator("html")
    main = page.locator("main")

    page.goto(f"{site}/framework/")
    expect(html).to_have_attribute("lang", "vi")
    expect(page.locator(NAV_FRAMEWORK)).to_have_text("Khung năng lực")
    expect(page.locator(SWITCH)).to_have_text("English")
    expect(main.locator("h1")).to_have_text("Khung thử")

    page.click(SWITCH)
    # The switch comes back to the same page, now in English, content included.
    expect(page).to_have_url(f"{site}/framework/")
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator(NAV_FRAMEWORK)).to_have_text("Framework")
    expect(page.locator(SWITCH)).to_have_text("Tiếng Việt")
    expect(main.locator("h1")).to_have_text("Test")
    expect(main.locator("section.card h2")).to_have_text(["1. Data and information", "4. Safety"])
    shoot("framework-en")

    # The choice persists on the next pages.
    main.get_by_role("link", name="1.2 Evaluating").click()
    expect(html).to_have_attribute("lang", "en")
    expect(main.locator("h1")).to_have_text("1.2 Evaluating")
    expect(main.locator("table tbody tr td")).to_have_text(
        [f"Evaluate level {n}" for n in range(1, 5)]
    )
    shoot("competence-en")
    page.locator("nav.main a[href='/framework/roles/']").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("nav.main a[href='/framework/roles/']")).to_have_text("Role profiles")
    expect(main.locator(".grid h2")).to_have_text(
        ["National Assembly deputy", "Commune People's Council delegate"]
    )

    # And back to Vietnamese, which persists too.
    page.click(SWITCH)
    expect(page).to_have_url(f"{site}/framework/roles/")
    expect(html).to_have_attribute("lang", "vi")
    expect(page.locator(NAV_FRAMEWORK)).to_have_text("Khung năng lực")
    expect(main.locator(".grid h2")).to_have_text(["Đại biểu Quốc hội", "Đại biểu HĐND cấp xã"])
    page.locator(NAV_FRAMEWORK).click()
    expect(html).to_have_attribute("lang", "vi")
    expect(main.locator("h1")).to_have_text("Khung thử")


def test_english_choice_survives_logging_in(page: Page, site: str, shoot: Shoot) -> None:
    page.goto(f"{site}/")
    page.click(SWITCH)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("header.top a.button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main h1")).to_have_text("Log in")
    page.fill("#id_username", "learner")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")

    expect(page).to_have_url(f"{site}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav.main a[href='/learn/']")).to_have_text("Learn")
    # Unit names have no English form here, so the Vietnamese one is shown.
    expect(page.locator("main")).to_contain_text("Đặng Thị Mai")
    expect(page.locator("main")).to_contain_text("HĐND xã A")
    expect(page.locator("main")).to_contain_text("Commune People's Council delegate")
    shoot("home-learner-en")
