"""A new learner's whole journey in a real browser, on the shipped curriculum.

A commune People's Council member logs in on a phone, starts the placement test, stops,
and finishes it on a computer (another login: "another device"); reads the profile, opens
the path, reads a lecture, practises with instant feedback, and takes the daily review;
then goes through the same pages again on the phone, tapping.

Every step is photographed at the phone and the desktop size
(``test-artifacts/screenshots/journey-*.png``). The learner pages are checked through
their structure, not their wording, so the test holds whatever the translation catalog says.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import STYLED_HEADER_BACKGROUND, VIEWPORTS
from tests.learning import PASSWORD, make_learner, right_answer, shipped, wrong_answer

pytestmark = pytest.mark.browser

#: The placement test never asks more than this.
MAX_QUESTIONS = 60
#: Questions answered on the phone before the learner stops and moves to the computer.
ON_THE_PHONE = 6
#: Interactive elements smaller than this (CSS px) are hard to hit with a finger.
TOUCH = 44


def answers_right(item: Any) -> bool:
    """The simulated learner: at ease with information, communication and content
    (areas 1-3), weak in safety, problem solving and AI (areas 4-6)."""
    return item.competence.code.split(".")[0] in {"1", "2", "3"}


# -- fixtures ------------------------------------------------------------------------------


class Journey:
    def __init__(self, base: str, learner: Any, shots: Path) -> None:
        self.base = base
        self.learner = learner
        self.shots = shots
        self.small_targets: dict[str, list[str]] = {}

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def log_in(self, page: Any) -> None:
        page.goto(self.url("/accounts/login/"))
        page.fill("#id_username", self.learner.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.url == self.url("/"), page.url

    def snap(self, page: Any, name: str) -> None:
        """Check the page is styled and fits the screen, then photograph it at both sizes."""
        background = page.eval_on_selector(
            "header.top", "el => getComputedStyle(el).backgroundColor"
        )
        assert background == STYLED_HEADER_BACKGROUND, f"stylesheet not applied on {page.url}"
        original = page.viewport_size
        for label, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            page.screenshot(path=str(self.shots / f"journey-{name}-{label}.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= size["width"], f"{page.url} is {width}px wide at {label} size"
            if label == "phone":
                small = page.evaluate(SMALL_TARGETS_JS, TOUCH)
                if small:
                    self.small_targets[name] = small
        if original:
            page.set_viewport_size(original)


# Buttons, button-like links, choices and fields smaller than a finger (links inside running
# text are exempt, as WCAG 2.5.8 allows).
SMALL_TARGETS_JS = """
(min) => [...document.querySelectorAll(
    'main button, main .button, main label.choice, main select, main input:not([type=hidden]),'
    + ' main summary, header button, header .button, nav.pager a')]
  .filter(el => el.offsetParent !== null)
  .filter(el => !(el.type === 'radio' || el.type === 'checkbox'))
  .map(el => [el, el.getBoundingClientRect()])
  .filter(([el, r]) => r.height < min || r.width < min)
  .map(([el, r]) => `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}`
       + ` "${(el.innerText || el.value || '').trim().slice(0, 30)}"`
       + ` ${Math.round(r.width)}x${Math.round(r.height)}`)
"""


@pytest.fixture
def journey(live_server: Any, transactional_db: Any, screenshot_dir: Path) -> Iterator[Journey]:
    shipped()
    yield Journey(live_server.url, make_learner("hoc-vien"), screenshot_dir)


@pytest.fixture
def phone(browser: Any, browser_context_args: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(
        **{**browser_context_args, "viewport": VIEWPORTS["phone"], "has_touch": True}
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def computer(browser: Any, browser_context_args: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(**{**browser_context_args, "viewport": VIEWPORTS["desktop"]})
    page = context.new_page()
    yield page
    context.close()


# -- answering through the page ------------------------------------------------------------


def fill(form: Any, item: Any, answer: dict[str, Any]) -> None:
    """Answer ``item`` in ``form`` the way a person does: click the labels, type, select."""
    kind = item.kind

    def tick(name: str, value: Any) -> None:
        form.locator(f"label.choice:has(input[name={name}][value='{value}']) span").click()

    if kind in ("single", "scenario"):
        tick("choice", answer["choice"])
    elif kind == "multiple":
        for choice in answer["choices"]:
            tick("choices", choice)
    elif kind == "true_false":
        tick("value", "true" if answer["value"] else "false")
    elif kind == "ordering":
        for position, option in enumerate(answer["order"]):
            form.locator(f"select[name=pos{position}]").select_option(str(option))
    elif kind == "numeric":
        form.locator("input[name=value]").fill(str(answer["value"]).replace(".", ","))
    elif kind == "short_text":
        form.locator("input[name=text]").fill(answer["text"])
    else:
        raise AssertionError(kind)


def item_in(form: Any) -> Any:
    from hocvu.content.models import Item

    return Item.objects.select_related("competence").get(
        uid=form.locator("input[name=item]").input_value()
    )


def answer_placement_question(page: Any) -> Any:
    """Answer the question on screen; the next one comes back in the same response (htmx
    swaps it in), the last answer loads the profile page."""
    form = page.locator("main form.question")
    item = item_in(form)
    fill(form, item, right_answer(item) if answers_right(item) else wrong_answer(item))
    form.locator("button[type=submit]").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if "/learn/profile/" in page.url:
            break
        try:
            shown = page.locator("main form.question input[name=item]").input_value(timeout=500)
        except PlaywrightError:  # between two pages
            shown = ""
        if shown and shown != str(item.uid):
            break
        page.wait_for_timeout(50)
    else:
        raise AssertionError("the next question never came")
    page.wait_for_load_state()
    return item


def practise(page: Any, journey: Journey, name: str) -> list[Any]:
    """Answer every open question of the practice page: right, then wrong, alternately."""
    page.evaluate("window.__samePage = true")
    cards = page.locator("main section.question:has(form)")
    answered = []
    for n in range(cards.count()):
        card = page.locator("main section.question:has(form)").first
        form = card.locator("form")
        item = item_in(form)
        right = n % 2 == 0
        fill(form, item, right_answer(item) if right else wrong_answer(item))
        form.locator("button[type=submit]").click()
        done = page.locator(f"#q-{item.uid}")
        expect(done.locator(".feedback.ok" if right else ".feedback.ko")).to_be_visible()
        expect(done.locator("form")).to_have_count(0)
        first_line = item.explanation.strip().splitlines()[0][:40]
        expect(done).to_contain_text(first_line)
        if n == 0:
            journey.snap(page, f"{name}-feedback")
        answered.append(item)
    # Feedback came into the page itself: no page load happened.
    assert page.evaluate("window.__samePage === true"), "the answer reloaded the page"
    return answered


# -- the journey ---------------------------------------------------------------------------


def test_a_new_learner_from_placement_to_review(
    journey: Journey, phone: Any, computer: Any
) -> None:
    from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
    from hocvu.content.models import LessonKind
    from hocvu.learning import services as learning
    from hocvu.learning.models import LessonProgress, Proficiency, ReviewCard

    learner = journey.learner

    # 1. On the phone: log in, open "learn", start the placement test, answer a few.
    journey.log_in(phone)
    phone.goto(journey.url("/learn/"))
    start = phone.locator("main a.button[href='/learn/placement/']")
    expect(start).to_be_visible()
    journey.snap(phone, "01-dashboard-new")
    start.click()
    expect(phone).to_have_url(journey.url("/learn/placement/"))
    journey.snap(phone, "02-placement-intro")
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    placement_url = phone.url
    assert "/learn/placement/" in placement_url and placement_url != journey.url(
        "/learn/placement/"
    )
    journey.snap(phone, "03-placement-question")
    seen = []
    for _ in range(ON_THE_PHONE):
        seen.append(answer_placement_question(phone).code)
    pending = item_in(phone.locator("main form.question"))
    expect(phone.locator("main .progress")).to_be_visible()
    journey.snap(phone, "04-placement-later-question")

    # 2. On the computer (another login): the test continues at the same question.
    journey.log_in(computer)
    computer.goto(journey.url("/learn/"))
    resume = computer.locator("main a.button[href='/learn/placement/']")
    journey.snap(computer, "05-dashboard-resume")
    resume.click()
    with computer.expect_navigation():
        computer.locator("main form button[type=submit]").click()
    assert computer.url == placement_url, "another placement test was started"
    assert item_in(computer.locator("main form.question")).pk == pending.pk
    photographed = {pending.kind}
    while "/learn/profile/" not in computer.url:
        assert len(seen) < MAX_QUESTIONS, "more than 60 questions"
        form = computer.locator("main form.question")
        kind = item_in(form).kind
        if kind not in photographed:  # one picture of each kind of question
            photographed.add(kind)
            journey.snap(computer, f"06-placement-{kind}")
        seen.append(answer_placement_question(computer).code)
    assert len(seen) == len(set(seen)), "a question came twice"
    attempt = Attempt.objects.get(learner=learner, kind=AttemptKind.PLACEMENT)
    assert attempt.status == AttemptStatus.FINISHED and attempt.n_answered == len(seen)
    assert Proficiency.objects.filter(learner=learner).count() == 24

    # 3. The profile: the chart, and the gaps in words.
    rows = learning.profile(learner, attempt.framework_version)
    gaps = [r for r in rows if r.measured and r.gap > 0]
    assert gaps, "the simulated learner should have gaps"
    main = computer.locator("main")
    chart = main.locator("figure .profile-chart")
    expect(chart).to_be_visible()
    # One row per competence, named (not just its code), in the framework's order.
    names = chart.locator(".profile-name")
    expect(names).to_have_count(len(rows))
    expect(names).to_have_text([f"{r.competence.code} {r.competence.title}" for r in rows])
    expect(chart.locator("svg[role=img] rect")).to_have_count(sum(1 for r in rows if r.measured))
    expect(chart.locator("svg[role=img] path")).to_have_count(sum(1 for r in rows if r.target))
    words = main.locator("h2 + ul").first.locator("li")
    expect(words).to_have_count(len(gaps))
    for r, li in zip(gaps, words.all(), strict=True):
        expect(li).to_contain_text(f"{r.competence.code} {r.competence.title}")
        expect(li).to_contain_text(str(r.level))
        expect(li).to_contain_text(str(r.target))
    journey.snap(computer, "07-profile")

    # 4. The path: only the gaps, each with its lessons.
    main.locator("a.button[href='/learn/path/']").click()
    expect(computer).to_have_url(journey.url("/learn/path/"))
    steps = learning.learning_path(learner, program_of(attempt))
    cards = main.locator("ol.path > li.card")
    expect(cards).to_have_count(len(steps))
    for step, card in zip(steps, cards.all(), strict=True):
        expect(card.locator("h2")).to_contain_text(step.competence.code)
        expect(card.locator("ul li a")).to_have_count(len(step.lessons))
    journey.snap(computer, "08-path")

    # 5. A lecture on the path: callouts, the transcript; mark it read.
    lecture = next(
        lesson for step in steps for lesson in step.lessons if lesson.kind == LessonKind.LECTURE
    )
    revision = lecture.published
    assert revision is not None
    main.locator(f"a[href='/learn/lessons/{lecture.pk}/']").click()
    expect(computer).to_have_url(journey.url(f"/learn/lessons/{lecture.pk}/"))
    expect(main.locator("h1")).to_have_text(revision.title)
    expect(main.locator("blockquote.callout").first).to_be_visible()
    transcript = main.locator("details[open] .transcript")
    expect(transcript).to_be_visible()
    expect(transcript).to_contain_text(revision.transcript.strip().split("\n")[0][:40])
    journey.snap(computer, "09-lecture")
    with computer.expect_navigation():
        main.locator(f"form[action='/learn/lessons/{lecture.pk}/done/'] button").click()
    assert LessonProgress.objects.get(learner=learner, lesson=lecture).completed_at is not None
    journey.snap(computer, "10-after-marking-read")
    computer.goto(journey.url("/learn/path/"))
    step_of_lecture = next(s for s in steps if lecture in s.lessons)
    card = main.locator(
        "ol.path > li.card", has=computer.locator(f"a[href='/learn/lessons/{lecture.pk}/']")
    )
    expect(card).to_contain_text(f"1/{len(step_of_lecture.lessons)}")

    # 6. Practice that module: instant feedback with the explanation.
    with computer.expect_navigation():
        card.locator("form[action$='/practice/'] button").click()
    assert "/learn/practice/" in computer.url
    journey.snap(computer, "11-practice")
    practised = practise(computer, journey, "12-practice")
    assert practised
    computer.reload()
    expect(main.locator("a.button[href='/learn/path/']")).to_be_visible()  # the set is done
    journey.snap(computer, "13-practice-done")

    # 7. The daily review: one card made due, the rest later.
    now = timezone.now()
    cards_of = ReviewCard.objects.filter(learner=learner)
    assert cards_of.count() == len(practised)
    cards_of.update(due=now + timedelta(days=3))
    due_card = cards_of.order_by("pk")[0]
    ReviewCard.objects.filter(pk=due_card.pk).update(due=now - timedelta(hours=1))
    computer.goto(journey.url("/learn/"))
    expect(main.locator("a.button[href='/learn/review/']")).to_be_visible()
    journey.snap(computer, "14-dashboard-review-due")
    main.locator("a.button[href='/learn/review/']").click()
    expect(computer).to_have_url(journey.url("/learn/review/"))
    journey.snap(computer, "15-review")
    with computer.expect_navigation():
        main.locator("form button[type=submit]").click()
    review = Attempt.objects.get(learner=learner, kind=AttemptKind.REVIEW)
    assert review.state["items"] == [due_card.item.code]
    reviewed = practise(computer, journey, "16-review")
    assert [i.pk for i in reviewed] == [due_card.item_id]
    assert ReviewCard.objects.get(pk=due_card.pk).due > timezone.now()

    # 8. Back on the phone, tapping through the same pages.
    phone.goto(journey.url("/learn/"))
    journey.snap(phone, "17-dashboard-after")
    phone.locator("main a[href='/learn/profile/']").click()
    expect(phone.locator("main figure .profile-chart")).to_be_visible()
    phone.locator("main a.button[href='/learn/path/']").click()
    expect(phone).to_have_url(journey.url("/learn/path/"))
    other = next(
        lesson
        for step in steps
        for lesson in step.lessons
        if lesson.kind == LessonKind.TEXT and lesson.pk != lecture.pk
    )
    phone.locator(f"main a[href='/learn/lessons/{other.pk}/']").click()
    expect(phone.locator("main blockquote.callout").first).to_be_visible()
    journey.snap(phone, "18-lesson-text")
    phone.goto(journey.url("/learn/path/"))
    card = phone.locator(
        "ol.path > li.card", has=phone.locator(f"a[href='/learn/lessons/{other.pk}/']")
    )
    with phone.expect_navigation():
        card.locator("form[action$='/practice/'] button").tap()
    assert "/learn/practice/" in phone.url
    practise(phone, journey, "19-practice-phone")

    print("\nquestions in the placement test:", len(seen))
    for name, small in journey.small_targets.items():
        print(f"small touch targets on {name}: {small}")


def program_of(attempt: Any) -> Any:
    from hocvu.content.services import default_program

    program = default_program()
    assert program is not None and program.framework_version_id == attempt.framework_version_id
    return program


def test_a_refused_practice_answer_shows_its_error(journey: Journey, computer: Any) -> None:
    from hocvu.assessment.models import Attempt, AttemptKind
    from hocvu.content.models import Item, ItemKind, ItemStatus, Module

    # A "choose every correct answer" question has no required field: sending it with
    # nothing ticked reaches the server, which refuses it with a message.
    item = Item.objects.filter(kind=ItemKind.MULTIPLE, status=ItemStatus.OPERATIONAL)[0]
    module = Module.objects.get(competence=item.competence)
    attempt = Attempt.objects.create(
        learner=journey.learner,
        kind=AttemptKind.PRACTICE,
        module=module,
        framework_version=module.program.framework_version,
        seed=1,
        state={"items": [item.code]},
        expires_at=timezone.now() + timedelta(days=1),
    )
    journey.log_in(computer)
    computer.goto(journey.url(f"/learn/practice/{attempt.pk}/"))
    card = computer.locator(f"#q-{item.uid}")
    with computer.expect_response(
        lambda r: "/learn/practice/" in r.url and r.request.method == "POST"
    ) as info:
        card.locator("button[type=submit]").click()
    assert info.value.status == 400
    expect(card.get_by_role("alert")).to_be_visible(timeout=3000)
