"""The certification exam: blueprint, comparable forms, honest clock, attempt policy,
no key before submission, and no one else's exam."""

from __future__ import annotations

import re
import statistics
import tomllib
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]

#: Distinctive pieces of the keys and explanations: none may reach a page before submission.
SECRET = "KHOA-BI-MAT"


def add_bank(version: Any, per_cell: int = 4, start: int = 0) -> list[Any]:
    """``per_cell`` operational secure exam items for every competence x level of
    ``version``, of four kinds (so the guessing parameter differs) and varied
    discrimination."""
    from hocvu.content.models import Item, ItemPool, ItemStatus
    from hocvu.content.services import provisional_parameters

    items = []
    serial = 0
    for comp in version.competences.order_by("code"):
        for level in (1, 2, 3, 4):
            for n in range(start, start + per_cell):
                serial += 1
                kind = ("single", "true_false", "numeric", "short_text")[n % 4]
                options = ["Một", "Hai", "Ba", "Bốn"] if kind == "single" else []
                key: Any = {
                    "single": [serial % 4],
                    "true_false": bool(serial % 2),
                    "numeric": {"value": 987000 + serial, "tolerance": 0},
                    "short_text": {"accepted": [f"{SECRET}-{serial}"]},
                }[kind]
                a, b, c = provisional_parameters(level, kind, len(options))
                items.append(
                    Item.objects.create(
                        code=f"X-{comp.code}-{level}-{n}",
                        competence=comp,
                        level=level,
                        kind=kind,
                        status=ItemStatus.OPERATIONAL,
                        pool=ItemPool.EXAM,
                        stem=f"Câu hỏi thi {comp.code} mức {level} số {n}?",
                        options=options,
                        answer=key,
                        explanation=f"{SECRET} giải thích {serial}.",
                        a=a * (0.8 + 0.15 * n),
                        b=b + 0.1 * (n - 1.5),
                        c=c,
                    )
                )
    return items


@pytest.fixture
def exam_world(world: Any) -> Any:
    """The shared world plus a full bank and the program's achievements."""
    from hocvu.credentials.setup import install_achievements

    version = world.module.program.framework_version
    add_bank(version)
    achievements = install_achievements(world.module.program)
    world.achievement = next(a for a in achievements if a.role_profile.code == "commune_council")
    world.achievements = achievements
    return world


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)  # login throttling (axes) needs a request: not what is tested here
    return client


@pytest.fixture(autouse=True)
def _exam_open_below_target(settings: Any) -> None:
    """These tests are about the exam itself; readiness has its own (test_eligibility.py)."""
    settings.CERTIFICATION_EXAM_BELOW_TARGET = True


def start_on_page(client: Client, **extra: Any) -> Any:
    """Start the exam as a candidate does: through the confirmation step."""
    return client.post(reverse("exam-start"), {"confirm": "yes"}, **extra)


def right_answer(item: Any) -> dict[str, str]:
    """The form fields of a correct answer to ``item``."""
    if item.kind == "single":
        return {"choice": str(item.answer[0])}
    if item.kind == "true_false":
        return {"value": "true" if item.answer else "false"}
    if item.kind == "numeric":
        return {"value": str(item.answer["value"])}
    return {"text": item.answer["accepted"][0]}


def post_answer(client: Client, attempt: Any, item: Any, fields: dict[str, str]) -> Any:
    import uuid

    url = reverse("exam-answer", kwargs={"attempt_id": attempt.pk, "item_uid": item.uid})
    return client.post(url, {**fields, "item": str(item.uid), "answer_id": str(uuid.uuid4())})


# ---------------------------------------------------------------------------------------
# Blueprint and forms
# ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_forms_follow_the_blueprint(exam_world: Any) -> None:
    from hocvu.certification import exam
    from hocvu.content.models import Item

    role = exam_world.achievement.role_profile
    cells = exam.blueprint(role)
    # commune_council targets 1.1 -> 2, 1.2 -> 1, 4.2 -> 2; plus one per area at its
    # highest target: area 1 -> 1.1 at 2, area 4 -> 4.2 at 2.
    assert {(c.competence, c.level): c.count for c in cells} == {
        ("1.1", 2): 2,
        ("1.2", 1): 1,
        ("4.2", 2): 2,
    }
    attempt = exam.start_exam(exam_world.learner, exam_world.achievement)
    items = Item.objects.filter(code__in=attempt.state["items"])
    got = Counter((i.competence.code, i.level) for i in items)
    assert got == {(c.competence, c.level): c.count for c in cells}
    assert len(set(attempt.state["items"])) == len(attempt.state["items"]) == 5
    assert all(i.status == "operational" for i in items)
    assert attempt.kind == "exam" and attempt.state["achievement"] == exam_world.achievement.pk


@pytest.mark.django_db
def test_forms_differ_between_candidates(exam_world: Any) -> None:
    from hocvu.certification import exam

    first = exam.start_exam(exam_world.learner, exam_world.achievement)
    second = exam.start_exam(exam_world.learner_b, exam_world.achievement)
    third = exam.start_exam(exam_world.learner_q, exam_world.achievement)
    forms = [sorted(a.state["items"]) for a in (first, second, third)]
    assert len({tuple(f) for f in forms}) >= 2
    # Over many candidates (seeds), forms are many and every eligible item is used.
    role = exam_world.achievement.role_profile
    cells, pool = exam.blueprint(role), exam.pool_for(role)
    drawn = [exam.assemble(cells, pool, seed) for seed in range(200)]
    # 144 possible item sets of 5, fewer of them within the difficulty tolerance.
    assert len({tuple(sorted(f.codes)) for f in drawn}) >= 20
    used = Counter(code for f in drawn for code in f.codes)
    eligible = {i.code for c in cells for i in pool[(c.competence, c.level)]}
    assert len(used) >= 0.75 * len(eligible)
    assert max(used.values()) < 200  # no item on every form


@pytest.mark.django_db
def test_a_new_attempt_avoids_questions_seen_before(exam_world: Any) -> None:
    from hocvu.certification import exam

    t0 = timezone.now()
    first = exam.start_exam(exam_world.learner, exam_world.achievement, now=t0)
    exam.finish_exam(first, now=t0 + timedelta(minutes=5))
    second = exam.start_exam(exam_world.learner, exam_world.achievement, now=t0 + timedelta(days=8))
    # Every cell holds 4 items and asks for at most 2: nothing needs to repeat.
    assert not set(first.state["items"]) & set(second.state["items"])


@pytest.mark.django_db
def test_a_form_never_repeats_a_seen_item_and_a_spent_pool_is_unavailable(
    exam_world: Any,
) -> None:
    """commune_council asks 2 questions of 1.1 at level 2 and of 4.2 at level 2, whose
    cells hold 4 items: two forms use them all, and a third start is refused with a
    clear reason before any attempt is counted, instead of repeating an item."""
    from hocvu.certification import exam

    learner, achievement = exam_world.learner, exam_world.achievement
    t0 = timezone.now() - timedelta(days=60)
    seen: set[str] = set()
    for k in range(2):
        attempt = exam.start_exam(learner, achievement, now=t0 + timedelta(days=8 * k))
        assert not seen & set(attempt.state["items"])
        seen |= set(attempt.state["items"])
        exam.finish_exam(attempt, now=t0 + timedelta(days=8 * k, minutes=20))
    with pytest.raises(exam.ExamUnavailable, match="not seen"):
        exam.start_exam(learner, achievement, now=t0 + timedelta(days=20))
    assert exam.exam_attempts(learner, achievement.pk).count() == 2


@pytest.mark.django_db
def test_an_item_answered_anywhere_is_never_on_the_form(exam_world: Any) -> None:
    """An item the candidate answered in practice (say, before an author moved it to the
    exam pool) counts as seen."""
    import uuid

    from hocvu.assessment.models import Response
    from hocvu.certification import exam
    from hocvu.content.models import Item

    role = exam_world.achievement.role_profile
    pool = exam.pool_for(role)
    moved = Item.objects.get(code=pool[("4.2", 2)][0].code)
    Response.objects.create(
        attempt=exam_world.attempt,
        item=moved,
        answer_id=uuid.uuid4(),
        answer={"choice": 0},
        score=1,
        position=99,
        answered_at=timezone.now(),
    )
    assert moved.code in exam.seen_items(exam_world.learner)
    for seed in range(20):
        attempt = exam.start_exam(exam_world.learner, exam_world.achievement, seed=seed)
        assert moved.code not in attempt.state["items"]
        attempt.delete()


@pytest.mark.django_db
def test_the_exam_uses_the_secure_pool_only(exam_world: Any) -> None:
    """With no secure exam items the exam is unavailable (never a learning item, never an
    error page); with them, no form holds a learning item."""
    from hocvu.certification import exam
    from hocvu.content.models import Item, ItemPool

    learning = set(Item.objects.filter(pool=ItemPool.LEARNING).values_list("code", flat=True))
    assert learning  # the world's practice items
    attempt = exam.start_exam(exam_world.learner, exam_world.achievement)
    assert not learning & set(attempt.state["items"])
    assert all(code.startswith("X-") for code in attempt.state["items"])
    attempt.delete()

    Item.objects.filter(pool=ItemPool.EXAM).update(pool=ItemPool.LEARNING)
    with pytest.raises(exam.ExamUnavailable, match="too few secure exam items"):
        exam.start_exam(exam_world.learner, exam_world.achievement)
    client = client_for(exam_world.learner)
    page = start_on_page(client)
    assert page.status_code < 500
    assert not exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).exists()


@pytest.mark.django_db
def test_enemies_never_share_a_form(exam_world: Any) -> None:
    """Linked items and items of one topic never meet on a form; when the links leave a
    cell short, the exam is unavailable."""
    from hocvu.certification import exam
    from hocvu.content.models import Item

    role = exam_world.achievement.role_profile
    cell = [i.code for i in exam.pool_for(role)[("1.1", 2)]]  # asks for 2 of these 4
    first, second, third, fourth = (Item.objects.get(code=c) for c in cell)
    first.enemies.add(second)  # symmetric: second knows first too
    Item.objects.filter(code__in=[third.code, fourth.code]).update(topic="Mật khẩu mạnh")
    pool = exam.pool_for(role)
    foes = {i.code: i.enemies for i in pool[("1.1", 2)]}
    assert foes[second.code] == {first.code} and foes[third.code] == {fourth.code}
    cells = exam.blueprint(role)
    for seed in range(60):
        codes = set(exam.assemble(cells, pool, seed).codes)
        assert not {first.code, second.code} <= codes
        assert not {third.code, fourth.code} <= codes
    # Every item an enemy of every other: no two of the cell can share a form.
    for item in (first, second):
        item.enemies.add(third, fourth)
    with pytest.raises(exam.ExamUnavailable, match=r"1\.1 at level 2"):
        exam.assemble(cells, exam.pool_for(role), 1)


def shipped_blueprint_and_pool(role_code: str) -> tuple[Any, Any]:
    """The shipped framework's role targets and the shipped secure exam pool with the
    provisional parameters ``install_exam_pool`` gives it (no database)."""
    from hocvu.certification import exam
    from hocvu.content.services import provisional_parameters

    framework = tomllib.loads(
        (ROOT / "hocvu/framework/data/default_framework.toml").read_text(encoding="utf-8")
    )
    area_of = {
        comp["code"]: area["code"] for area in framework["areas"] for comp in area["competences"]
    }
    role = next(r for r in framework["roles"] if r["code"] == role_code)
    targets = [(area_of[c], c, int(level)) for c, level in role["targets"].items()]
    cells = exam.blueprint_for_targets(targets)
    pool: dict[tuple[str, int], list[Any]] = {}
    for path in sorted((ROOT / "hocvu/content/data/exam").glob("area-*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for n, raw in enumerate(data.get("items", [])):
            comp, level = str(raw["competence"]), int(raw["level"])
            a, b, c = provisional_parameters(level, raw["kind"], len(raw.get("options", [])))
            code = f"{path.stem}-{n}"
            pool.setdefault((comp, level), []).append(exam.PoolItem(code, comp, level, a, b, c))
    return cells, pool


@pytest.mark.parametrize("role_code", ["na_deputy", "commune_council"])
def test_difficulty_is_comparable_across_1000_forms(role_code: str) -> None:
    """1,000 forms on the shipped bank: expected score and information at the cut stay
    within the stated tolerance of the target form (and plain random draws would not)."""
    from hocvu.certification import exam

    cells, pool = shipped_blueprint_and_pool(role_code)
    assert 24 <= sum(c.count for c in cells) <= 30
    target = exam.target_form(cells, pool)
    forms = [exam.assemble(cells, pool, seed, target=target) for seed in range(1000)]
    tcc = [f.tcc for f in forms]
    info = [f.info for f in forms]
    assert all(f.within(target) for f in forms)
    assert max(abs(t - target.tcc) for t in tcc) <= exam.TCC_TOLERANCE
    assert max(abs(i - target.info) for i in info) <= exam.INFO_TOLERANCE * target.info
    assert len({tuple(sorted(f.codes)) for f in forms}) > 900  # still different forms

    # The peer: the same random draws without the swaps.
    saved = exam.MAX_SWAPS
    try:
        exam.MAX_SWAPS = 0
        raw = [exam.assemble(cells, pool, seed, target=target) for seed in range(1000)]
    finally:
        exam.MAX_SWAPS = saved
    outside = sum(1 for f in raw if not f.within(target))
    print(
        f"\n{role_code}: {target.length} items, target E[score|cut]={target.tcc:.2f}, "
        f"I(cut)={target.info:.2f}; balanced forms: score {min(tcc):.2f}..{max(tcc):.2f} "
        f"(sd {statistics.pstdev(tcc):.3f}), info {min(info):.2f}..{max(info):.2f} "
        f"(sd {statistics.pstdev(info):.3f}), swaps mean "
        f"{statistics.mean(f.swaps for f in forms):.2f}; random draws outside tolerance: "
        f"{outside}/1000 (score {min(f.tcc for f in raw):.2f}..{max(f.tcc for f in raw):.2f})"
    )
    assert outside > 0  # the heuristic is doing the work


# ---------------------------------------------------------------------------------------
# Pages: no key, the clock, the policy, access
# ---------------------------------------------------------------------------------------


def assert_no_key(html: str, items: list[Any]) -> None:
    assert SECRET not in html
    for item in items:
        assert item.explanation not in html
        if item.kind == "numeric":
            assert str(item.answer["value"]) not in html
    assert "feedback ok" not in html and "feedback ko" not in html


@pytest.mark.django_db
def test_no_key_in_any_exam_page_before_submission(exam_world: Any) -> None:
    from hocvu.certification import exam
    from hocvu.content.models import Item

    client = client_for(exam_world.learner)
    home = client.get(reverse("exam-home"))
    assert home.status_code == 200
    started = start_on_page(client)
    assert started.status_code == 302
    attempt = exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).get()
    items = list(Item.objects.filter(code__in=attempt.state["items"]))
    page = client.get(started["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    for item in items:
        assert item.stem in html
    assert_no_key(html, items)
    # Answer one right and one wrong: still nothing tells which, nor what the key is.
    assert post_answer(client, attempt, items[0], right_answer(items[0])).status_code == 302
    wrong = {"choice": "0", "value": "false", "text": "sai"}
    post_answer(client, attempt, items[1], wrong)
    # The page shows the candidate their own saved answer; for a typed (numeric) question
    # answered right that is the key's text, so the first item's key is left out here.
    for url in (reverse("exam", args=[attempt.pk]), reverse("exam-home")):
        html = client.get(url).content.decode()
        assert_no_key(html, items[1:])
    bad = post_answer(client, attempt, items[2], {})  # an invalid answer: the error page
    assert bad.status_code == 400
    assert_no_key(bad.content.decode(), items[1:])


@pytest.mark.django_db
def test_an_answer_after_the_deadline_is_refused_and_the_exam_scored(exam_world: Any) -> None:
    from hocvu.assessment.models import Attempt, Response
    from hocvu.certification import exam
    from hocvu.content.models import Item

    client = client_for(exam_world.learner)
    start_on_page(client)
    attempt = exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).get()
    items = [Item.objects.get(code=c) for c in attempt.state["items"]]
    assert post_answer(client, attempt, items[0], right_answer(items[0])).status_code == 302
    # The deadline passes (the server's clock).
    Attempt.objects.filter(pk=attempt.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    late = post_answer(client, attempt, items[1], right_answer(items[1]))
    assert late.status_code == 302 and late["Location"].endswith(
        reverse("exam-result", args=[attempt.pk])
    )
    assert Response.objects.filter(attempt=attempt).count() == 1
    attempt.refresh_from_db()
    assert attempt.status == "finished"
    assert attempt.result["answered"] == 1 and attempt.result["correct"] == 1
    assert attempt.result["total"] == 5 and attempt.result["timed_out"] is True
    assert "passed" in attempt.result
    result = client.get(late["Location"])
    assert result.status_code == 200
    assert 'id="exam-result"' in result.content.decode()
    # The exam page now goes to the result, and further answers are refused too.
    assert client.get(reverse("exam", args=[attempt.pk])).status_code == 302
    post_answer(client, attempt, items[2], right_answer(items[2]))
    assert Response.objects.filter(attempt=attempt).count() == 1


@pytest.mark.django_db
def test_unanswered_questions_count_as_incorrect_and_a_full_score_passes(exam_world: Any) -> None:
    from hocvu.certification import exam
    from hocvu.content.models import Item

    client = client_for(exam_world.learner)
    start_on_page(client)
    attempt = exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).get()
    items = [Item.objects.get(code=c) for c in attempt.state["items"]]
    for item in items[:-1]:
        post_answer(client, attempt, item, right_answer(item))
    submitted = client.post(reverse("exam-submit", args=[attempt.pk]), {"confirm": "yes"})
    assert submitted.status_code == 302
    attempt.refresh_from_db()
    assert attempt.result["correct"] == 4 and attempt.result["answered"] == 4
    assert attempt.result["timed_out"] is False
    page = client.get(reverse("exam-result", args=[attempt.pk]))
    assert page.status_code == 200
    # An all-wrong exam fails.
    assert exam.finish_exam(attempt) == attempt.result  # idempotent
    other = exam.start_exam(exam_world.learner_b, exam_world.achievement)
    assert exam.finish_exam(other)["passed"] is False


@pytest.mark.django_db
def test_resuming_shows_the_time_the_server_has_left(exam_world: Any) -> None:
    from hocvu.certification import exam

    started = timezone.now() - timedelta(minutes=10)
    attempt = exam.start_exam(exam_world.learner, exam_world.achievement, now=started)
    client = client_for(exam_world.learner)  # a new connection, a new session
    page = client.get(reverse("exam", args=[attempt.pk]))
    assert page.status_code == 200
    found = re.search(r'data-remaining="(\d+)"', page.content.decode())
    assert found is not None
    remaining = int(found.group(1))
    assert 34 * 60 <= remaining <= 35 * 60
    # Starting again resumes the same attempt (no fresh clock).
    again = start_on_page(client)
    assert again["Location"].endswith(reverse("exam", args=[attempt.pk]))
    assert exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).count() == 1


@pytest.mark.django_db
def test_attempt_limit_and_waiting_period(exam_world: Any) -> None:
    from hocvu.certification import exam

    learner, achievement = exam_world.learner, exam_world.achievement
    # Four attempts that never repeat an item need more than 4 items in a cell of 2.
    add_bank(exam_world.module.program.framework_version, per_cell=4, start=4)
    t0 = timezone.now() - timedelta(days=30)

    def take(at: Any) -> Any:
        attempt = exam.start_exam(learner, achievement, now=at)
        exam.finish_exam(attempt, now=at + timedelta(minutes=20))  # nothing answered: fails
        return attempt

    take(t0)
    with pytest.raises(exam.ExamPolicyError) as waiting:
        exam.start_exam(learner, achievement, now=t0 + timedelta(days=3))
    assert waiting.value.code == "waiting"
    assert waiting.value.not_before == t0 + timedelta(minutes=20) + exam.WAITING_PERIOD
    assert "7 days" in str(waiting.value)
    take(t0 + timedelta(days=8))
    take(t0 + timedelta(days=16))
    with pytest.raises(exam.ExamPolicyError) as limit:
        exam.start_exam(learner, achievement, now=t0 + timedelta(days=25))
    assert limit.value.code == "attempt_limit"
    assert limit.value.not_before == t0 + timedelta(days=365)
    # The page says so, in the learner's language, and starts nothing.
    client = client_for(learner)
    refused = start_on_page(client, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "attempts allowed in 12 months" in refused.content.decode() or (
        "12 tháng" in refused.content.decode()
    )
    assert exam.exam_attempts(learner, achievement.pk).count() == 3
    # A year after the first attempt, a new one is allowed.
    later = exam.start_exam(learner, achievement, now=t0 + timedelta(days=366))
    assert later.status == "active"


@pytest.mark.django_db
def test_waiting_period_on_the_page(exam_world: Any) -> None:
    from hocvu.certification import exam

    attempt = exam.start_exam(exam_world.learner, exam_world.achievement)
    exam.finish_exam(attempt)
    client = client_for(exam_world.learner)
    page = client.get(reverse("exam-home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert attempt.finished_at is not None
    expected = timezone.localtime(attempt.finished_at + exam.WAITING_PERIOD)
    assert f"{expected:%d/%m/%Y}" in html
    refused = start_on_page(client)
    assert refused.status_code == 400
    assert exam.exam_attempts(exam_world.learner, exam_world.achievement.pk).count() == 1


@pytest.mark.django_db
def test_a_learner_cannot_reach_another_learners_exam(exam_world: Any) -> None:
    from hocvu.assessment.models import Response
    from hocvu.certification import exam
    from hocvu.content.models import Item

    attempt = exam.start_exam(exam_world.learner, exam_world.achievement)
    item = Item.objects.get(code=attempt.state["items"][0])
    for persona in ("learner_b", "manager_a", "admin"):
        client = client_for(getattr(exam_world, persona))
        assert client.get(reverse("exam", args=[attempt.pk])).status_code == 404
        assert client.get(reverse("exam-result", args=[attempt.pk])).status_code == 404
        assert client.post(reverse("exam-submit", args=[attempt.pk])).status_code == 404
        assert post_answer(client, attempt, item, right_answer(item)).status_code == 404
    assert not Response.objects.filter(attempt=attempt).exists()
    attempt.refresh_from_db()
    assert attempt.status == "active"
    # The exam pages do not serve practice attempts either.
    own = client_for(exam_world.learner)
    assert own.get(reverse("exam", args=[exam_world.attempt.pk])).status_code == 404


@pytest.mark.django_db
def test_the_practice_pages_do_not_open_an_exam(exam_world: Any) -> None:
    from hocvu.certification import exam
    from hocvu.content.models import Item

    attempt = exam.start_exam(exam_world.learner, exam_world.achievement)
    item = Item.objects.get(code=attempt.state["items"][0])
    client = client_for(exam_world.learner)
    assert client.get(reverse("practice", args=[attempt.pk])).status_code == 404
    url = reverse("practice-answer", kwargs={"attempt_id": attempt.pk, "item_uid": item.uid})
    fragment = client.post(
        url,
        {**right_answer(item), "answer_id": "6d1c3c5e-0000-4000-8000-000000000001"},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.status_code == 404


@pytest.mark.django_db
def test_the_answer_api_takes_no_exam_answer_and_gives_no_feedback(exam_world: Any) -> None:
    import json
    import uuid

    from hocvu.certification import exam
    from hocvu.content.models import Item

    attempt = exam.start_exam(exam_world.learner, exam_world.achievement)
    item = Item.objects.get(code=attempt.state["items"][0])
    key = {
        "single": {"choice": item.answer[0] if item.kind == "single" else 0},
        "true_false": {"value": item.answer},
        "numeric": {"value": item.answer["value"] if item.kind == "numeric" else 0},
        "short_text": {"text": item.answer["accepted"][0] if item.kind == "short_text" else ""},
    }[item.kind]
    client = client_for(exam_world.learner)
    response = client.post(
        reverse("api:attempt_answer", kwargs={"attempt_id": attempt.pk}),
        json.dumps({"item": str(item.uid), "answer": key, "answer_id": str(uuid.uuid4())}),
        content_type="application/json",
    )
    # The API does not take exam answers at all (they are changeable until the confirmed
    # submission on the exam page): a refusal that says nothing about the answer.
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "wrong_channel" and set(body) == {"code", "detail"}
