"""The installable app offline: lessons opened before still read, answers wait and sync once.

The browser really goes offline (``context.set_offline``): in Chromium this also cuts the
service worker's own requests, so the outbox is exercised end to end.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shoot
from tests.conftest import World

pytestmark = pytest.mark.browser

IMAGE = "a2-phishing-email.svg"


def wait_until(page: Page, expression: str, timeout: float = 30.0) -> None:
    """Poll ``expression`` (awaited if it is a promise) until it is truthy.

    ``page.wait_for_function`` compiles a string predicate inside the page, which the
    Content-Security-Policy (no 'unsafe-eval') refuses; ``page.evaluate`` runs it through
    the DevTools protocol instead, which the policy does not govern.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)


def wait_for_worker(page: Page) -> None:
    """Wait until the service worker is active and controls the page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    wait_until(page, "navigator.serviceWorker.controller !== null")


def choose(page: Page, item: Any, right: bool) -> str:
    """Pick an answer on the card of ``item``, submit it, return the form's answer_id."""
    card = page.locator(f"#q-{item.uid}")
    choice = item.answer[0] if right else (item.answer[0] + 1) % len(item.options)
    card.locator(f"input[name=choice][value='{choice}']").check()
    answer_id = card.locator("input[name=answer_id]").input_value()
    card.locator("button[type=submit]").click()
    return answer_id


def test_practice_offline_then_sync_exactly_once(
    page: Page, site: str, world: World, login: Callable[[str], None], shoot: Shoot
) -> None:
    from hocvu.assessment.models import Response

    revision = world.lesson.published
    revision.body = f"![Thư điện tử giả mạo]({IMAGE})\n\n**Tìm** kiếm thông tin trên mạng."
    revision.save()
    items = world.items
    attempt = world.attempt

    login("learner")
    wait_for_worker(page)
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    assert manifest["start_url"] == "/learn/"
    assert manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}

    # A lesson opened online, with its picture.
    lesson_url = f"{site}/learn/lessons/{world.lesson.pk}/"
    page.goto(lesson_url)
    expect(page.locator("main h1")).to_have_text("Bài 1")
    wait_until(page, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")

    # Practice: the first answer goes straight to the server.
    page.goto(f"{site}/learn/practice/{attempt.pk}/")
    note = page.locator("#offline-note")
    expect(note).to_be_hidden()
    ids = [choose(page, items[0], right=True)]
    expect(page.locator(f"#q-{items[0].uid} .feedback.ok")).to_be_visible()
    assert Response.objects.filter(attempt=attempt).count() == 1

    # Offline: two more answers wait on the device.
    page.context.set_offline(True)
    expect(note.locator("[data-offline]")).to_be_visible()
    ids.append(choose(page, items[1], right=False))
    ids.append(choose(page, items[2], right=True))
    for item in items[1:]:
        queued = page.locator(f"#q-{item.uid} .feedback.queued")
        expect(queued).to_have_text(note.get_attribute("data-queued") or "-")
        # The question and the choice stay on screen, locked.
        expect(page.locator(f"#q-{item.uid} input[name=choice]:checked")).to_be_disabled()
    expect(note.locator("[data-pending]")).to_be_visible()
    expect(note.locator("[data-pending] b")).to_have_text("2")
    assert Response.objects.filter(attempt=attempt).count() == 1
    shoot("offline-practice-queued")

    # Meanwhile, in another tab, the lesson opened earlier reads offline, picture included.
    other = page.context.new_page()
    other.goto(lesson_url)
    expect(other.locator("main h1")).to_have_text("Bài 1")
    expect(other.locator("main")).to_contain_text("Tìm kiếm thông tin trên mạng")
    wait_until(other, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    # The practice page reloaded offline (from the device) shows what waits.
    other.goto(f"{site}/learn/practice/{attempt.pk}/")
    for item in items[1:]:
        expect(other.locator(f"#q-{item.uid} .feedback.queued")).to_be_visible()
    expect(other.locator("#offline-note [data-pending] b")).to_have_text("2")
    # A page never opened shows the offline page, which lists the saved lessons.
    other.goto(f"{site}/learn/path/")
    expect(other).to_have_title(re.compile("ngoại tuyến|offline"))
    expect(other.locator("#saved-lessons a")).to_have_text(["Bài 1"])
    other.close()

    # Back online: the outbox empties by itself, each answer stored exactly once.
    page.context.set_offline(False)
    expect(page.locator(f"#q-{items[1].uid} .feedback.ko")).to_be_visible(timeout=15_000)
    expect(page.locator(f"#q-{items[2].uid} .feedback.ok")).to_be_visible()
    expect(page.locator("#practice-progress")).to_have_text("3/3")
    expect(page.locator("#practice-result")).to_contain_text("2")
    expect(note).to_be_hidden()
    shoot("offline-practice-synced")

    stored = list(Response.objects.filter(attempt=attempt).order_by("position"))
    assert [str(r.answer_id) for r in stored] == ids
    assert [r.item_id for r in stored] == [i.pk for i in items]
    assert [r.score for r in stored] == [1, 0, 1]

    # A late retry of an answer already stored (a replay, a double tap) changes nothing.
    status = page.evaluate(
        """([url, body]) => fetch(url, {method: 'POST', body: new URLSearchParams(body),
              headers: {'HX-Request': 'true'}}).then(r => r.status)""",
        [
            f"/learn/practice/{attempt.pk}/{items[2].uid}/",
            {
                "csrfmiddlewaretoken": page.locator(
                    "[name=csrfmiddlewaretoken]"
                ).first.input_value(),
                "item": str(items[2].uid),
                "answer_id": ids[2],
                "choice": str(items[2].answer[0]),
            },
        ],
    )
    assert status == 200
    assert Response.objects.filter(attempt=attempt).count() == 3


def test_logout_forgets_the_learners_pages(
    page: Page, site: str, world: World, login: Callable[[str], None]
) -> None:
    login("learner")
    wait_for_worker(page)
    page.goto(f"{site}/learn/lessons/{world.lesson.pk}/")
    expect(page.locator("main h1")).to_have_text("Bài 1")
    cached = "caches.open('hocvu-pages').then(c => c.keys()).then(k => k.map(r => r.url))"
    wait_until(page, f"{cached}.then(urls => urls.length > 0)")
    page.click("header form[data-logout] button")
    expect(page).to_have_url(f"{site}/")
    assert page.evaluate(cached) == []
    # Offline, the lesson is no longer on the device.
    page.context.set_offline(True)
    page.goto(f"{site}/learn/lessons/{world.lesson.pk}/")
    expect(page.locator("#saved-lessons")).to_be_attached()
    expect(page.locator("#saved-lessons a")).to_have_count(0)
    page.context.set_offline(False)
