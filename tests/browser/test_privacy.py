"""The privacy notice in Chromium: shown after login until agreed, then the person's data
page and a request; the national administrator's list highlights the overdue request."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from tests.browser.conftest import Shoot
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser


def test_notice_then_my_data_then_the_administrators_list(
    page: Page, site: str, world: World, shoot: Shoot, settings: Any, login: Callable[[str], None]
) -> None:
    from hocvu.privacy.models import Consent, DataRequest
    from hocvu.privacy.services import record_consent

    settings.HOCVU_PRIVACY_CONSENT_GATE = True
    page.goto(f"{site}/accounts/login/?next=/learn/")
    page.fill("#id_username", "learner")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/privacy/" in page.url
    assert page.locator("h1").inner_text() == "Thông báo về xử lý dữ liệu cá nhân"
    shoot("privacy-notice")
    with page.expect_navigation():
        page.click("#privacy-consent button")
    assert page.url == f"{site}/learn/"
    assert Consent.objects.filter(person=world.learner).count() == 1
    page.goto(f"{site}/privacy/my-data/")
    page.select_option("#id_kind", "correction")
    page.fill("#id_details", "Ngày sinh của tôi bị sai, đúng là 12/03/1980.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "Yêu cầu của bạn đã được tiếp nhận" in page.locator("main").inner_text()
    shoot("privacy-my-data")
    DataRequest.objects.update(complete_by=timezone.now() - timedelta(days=1))
    page.context.clear_cookies()
    record_consent(world.admin)
    login("admin")
    page.goto(f"{site}/manage/privacy/")
    assert page.locator("tr.overdue").count() == 1
    assert "quá hạn" in page.locator("main").inner_text()
    shoot("privacy-requests")
