"""The certification exam page loses nothing, in a real browser at a phone's and a
desktop's size.

The candidate starts the exam, answers a question, changes the answer, flags another
question and reloads: the answer and the flag are still there (the server has them). The
connection drops (``context.set_offline``): two more answers wait on the device, the
page says so and the server has not got them; the connection returns and they are sent,
in order, and stored. The review lists the unanswered and the flagged questions, each a
link back; submitting asks for a confirmation that counts the unanswered questions; the
result follows. The time left stays on screen while scrolling (the bar sticks to the top).

Screenshots: ``test-artifacts/screenshots/exam-*-{phone,desktop}.png``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import STYLED_HEADER_BACKGROUND, VIEWPORTS
from tests.browser.test_csp import LISTEN
from tests.conftest import World

pytestmark = pytest.mark.browser

T = TypeVar("T")


def choose(card: Locator, item: Any, right: bool, *, enter: bool = True) -> None:
    """Answer ``item`` on its card, right or wrong, as a candidate does (a typed answer is
    ended with Enter, unless ``enter`` is false); the page saves it as it is chosen."""
    if item.kind in {"single", "scenario"}:
        choice = item.answer[0] if right else (item.answer[0] + 1) % len(item.options)
        card.locator(f'input[name$="-choice"][value="{choice}"]').check()
    elif item.kind == "true_false":
        value = item.answer if right else not item.answer
        card.locator(f'input[name$="-value"][value="{"true" if value else "false"}"]').check()
    elif item.kind in {"numeric", "short_text"}:
        field = card.locator('input[name$="-value"], input[name$="-text"]')
        typed = item.answer["value"] if item.kind == "numeric" else item.answer["accepted"][0]
        field.fill(str(typed) if right else "12345")
        if enter:
            field.press("Enter")
    else:  # pragma: no cover - the bank has only these kinds
        raise AssertionError(f"no way to answer {item.kind}")


def read(query: Callable[[], T], page: Page) -> T:
    """Run ``query`` on the test database while the live server may be writing to it: the
    in-memory SQLite database of the tests answers "table is locked" meanwhile."""
    from django.db import OperationalError

    for _ in range(100):
        try:
            return query()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            page.wait_for_timeout(50)
    return query()


def eventually(check: Callable[[], bool], page: Page, what: str, timeout: float = 15.0) -> None:
    """Poll the database (through ``check``) while the page goes on working."""
    deadline = time.monotonic() + timeout
    while not read(check, page):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {what}")
        page.wait_for_timeout(100)


def ready_for_the_exam(world: World) -> Any:
    """A full secure bank, the program's achievements, and the learner at every target of
    their role (so the exam may start); returns the learner's achievement."""
    from hocvu.credentials.setup import install_achievements
    from tests.browser.test_certificate import at_target
    from tests.certification.test_exam import add_bank

    add_bank(world.module.program.framework_version)
    achievement = next(
        a
        for a in install_achievements(world.module.program)
        if a.role_profile.code == world.learner.job_role
    )
    at_target(world.learner, achievement)
    return achievement


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_the_exam_page_loses_nothing(
    page: Page,
    site: str,
    world: World,
    login: Callable[[str], None],
    screenshot_dir: Path,
    size: str,
) -> None:
    from hocvu.assessment.models import Attempt, Response
    from hocvu.content.models import Item

    ready_for_the_exam(world)
    viewport = VIEWPORTS[size]
    page.set_viewport_size(viewport)
    # Every page of the exam runs under the Content-Security-Policy: none may break it.
    page.add_init_script(LISTEN)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security" in m.text else None)

    def snap(name: str, *, full_page: bool = True) -> None:
        background = page.eval_on_selector(
            "header.top", "el => getComputedStyle(el).backgroundColor"
        )
        assert background == STYLED_HEADER_BACKGROUND, f"stylesheet not applied on {page.url}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{page.url} is {width}px wide at {size} size"
        assert page.evaluate("window.__csp || []") == [] and console == [], page.url
        if full_page:  # from the top, so that the sticky bar is drawn in its place
            page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(screenshot_dir / f"{name}-{size}.png"), full_page=full_page)

    # Start: through the confirmation.
    login(world.learner.username)
    page.goto(f"{site}/learn/exam/")
    with page.expect_navigation():
        page.click("main a[href$='/learn/exam/start/']")
    page.check("#exam-confirm input[name=confirm]")
    with page.expect_navigation():
        page.click("#exam-confirm button[type=submit]")
    attempt = Attempt.objects.get(learner=world.learner, kind="exam")
    items = [Item.objects.get(code=c) for c in attempt.state["items"]]
    assert len(items) == 5

    def card(item: Any) -> Locator:
        return page.locator(f"#q-{item.uid}")

    def stored(item: Any) -> Any:
        return read(lambda: Response.objects.filter(attempt=attempt, item=item).first(), page)

    def flags() -> list[str]:
        return read(lambda: list(Attempt.objects.get(pk=attempt.pk).state.get("flagged", [])), page)

    progress = page.locator("#exam-progress")
    clock = page.locator("#exam-remaining")
    expect(clock).to_have_text(re.compile(r"^4[45]:\d\d$"))
    expect(page.locator("section.question")).to_have_count(5)
    # With JavaScript the answers save themselves: no save buttons.
    expect(page.locator("section.question button[name=save]").first).to_be_hidden()
    snap("exam-start")

    # Answer, then change the answer: the server holds the latest one.
    choose(card(items[0]), items[0], right=False)
    expect(card(items[0]).locator(".qstatus.saved")).to_be_visible()
    eventually(lambda: stored(items[0]) is not None, page, "the first answer stored")
    assert stored(items[0]).score == 0
    choose(card(items[0]), items[0], right=True)
    eventually(lambda: stored(items[0]).score == 1, page, "the changed answer stored")
    assert read(Response.objects.filter(attempt=attempt).count, page) == 1
    expect(progress).to_contain_text("1")

    # Flag the second question (not answered yet).
    card(items[1]).locator("button.flag").click()
    expect(card(items[1]).locator(".flag-mark")).to_be_visible()
    eventually(lambda: flags() == [items[1].code], page, "the flag stored")
    expect(card(items[1]).locator(".qstatus.open")).to_be_visible()

    # Reload: the answer and the flag come back from the server.
    page.reload()
    first = card(items[0])
    if items[0].kind in {"single", "scenario", "true_false"}:
        expect(first.locator("input:checked")).to_have_count(1)
        choice = (
            str(items[0].answer[0])
            if items[0].kind != "true_false"
            else ("true" if items[0].answer else "false")
        )
        expect(first.locator("input:checked")).to_have_value(choice)
    else:
        expect(first.locator("input[name$='-value'], input[name$='-text']")).not_to_have_value("")
    expect(first.locator(".qstatus.saved")).to_be_visible()
    expect(card(items[1]).locator("button.flag")).to_have_attribute("aria-pressed", "true")
    expect(card(items[1]).locator(".flag-mark")).to_be_visible()

    # The connection drops: two answers wait on the device.
    page.context.set_offline(True)
    note = page.locator("#exam-note")
    expect(note).to_be_visible()
    choose(card(items[2]), items[2], right=True)
    choose(card(items[3]), items[3], right=False)
    for item in items[2:4]:
        expect(card(item).locator(".qstatus.queued")).to_be_visible()
    expect(progress).to_contain_text("3")  # counted on the page already
    expect(note).to_contain_text("2")
    assert stored(items[2]) is None and stored(items[3]) is None
    snap("exam-offline")
    # The time left stays in sight while scrolling to the last question.
    card(items[-1]).scroll_into_view_if_needed()
    box = page.locator("#exam-clock").bounding_box()
    assert box is not None and 0 <= box["y"] <= 2, box
    assert box["height"] < viewport["height"] / 4, f"the bar takes {box['height']}px"
    snap("exam-offline-scrolled", full_page=False)

    # The connection returns: the two answers are sent, in order, and stored.
    page.context.set_offline(False)
    for item in items[2:4]:
        expect(card(item).locator(".qstatus.saved")).to_be_visible(timeout=15_000)
    eventually(
        lambda: stored(items[2]) is not None and stored(items[3]) is not None,
        page,
        "the queued answers stored",
    )
    assert stored(items[2]).score == 1 and stored(items[3]).score == 0
    assert stored(items[2]).position < stored(items[3]).position
    assert page.evaluate(f"localStorage.getItem('hocvu-exam:{attempt.pk}')") is None
    expect(note).to_be_hidden()
    expect(progress).to_contain_text("3")

    # The review: unanswered and flagged questions, each a link back.
    with page.expect_navigation():
        page.click("#exam-clock button[data-review]")
    assert page.url.endswith(f"/learn/exam/{attempt.pk}/review/")
    unanswered = page.locator("#exam-unanswered a")
    expect(unanswered).to_have_count(2)
    for link, item in zip(unanswered.all(), (items[1], items[4]), strict=True):
        assert (link.get_attribute("href") or "").endswith(f"#q-{item.uid}")
    flagged = page.locator("#exam-flagged a")
    expect(flagged).to_have_count(1)
    assert (flagged.first.get_attribute("href") or "").endswith(f"#q-{items[1].uid}")
    expect(page.locator("#exam-clock #exam-remaining")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    snap("exam-review")
    # A link goes back to the question; the review is one click away again.
    with page.expect_navigation():
        flagged.first.click()
    expect(card(items[1])).to_be_in_viewport()
    with page.expect_navigation():
        page.click("#exam-clock button[data-review]")

    # Submitting is confirmed, and the confirmation counts the unanswered questions.
    with page.expect_navigation():
        page.click("main a[href$='/submit/']")
    confirm = page.locator("#exam-submit-confirm")
    expect(confirm).to_contain_text("2 câu chưa trả lời")
    expect(confirm).to_contain_text("1 câu vẫn đang được đánh dấu")
    snap("exam-confirm")
    assert read(lambda: Attempt.objects.get(pk=attempt.pk).status, page) == "active"
    with page.expect_navigation():
        page.click("#exam-submit-confirm button[name=confirm]")
    assert page.url.endswith(f"/learn/exam/{attempt.pk}/result/"), page.url
    expect(page.locator("#exam-result")).to_contain_text("2")
    snap("exam-result")
    read(attempt.refresh_from_db, page)
    assert attempt.status == "finished"
    assert attempt.result["answered"] == 3 and attempt.result["correct"] == 2


def test_when_time_runs_out_a_late_answer_is_refused_and_the_result_shown(
    page: Page, site: str, world: World, login: Callable[[str], None]
) -> None:
    """The page's clock reaches zero while an answer waits offline; back online, the server
    refuses it (its clock decides), closes the exam and the page shows the result."""
    from django.utils import timezone

    from hocvu.assessment.models import Attempt, Response
    from hocvu.certification import exam
    from hocvu.content.models import Item

    achievement = ready_for_the_exam(world)
    login(world.learner.username)
    attempt = exam.start_exam(world.learner, achievement)
    items = [Item.objects.get(code=c) for c in attempt.state["items"]]
    Attempt.objects.filter(pk=attempt.pk).update(expires_at=timezone.now() + timedelta(seconds=8))
    page.goto(f"{site}/learn/exam/{attempt.pk}/")
    choose(page.locator(f"#q-{items[0].uid}"), items[0], right=True)
    expect(page.locator(f"#q-{items[0].uid} .qstatus.saved")).to_be_visible()
    page.context.set_offline(True)
    choose(page.locator(f"#q-{items[1].uid}"), items[1], right=True)
    expect(page.locator(f"#q-{items[1].uid} .qstatus.queued")).to_be_visible()
    expect(page.locator("#exam-remaining")).to_have_text("00:00", timeout=15_000)
    expect(page.locator("#exam-note")).to_contain_text("hết giờ")
    # The page shows whole seconds left, rounded down: wait until the server's deadline too.
    deadline = read(lambda: Attempt.objects.get(pk=attempt.pk).expires_at, page)
    while timezone.now() <= deadline:
        page.wait_for_timeout(100)
    page.context.set_offline(False)
    page.wait_for_url(re.compile(r"/result/$"), timeout=15_000)
    expect(page.locator("main")).to_contain_text("hết giờ")
    assert page.evaluate(f"localStorage.getItem('hocvu-exam:{attempt.pk}')") is None
    read(attempt.refresh_from_db, page)
    assert attempt.status == "finished" and attempt.result["timed_out"] is True
    assert attempt.result["answered"] == 1
    assert read(Response.objects.filter(attempt=attempt).count, page) == 1


def test_without_javascript_the_plain_form_does_it_all(
    browser: Browser,
    browser_context_args: dict[str, Any],
    site: str,
    world: World,
    screenshot_dir: Path,
) -> None:
    """No script: each question has its save button, any button saves every answer on the
    page, flags are buttons, and the review and the confirmation are plain pages."""
    from hocvu.assessment.models import Attempt, Response
    from hocvu.certification import exam
    from hocvu.content.models import Item
    from tests.conftest import PASSWORD

    achievement = ready_for_the_exam(world)
    attempt = exam.start_exam(world.learner, achievement)
    items = [Item.objects.get(code=c) for c in attempt.state["items"]]
    context = browser.new_context(
        **{**browser_context_args, "viewport": VIEWPORTS["phone"]}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", world.learner.username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    exam_url = f"{site}/learn/exam/{attempt.pk}/"
    page.goto(exam_url)

    def card(item: Any) -> Locator:
        return page.locator(f"#q-{item.uid}")

    def stored(item: Any) -> Any:
        return read(lambda: Response.objects.filter(attempt=attempt, item=item).first(), page)

    expect(card(items[0]).locator("button[name=save]")).to_be_visible()
    # Two answers chosen, then the flag of a third pressed: one press keeps all three.
    choose(card(items[0]), items[0], right=False, enter=False)
    choose(card(items[1]), items[1], right=True, enter=False)
    with page.expect_navigation():
        card(items[2]).locator("button.flag").click()
    assert page.url == f"{exam_url}#q-{items[2].uid}"
    assert stored(items[0]).score == 0 and stored(items[1]).score == 1
    expect(card(items[2]).locator(".flag-mark")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot_dir / "exam-nojs-phone.png"), full_page=True)
    # Change an answer with its own save button.
    choose(card(items[0]), items[0], right=True, enter=False)
    with page.expect_navigation():
        card(items[0]).locator("button[name=save]").click()
    assert stored(items[0]).score == 1
    # The review, the confirmation, the result.
    with page.expect_navigation():
        page.click("#exam-clock button[value=review]")
    expect(page.locator("#exam-unanswered a")).to_have_count(3)
    expect(page.locator("#exam-flagged a")).to_have_count(1)
    with page.expect_navigation():
        page.click("main a[href$='/submit/']")
    expect(page.locator("#exam-submit-confirm")).to_contain_text("3 câu chưa trả lời")
    with page.expect_navigation():
        page.click("#exam-submit-confirm button[name=confirm]")
    assert page.url.endswith(f"/learn/exam/{attempt.pk}/result/")
    read(attempt.refresh_from_db, page)
    assert attempt.status == "finished" and attempt.result["answered"] == 2
    assert read(lambda: Attempt.objects.get(pk=attempt.pk).state["flagged"], page) == [
        items[2].code
    ]
    context.close()
