"""Two-step login in Chromium: an administrator's first login enrols an authenticator app
from the QR code page, keeps the recovery codes, and a later login with a recovery code."""

from __future__ import annotations

import base64

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page

from tests.browser.conftest import Shoot
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser


def password_step(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/accounts/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_first_login_enrols_then_a_recovery_code_logs_in(
    page: Page, site: str, world: World, shoot: Shoot
) -> None:
    password_step(page, site, "admin")
    assert "/account/second-factor/" in page.url
    assert page.locator("#otp-qr svg").is_visible()
    assert page.locator("h1").inner_text() == "Thiết lập đăng nhập hai bước"
    shoot("second-factor-enrol")
    # The phone app: reads the key shown under the QR code and computes the current code.
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_code", "000000" if totp(key) != 0 else "111111")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator("[role=alert]").inner_text().startswith("Mã này không đúng")
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=world.admin).update(throttling_failure_count=0)
    page.fill("#id_code", f"{totp(key):06d}")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    shoot("second-factor-recovery-codes")
    with page.expect_navigation():
        page.click("text=Tôi đã lưu, tiếp tục")
    assert page.url == f"{site}/admin/"
    # A new browser session: the phone is lost, a recovery code gets in.
    page.context.clear_cookies()
    password_step(page, site, "admin")
    assert page.locator("h1").inner_text() == "Đăng nhập hai bước"
    shoot("second-factor-verify")
    page.fill("#id_code", codes[0])
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "Còn lại 9 mã" in page.locator("main").inner_text()
