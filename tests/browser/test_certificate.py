"""From exam to revoked certificate, in a real browser.

A learner whose competences are at their role's targets passes the certification exam;
the certificate is issued (by the background task, run immediately here); the learner
downloads the PDF; the test renders the PDF (``pdftoppm``), decodes its QR code
(``zxing-cpp``) and opens the address it holds: the verification page says valid. An
administrator revokes the certificate in the admin, and the same page says revoked.

The verification page is photographed at the phone and the desktop size
(``test-artifacts/screenshots/certificate-*.png``).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def at_target(learner: Any, achievement: Any) -> None:
    """Every competence the role profile targets is at its target level."""
    from hocvu.learning.models import Proficiency

    for target in achievement.role_profile.targets.select_related("competence"):
        Proficiency.objects.update_or_create(
            learner=learner,
            competence=target.competence,
            defaults={"mean": 0.0, "sd": 0.3, "level": target.level, "source": "mastery_check"},
        )


def qr_text(pdf: bytes, workdir: Path) -> str:
    """Render the PDF's first page and decode the QR code on it."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = workdir / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(source), str(workdir / "p")],
        check=True,
        timeout=60,
    )
    image = Image.open(next(workdir.glob("p*.png")))
    codes = [c for c in zxingcpp.read_barcodes(image) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(codes) == 1, f"expected one QR code, found {len(codes)}"
    return str(codes[0].text)


def answer_right(card: Any, item: Any) -> None:
    """Answer the exam question ``item`` with its key (the test knows it; the page does
    not). Fields are named ``<item uid>-<field>``; the page saves each answer as it is
    chosen (a typed one when Enter is pressed)."""
    if item.kind in {"single", "scenario"}:
        card.locator(f'input[name$="-choice"][value="{item.answer[0]}"]').check()
    elif item.kind == "true_false":
        card.locator(f'input[name$="-value"][value="{"true" if item.answer else "false"}"]').check()
    elif item.kind == "numeric":
        card.locator('input[name$="-value"]').fill(str(item.answer["value"]))
        card.locator('input[name$="-value"]').press("Enter")
    elif item.kind == "short_text":
        card.locator('input[name$="-text"]').fill(item.answer["accepted"][0])
        card.locator('input[name$="-text"]').press("Enter")
    else:  # pragma: no cover - the bank below has only these kinds
        raise AssertionError(f"no way to answer {item.kind}")


def verdict(page: Any) -> str:
    return str(page.get_attribute("section.verdict", "data-status"))


def test_a_passed_exam_gives_a_certificate_whose_qr_verifies_until_revoked(
    page: Any,
    site: str,
    world: Any,
    login: Callable[[str], None],
    shoot: Callable[[str], None],
    settings: Any,
    tmp_path: Path,
) -> None:
    from hocvu.content.models import Item
    from hocvu.credentials.models import Credential
    from hocvu.credentials.setup import install_achievements
    from tests.certification.test_exam import add_bank

    # The QR code must point at this server; tasks run at once.
    settings.PUBLIC_URL = site
    settings.TASKS = IMMEDIATE
    add_bank(world.module.program.framework_version)
    achievement = next(
        a
        for a in install_achievements(world.module.program)
        if a.role_profile.code == world.learner.job_role
    )
    at_target(world.learner, achievement)

    # The learner takes the exam and answers every question right.
    login(world.learner.username)
    page.goto(f"{site}/learn/exam/")
    with page.expect_navigation():
        page.click("main a[href$='/learn/exam/start/']")
    # The confirmation step: it states the attempts left; starting needs the box ticked.
    assert "3" in page.inner_text("#exam-confirm")
    page.check("#exam-confirm input[name=confirm]")
    with page.expect_navigation():
        page.click("#exam-confirm button[type=submit]")
    assert "/learn/exam/" in page.url and "/start/" not in page.url
    cards = page.locator("section.question")
    for card in cards.all():
        answer_right(card, Item.objects.get(uid=card.get_attribute("data-item")))
    expect(page.locator("section.question .qstatus.saved")).to_have_count(cards.count())
    # Review, then the confirmed submission.
    with page.expect_navigation():
        page.click("#exam-clock button[data-review]")
    with page.expect_navigation():
        page.click("main a[href$='/submit/']")
    with page.expect_navigation():
        page.click("#exam-submit-confirm button[name=confirm]")
    assert "/result/" in page.url, page.url

    # The certificate was issued; the learner downloads the PDF from the result page.
    credential = Credential.objects.get(learner=world.learner, achievement=achievement)
    link = page.locator(f"a[href$='/credentials/{credential.pk}.pdf']")
    assert link.count() == 1, "no download link on the result page"
    download = page.request.get(f"{site}{link.get_attribute('href')}")
    assert download.ok and download.headers["content-type"] == "application/pdf"
    pdf = download.body()
    assert pdf.startswith(b"%PDF-")

    # The QR code on the PDF opens the public verification page: valid.
    url = qr_text(pdf, tmp_path)
    assert url == f"{site}/verify/{credential.pk}/"
    page.context.clear_cookies()  # anyone may verify, without logging in
    page.goto(url)
    assert verdict(page) == "valid"
    assert world.learner.full_name in page.inner_text("main")
    assert achievement.name in page.inner_text("main")
    assert timezone.localtime(credential.issued_at).strftime("%d/%m/%Y") in page.inner_text("main")
    shoot("certificate-valid")

    # An administrator revokes it in the admin, giving a reason.
    login(world.admin.username)
    page.goto(f"{site}/admin/credentials/credential/")
    page.check(f"input[name='_selected_action'][value='{credential.pk}']")
    page.select_option("select[name='action']", "revoke")
    with page.expect_navigation():
        page.click("button[name='index']")
    page.fill("input[name='reason']", "Kiểm thử thu hồi chứng nhận")
    with page.expect_navigation():
        page.click("#content input[type=submit]")
    credential.refresh_from_db()
    assert credential.revoked_at is not None

    # The same QR address now says revoked.
    page.context.clear_cookies()
    page.goto(url)
    assert verdict(page) == "revoked"
    shoot("certificate-revoked")

    # The learner's exam page says revoked, with the reason and date, and offers no PDF.
    login(world.learner.username)
    page.goto(f"{site}/learn/exam/")
    notice = page.locator("[data-status=revoked]")
    assert notice.count() == 1
    assert "Kiểm thử thu hồi chứng nhận" in notice.inner_text()
    assert timezone.localtime(credential.revoked_at).strftime("%d/%m/%Y") in notice.inner_text()
    assert page.locator(f"a[href$='/credentials/{credential.pk}.pdf']").count() == 0
    shoot("certificate-revoked-learner")
    revoked_pdf = page.request.get(f"{site}/learn/credentials/{credential.pk}.pdf")
    assert revoked_pdf.status == 410 and not revoked_pdf.body().startswith(b"%PDF")
