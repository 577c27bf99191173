"""Browsing the published framework and the role profiles, logged out."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shoot

pytestmark = pytest.mark.browser


def test_overview_to_competence_levels_and_prerequisite(
    page: Page, site: str, shoot: Shoot
) -> None:
    page.goto(f"{site}/")
    nav_framework = page.locator("nav.main a[href='/framework/']")
    expect(nav_framework).to_have_text("Khung năng lực")
    nav_framework.click()

    expect(page).to_have_url(f"{site}/framework/")
    main = page.locator("main")
    expect(main.locator("h1")).to_have_text("Khung thử")
    areas = main.locator("section.card h2")
    expect(areas).to_have_text(["1. Khai thác dữ liệu và thông tin", "4. An toàn"])
    for name in ("Cơ bản", "Trung cấp", "Nâng cao", "Chuyên sâu"):
        expect(main).to_contain_text(name)
    shoot("framework")

    main.get_by_role("link", name="1.2 Đánh giá thông tin").click()
    expect(page).to_have_url(f"{site}/framework/competences/1.2/")
    expect(main.locator("h1")).to_have_text("1.2 Đánh giá thông tin")
    expect(main.locator("p.crumbs")).to_contain_text("Khai thác dữ liệu và thông tin")

    rows = main.locator("table tbody tr")
    expect(rows).to_have_count(4)
    for number, name in enumerate(("Cơ bản", "Trung cấp", "Nâng cao", "Chuyên sâu"), start=1):
        row = rows.nth(number - 1)
        expect(row.locator("th")).to_contain_text(f"{number} {name}")
        expect(row.locator("td")).to_have_text(f"Đánh giá mức {number}")
    shoot("competence")

    # Level 2 of 1.2 builds on 1.1 at level 2; the link opens that competence.
    prerequisite = main.locator("ul li", has=page.locator("a[href='/framework/competences/1.1/']"))
    expect(prerequisite).to_have_count(1)
    expect(prerequisite).to_contain_text("1.1")
    prerequisite.get_by_role("link", name="Tìm kiếm thông tin").click()
    expect(page).to_have_url(f"{site}/framework/competences/1.1/")
    expect(main.locator("h1")).to_have_text("1.1 Tìm kiếm thông tin")
    expect(main.locator("table tbody tr").first.locator("td")).to_have_text("Tìm kiếm mức 1")

    # The crumb goes back to the overview.
    main.locator("p.crumbs a").click()
    expect(page).to_have_url(f"{site}/framework/")


def test_unknown_competence_is_not_found(page: Page, site: str) -> None:
    response = page.goto(f"{site}/framework/competences/9.9/")
    assert response is not None and response.status == 404


def test_role_profile_matrix_and_one_profile(page: Page, site: str, shoot: Shoot) -> None:
    page.goto(f"{site}/")
    nav_roles = page.locator("nav.main a[href='/framework/roles/']")
    expect(nav_roles).to_have_text("Hồ sơ vai trò")
    nav_roles.click()

    main = page.locator("main")
    expect(main.locator("h1")).to_have_text("Hồ sơ vai trò")
    headers = main.locator("table thead th")
    expect(headers.nth(1)).to_have_text("Đại biểu Quốc hội")
    expect(headers.nth(2)).to_have_text("Đại biểu HĐND cấp xã")
    # Target levels per competence, one column per profile (deputy, commune council).
    expected = {"1.1": ["3", "2"], "1.2": ["3", "1"], "4.2": ["3", "2"]}
    rows = main.locator("table tbody tr")
    expect(rows).to_have_count(len(expected))
    for index, (code, levels) in enumerate(expected.items()):
        row = rows.nth(index)
        expect(row.locator("th a")).to_have_text(code)
        expect(row.locator("td .lvl")).to_have_text(levels)
    shoot("role-profiles")

    main.locator(".grid").get_by_role("link", name="Đại biểu HĐND cấp xã").click()
    expect(page).to_have_url(f"{site}/framework/roles/commune_council/")
    expect(main.locator("h1")).to_have_text("Đại biểu HĐND cấp xã")
    rows = main.locator("table tbody tr")
    expect(rows).to_have_count(3)
    for index, (title, level, statement) in enumerate(
        [
            ("1.1 Tìm kiếm thông tin", "2", "Tìm kiếm mức 2"),
            ("1.2 Đánh giá thông tin", "1", "Đánh giá mức 1"),
            ("4.2 Bảo vệ dữ liệu cá nhân", "2", "Bảo vệ mức 2"),
        ]
    ):
        row = rows.nth(index)
        expect(row.locator("th")).to_have_text(title)
        expect(row.locator("td .lvl")).to_have_text(level)
        expect(row.locator("td").nth(1)).to_have_text(statement)
    shoot("role-profile")

    # A competence link in the profile opens that competence.
    rows.nth(2).locator("th a").click()
    expect(main.locator("h1")).to_have_text("4.2 Bảo vệ dữ liệu cá nhân")
