"""The unit tree as seen by unit managers, and what stays hidden from them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shoot
from tests.conftest import World

pytestmark = pytest.mark.browser


def test_province_manager_walks_units_people_and_a_person(
    page: Page, site: str, world: World, login: Callable[[str], None], shoot: Shoot
) -> None:
    login("province_manager")
    page.locator("nav.main a[href='/units/']").click()

    main = page.locator("main")
    expect(main.locator("h1")).to_have_text("Đơn vị")
    expect(main.locator("ul li a")).to_have_text(["HĐND tỉnh P"])
    shoot("units")

    main.get_by_role("link", name="HĐND tỉnh P").click()
    expect(page).to_have_url(f"{site}/units/{world.province_p.pk}/")
    expect(main.locator("h1")).to_have_text("HĐND tỉnh P")
    expect(main.locator("ul li a")).to_have_text(["HĐND xã A", "HĐND xã B"])
    expect(main.locator("table tbody tr td a")).to_have_text(["Hoàng Thị Lan"])

    main.get_by_role("link", name="HĐND xã A").click()
    expect(page).to_have_url(f"{site}/units/{world.commune_a.pk}/")
    expect(main.locator("h1")).to_have_text("HĐND xã A")
    # The trail goes up only as far as the manager's scope: the province, not the country.
    expect(main.locator("p.crumbs a")).to_have_text(["HĐND tỉnh P"])
    names = main.locator("table tbody tr td:first-child")
    expect(names).to_have_count(2)
    assert sorted(names.all_inner_texts()) == ["Vũ Đức Thắng", "Đặng Thị Mai"]
    shoot("unit")

    main.get_by_role("link", name="Đặng Thị Mai").click()
    expect(page).to_have_url(f"{site}/people/{world.learner.pk}/")
    expect(main.locator("h1")).to_have_text("Đặng Thị Mai")
    expect(main.locator("table")).to_contain_text("HĐND xã A")
    # A manager of the person's unit may edit them.
    expect(main.locator(f"a[href='/people/{world.learner.pk}/edit/']")).to_be_visible()
    # The encrypted national ID number is never shown on the page.
    expect(main).not_to_contain_text("001190000001")
    shoot("person")

    # The crumb climbs back to the province.
    page.go_back()
    main.locator("p.crumbs a").click()
    expect(main.locator("h1")).to_have_text("HĐND tỉnh P")


def test_commune_manager_gets_not_found_for_another_commune(
    page: Page, site: str, world: World, login: Callable[[str], None], shoot: Shoot
) -> None:
    login("manager_a")
    page.locator("nav.main a[href='/units/']").click()
    main = page.locator("main")
    expect(main.locator("ul li a")).to_have_text(["HĐND xã A"])
    main.get_by_role("link", name="HĐND xã A").click()
    # Nothing above the commune is within reach.
    expect(main.locator("p.crumbs a")).to_have_count(0)
    expect(main).not_to_contain_text("HĐND tỉnh P")

    for path in (
        f"/units/{world.commune_b.pk}/",
        f"/people/{world.learner_b.pk}/",
        f"/people/{world.learner_b.pk}/edit/",
        f"/units/{world.province_p.pk}/",
    ):
        response = page.goto(f"{site}{path}")
        assert response is not None and response.status == 404, path
        body = page.locator("body")
        expect(body).not_to_contain_text("HĐND xã B")
        expect(body).not_to_contain_text("Bùi Văn Nam")
    # The not-found page may be Django's bare default, without the site's stylesheet.
    page.goto(f"{site}/units/{world.commune_b.pk}/")
    shoot("not-found", styled=False)
