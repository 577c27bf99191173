"""A learner keeps a module for offline use on purpose, studies and practises without a
connection, reloads, comes back online and finds every answer stored exactly once; the
certification exam is never kept on the device.

The browser really goes offline (``context.set_offline``), which in Chromium also cuts the
service worker's own requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Shoot
from tests.browser.test_offline import choose, wait_for_worker, wait_until
from tests.conftest import World

pytestmark = pytest.mark.browser

IMAGE = "a2-phishing-email.svg"
ALL_CACHED = """caches.keys().then(names => Promise.all(names.map(n => caches.open(n)
  .then(c => c.keys()).then(rs => rs.map(r => n + ' ' + new URL(r.url).pathname)))))
  .then(lists => lists.flat())"""


def on_a_path(world: World) -> Any:
    """The learner placed with a gap in 1.1 only; the module has a second lesson, with a
    picture, that the learner never opens online."""
    from django.utils import timezone

    from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
    from hocvu.content.models import Lesson, LessonRevision
    from hocvu.framework.models import Competence
    from hocvu.learning.models import EstimateSource, Proficiency

    Attempt.objects.create(
        learner=world.learner,
        kind=AttemptKind.PLACEMENT,
        status=AttemptStatus.FINISHED,
        framework_version=world.module.program.framework_version,
        seed=1,
        expires_at=timezone.now(),
        finished_at=timezone.now(),
    )
    for code, level in {"1.1": 0, "1.2": 1, "4.2": 2}.items():
        Proficiency.objects.create(
            learner=world.learner,
            competence=Competence.objects.get(code=code),
            mean=0.0,
            sd=0.3,
            level=level,
            source=EstimateSource.PLACEMENT,
        )
    second = Lesson.objects.create(module=world.module, level=2, kind="text")
    second.published = LessonRevision.objects.create(
        lesson=second,
        number=1,
        status="published",
        title="Bài 2",
        body=f"![Thư điện tử giả mạo]({IMAGE})\n\nNhận biết **thư giả mạo**.",
        minutes=6,
    )
    second.save()
    return second


def test_keep_a_module_study_offline_and_sync_once(
    page: Page, site: str, world: World, login: Callable[[str], None], shoot: Shoot
) -> None:
    from hocvu.assessment.models import Response
    from hocvu.learning.models import LessonProgress

    second = on_a_path(world)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    items = world.items
    attempt = world.attempt

    # After login, the next step is one tap away.
    login("learner")
    expect(page.locator("main a.button.primary")).to_have_text("Học tiếp: Bài 1")
    expect(page.locator("header nav.main a[href='/units/']")).to_have_count(0)
    shoot("home-next-step")
    wait_for_worker(page)

    # Keep the module from the path page.
    page.goto(f"{site}/learn/path/")
    keep = page.locator(f"form[data-keep='{world.module.pk}']")
    expect(keep.locator("button")).to_have_text("Lưu học phần để học ngoại tuyến")
    keep.locator("button").click()
    expect(keep.locator("[role=status]")).to_contain_text("Đã lưu vào máy", timeout=30_000)
    shoot("offline-path-kept")
    cached = page.evaluate(ALL_CACHED)
    for path in ("/learn/", "/learn/path/", f"/learn/lessons/{second.pk}/"):
        assert f"hocvu-pages {path}" in cached, cached
    assert f"hocvu-pages /learn/practice/{attempt.pk}/" in cached
    assert f"hocvu-media /content/media/{IMAGE}" in cached

    # What is kept, and the space it takes.
    page.goto(f"{site}/learn/saved/")
    module = page.locator("#kept-modules li")
    expect(module).to_have_count(1)
    expect(module.locator("h2")).to_have_text("1.1 Tìm kiếm")
    expect(module).to_contain_text(re.compile(r"Dung lượng: [\d,.]+ (KB|MB)"))
    expect(page.locator("#storage-estimate")).to_contain_text("Ứng dụng đang dùng")
    shoot("offline-saved-list")

    # Offline: the learner's home and path open from the device, not the offline page.
    page.context.set_offline(True)
    page.goto(f"{site}/learn/")
    expect(page.locator("main h1")).to_have_text("Học tập của tôi")
    page.goto(f"{site}/learn/path/")
    expect(page.locator("main h1")).to_have_text("Lộ trình học của tôi")
    # A lesson never opened online, with its picture.
    page.locator(f"main a[href='/learn/lessons/{second.pk}/']").click()
    expect(page.locator("main h1")).to_have_text("Bài 2")
    wait_until(page, "[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    shoot("offline-lesson")
    page.locator("main form button[type=submit]").click()  # "I have read it — next"
    expect(page.locator("main h1")).to_have_text("Lộ trình học của tôi")

    # Practice: the set kept with the module opens instead of drawing a new one.
    page.locator(f"form[data-practice-module='{world.module.pk}'] button").click()
    expect(page).to_have_url(f"{site}/learn/practice/{attempt.pk}/")
    note = page.locator("#offline-note")
    expect(note.locator("[data-offline]")).to_be_visible()
    ids = [choose(page, items[0], right=True), choose(page, items[1], right=False)]
    for item in items[:2]:
        expect(page.locator(f"#q-{item.uid} .feedback.queued")).to_be_visible()
    expect(note.locator("[data-pending] b")).to_have_text("2")

    # Reloading offline: no error, the answers still shown as waiting, with the choice.
    page.reload()
    for item, right in zip(items[:2], (True, False), strict=True):
        expect(page.locator(f"#q-{item.uid} .feedback.queued")).to_be_visible()
        choice = item.answer[0] if right else (item.answer[0] + 1) % len(item.options)
        checked = page.locator(f"#q-{item.uid} input[name=choice]:checked")
        expect(checked).to_have_value(str(choice))
        expect(checked).to_be_disabled()
    expect(note.locator("[data-pending] b")).to_have_text("2")
    expect(page.locator(f"#q-{items[2].uid} button[type=submit]")).to_be_enabled()
    shoot("offline-practice-reloaded")
    assert Response.objects.filter(attempt=attempt).count() == 0

    # A page that is not kept: the offline page, the same for anyone, with the kept module.
    page.goto(f"{site}/learn/profile/")
    expect(page).to_have_title(re.compile("ngoại tuyến"))
    expect(page.locator("header a[href='/accounts/login/']")).to_have_count(0)
    expect(page.locator("header form[data-logout]")).to_have_count(0)
    expect(page.locator("#kept-links a")).to_have_text(["1.1 Tìm kiếm"])
    shoot("offline-page")

    # Back online on the practice page: the answers never look unanswered, then sync.
    page.goto(f"{site}/learn/practice/{attempt.pk}/")
    expect(page.locator(f"#q-{items[0].uid} .feedback.queued")).to_be_visible()
    page.context.set_offline(False)
    answered = " , ".join(
        f"#q-{i.uid} .feedback.queued, #q-{i.uid} .feedback.ok, #q-{i.uid} .feedback.ko"
        for i in items[:2]
    )
    for _ in range(150):
        assert page.locator(answered).count() == 2, "an answered question looked unanswered"
        if page.locator(f"#q-{items[1].uid} .feedback.ko").count():
            break
        page.wait_for_timeout(100)
    expect(page.locator(f"#q-{items[0].uid} .feedback.ok")).to_be_visible()
    expect(page.locator(f"#q-{items[1].uid} .feedback.ko")).to_be_visible()
    expect(page.locator("#practice-progress")).to_have_text("2/3")
    expect(note).to_be_hidden()

    # The last question online: the counter and the result arrive without a reload.
    choose(page, items[2], right=True)
    expect(page.locator(f"#q-{items[2].uid} .feedback.ok")).to_be_visible()
    expect(page.locator("#practice-progress")).to_have_text("3/3")
    expect(page.locator("#practice-result")).to_contain_text("Đúng 2 trên 3 câu")
    expect(page.locator("#practice-result a.button")).to_have_attribute("href", "/learn/path/")
    shoot("offline-practice-synced")

    stored = list(Response.objects.filter(attempt=attempt).order_by("position"))
    assert [str(r.answer_id) for r in stored[:2]] == ids
    assert [r.item_id for r in stored] == [i.pk for i in items]
    assert [r.score for r in stored] == [1, 0, 1]
    # The lesson read offline is recorded once.
    wait_until(page, "true")
    progress = LessonProgress.objects.filter(learner=world.learner, lesson=second)
    assert progress.count() == 1 and progress.get().completed_at is not None
    assert not errors, errors

    # Removing the module frees its pages.
    page.goto(f"{site}/learn/saved/")
    page.locator("#kept-modules li button").click()
    expect(page.locator("#kept-modules li")).to_have_count(0)
    expect(page.locator("#kept-empty")).to_be_visible()
    cached = page.evaluate(ALL_CACHED)
    assert f"hocvu-pages /learn/lessons/{second.pk}/" not in cached
    assert f"hocvu-pages /learn/practice/{attempt.pk}/" not in cached
    assert "hocvu-pages /learn/path/" in cached  # visited pages stay


def test_the_exam_is_never_kept_on_the_device(
    page: Page, site: str, world: World, login: Callable[[str], None]
) -> None:
    login("learner")
    wait_for_worker(page)
    # A picture shown by a lesson is kept ...
    page.goto(f"{site}/learn/lessons/{world.lesson.pk}/")
    page.evaluate(f"fetch('/content/media/{IMAGE}').then(r => r.ok)")
    wait_until(page, f"{ALL_CACHED}.then(c => c.includes('hocvu-media /content/media/{IMAGE}'))")
    media = f"/content/media/{IMAGE}"
    page.evaluate(f"caches.open('hocvu-media').then(c => c.delete('{media}', {{ignoreVary: 1}}))")
    # ... the same picture shown by an exam page is not, nor is any exam page.
    page.goto(f"{site}/learn/exam/")
    expect(page.locator("main h1")).to_be_visible()
    assert page.evaluate(f"fetch('/content/media/{IMAGE}').then(r => r.ok)")
    assert page.evaluate("fetch('/learn/exam/', {headers: {Accept: 'text/html'}}).then(r => r.ok)")
    page.wait_for_timeout(500)  # anything the worker would store, stored by now
    cached = page.evaluate(ALL_CACHED)
    assert not [c for c in cached if "/learn/exam/" in c or IMAGE in c], cached
    # Offline an exam page is the offline page, never a copy.
    page.context.set_offline(True)
    page.goto(f"{site}/learn/exam/")
    expect(page).to_have_title(re.compile("ngoại tuyến"))
    page.context.set_offline(False)
