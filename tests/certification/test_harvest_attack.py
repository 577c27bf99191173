"""The harvest attack (issue 10): a script-like learner runs practice, mastery checks and
reviews over every competence, through the real pages and the JSON API, reads every key
and explanation the feedback shows, retries checks as often as the server allows, then
starts the certification exam. It must hold the key of NO question on its exam form, and
no question of that form may have appeared anywhere it looked before.

Before the item bank had two pools, the exam drew from the very items practice explains,
and such a script passed the exam on harvested keys alone.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.certification.test_exam import SECRET, exam_world

__all__ = ["exam_world"]

#: Rounds of practice per module and of checks per module (each check as soon as the
#: server lets the script start one again).
PRACTICE_ROUNDS = 6
CHECK_ROUNDS = 4


def add_learning_bank(version: Any, per_cell: int = 4) -> list[Any]:
    """Learning items for every competence x level (keys and explanations that practice
    shows), and a module for every competence."""
    from hocvu.content.models import Item, ItemPool, ItemStatus, Module, Program
    from hocvu.content.services import provisional_parameters

    program = Program.objects.get(framework_version=version)
    items = []
    for comp in version.competences.order_by("code"):
        Module.objects.get_or_create(
            program=program,
            code=f"M-{comp.code}",
            defaults={"competence": comp, "title": f"Học phần {comp.code}"},
        )
        for level in (1, 2, 3, 4):
            for n in range(per_cell):
                a, b, c = provisional_parameters(level, "single", 4)
                items.append(
                    Item.objects.create(
                        code=f"Q-{comp.code}-{level}-L{n}",
                        competence=comp,
                        level=level,
                        kind="single",
                        status=ItemStatus.OPERATIONAL,
                        pool=ItemPool.LEARNING,
                        stem=f"Câu luyện tập {comp.code} mức {level} số {n}?",
                        options=["Đáp án một", "Đáp án hai", "Đáp án ba", "Đáp án bốn"],
                        answer=[(n + level) % 4],
                        explanation=f"Giải thích luyện tập {comp.code}-{level}-{n}.",
                        a=a,
                        b=b,
                        c=c,
                    )
                )
    return items


@dataclass
class Loot:
    """Everything the script saw, and the keys it could read."""

    seen: list[str] = field(default_factory=list)  # every body it received
    keys: dict[str, str] = field(default_factory=dict)  # item uid -> key text read
    stems: dict[str, str] = field(default_factory=dict)  # item uid -> stem read

    def take(self, body: str) -> str:
        self.seen.append(body)
        return body

    @property
    def text(self) -> str:
        return html.unescape("\n".join(self.seen))


ACTION = re.compile(r"/learn/practice/([0-9a-f-]{36})/([0-9a-f-]{36})/")
KEY = re.compile(r"(?:Right answer|Đáp án đúng): <strong>(.*?)</strong>", re.S)
GIVEN = re.compile(r"(?:Your answer|Câu trả lời của bạn): (.*?)</p>", re.S)


def form_answer(form: str) -> dict[str, str]:
    """Some answer that fits the question's fields (a script does not know better)."""
    if 'name="choice"' in form or 'name="choices"' in form:
        return {"choice": "0", "choices": "0"}
    if 'name="value" value="true"' in form:
        return {"value": "true"}
    if 'name="value"' in form:
        return {"value": "1"}
    if 'name="pos0"' in form:
        n = len(re.findall(r'name="pos\d+"', form))
        return {f"pos{i}": str(i) for i in range(n)}
    return {"text": "không biết"}


def harvest_practice_page(client: Client, attempt_id: str, loot: Loot) -> int:
    """Answer every open question of a practice/check/review page, read the feedback, and
    note the key. Returns the answers sent."""
    page = loot.take(client.get(reverse("practice", args=[attempt_id])).content.decode())
    sent = 0
    for item_uid in dict.fromkeys(m.group(2) for m in ACTION.finditer(page)):
        url = reverse("practice-answer", args=[attempt_id, item_uid])
        start = page.find(f"{attempt_id}/{item_uid}/")
        fields = form_answer(page[start : page.find("</form>", start)])
        answer = {**fields, "item": item_uid, "answer_id": str(uuid.uuid4())}
        card = loot.take(client.post(url, answer, HTTP_HX_REQUEST="true").content.decode())
        sent += 1
        # The answer sent was either right (then it is the key) or the page names the key.
        found = KEY.search(card) or GIVEN.search(card)
        if found:
            loot.keys[item_uid] = html.unescape(found.group(1)).strip()
        stem = re.search(r'<div class="stem">(.*?)</div>', card, re.S)
        if stem:
            loot.stems[item_uid] = html.unescape(re.sub(r"<[^>]+>", "", stem.group(1))).strip()
    return sent


def harvest_api(client: Client, attempt_id: str, loot: Loot) -> None:
    """The same through the JSON API: the attempt's questions, then an answer to each."""
    state = client.get(f"/api/v1/attempts/{attempt_id}")
    loot.take(state.content.decode())
    if state.status_code != 200:
        return
    for item in state.json()["items"]:
        loot.stems[item["uid"]] = item["stem"]
        body = {"item": item["uid"], "answer": {"choice": 0}, "answer_id": str(uuid.uuid4())}
        reply = client.post(
            f"/api/v1/attempts/{attempt_id}/answers",
            json.dumps(body),
            content_type="application/json",
        )
        loot.take(reply.content.decode())


@pytest.mark.django_db
def test_practice_checks_and_reviews_yield_no_exam_key(exam_world: Any, settings: Any) -> None:
    from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
    from hocvu.certification import exam
    from hocvu.content.models import Item, ItemPool
    from hocvu.learning.models import ReviewCard

    # The exam's readiness rule is tested on its own (test_eligibility.py); the attacker
    # here is let in whatever its profile says, the worst case.
    settings.CERTIFICATION_EXAM_BELOW_TARGET = True
    version = exam_world.module.program.framework_version
    learning = add_learning_bank(version)
    learner = exam_world.learner
    client = Client()
    client.force_login(learner)
    loot = Loot()
    modules = list(exam_world.module.program.modules.order_by("code"))
    assert len(modules) == version.competences.count() == 3  # every competence

    # 1. Placement: the script reads every question it is shown.
    placement = client.post(reverse("placement-start"))
    assert placement.status_code == 302
    attempt = Attempt.objects.get(learner=learner, kind=AttemptKind.PLACEMENT)
    for _ in range(12):
        page = loot.take(client.get(reverse("placement", args=[attempt.pk])).content.decode())
        uid = re.search(r'name="item" value="([0-9a-f-]{36})"', page)
        if uid is None:
            break
        client.post(
            reverse("placement", args=[attempt.pk]),
            {"item": uid.group(1), "choice": "0", "answer_id": str(uuid.uuid4())},
        )

    # 2. Practice, over and over, on every module, through the pages and the API.
    for module in modules:
        loot.take(client.get(reverse("path")).content.decode())
        for round_ in range(PRACTICE_ROUNDS):
            started = client.post(reverse("practice-start", args=[module.pk]))
            assert started.status_code == 302, (module.code, started.status_code)
            attempt_id = started["Location"].rstrip("/").rsplit("/", 1)[-1]
            if round_ % 2:
                harvest_api(client, attempt_id, loot)
            else:
                harvest_practice_page(client, attempt_id, loot)

    # 3. Mastery checks, retried as often as the server allows: when it says "not yet",
    # the script waits exactly as long as it is told (the clock is moved for it).
    refused = 0
    for module in modules:
        for _ in range(CHECK_ROUNDS):
            started = client.post(reverse("check-start", args=[module.pk]))
            if started.status_code == 429:
                refused += 1
                body = loot.take(started.content.decode())
                assert "You can take it again from" in body or "Bạn có thể làm lại" in body
                Attempt.objects.filter(
                    learner=learner, kind=AttemptKind.MASTERY_CHECK, module=module
                ).update(finished_at=timezone.now() - timedelta(days=1))
                started = client.post(reverse("check-start", args=[module.pk]))
            assert started.status_code == 302, (module.code, started.status_code)
            attempt_id = started["Location"].rstrip("/").rsplit("/", 1)[-1]
            harvest_practice_page(client, attempt_id, loot)
    assert refused > 0  # the cooling-off after a failed check did hold the script back

    # 4. Every review that comes due.
    ReviewCard.objects.filter(learner=learner).update(due=timezone.now())
    loot.take(client.get(reverse("review")).content.decode())
    reviewed = client.post(reverse("review"))
    if reviewed.status_code == 302:
        harvest_practice_page(client, reviewed["Location"].rstrip("/").rsplit("/", 1)[-1], loot)

    # The attack works where it is allowed to: feedback explains every question it shows,
    # so the script holds the right key of each item it met, in every competence.
    by_uid = {str(i.uid): i for i in Item.objects.select_related("competence")}
    right = {u: by_uid[u] for u, k in loot.keys.items() if k == _key(by_uid[u])}
    assert len(right) == len(loot.keys) >= 20
    assert {i.competence.code for i in right.values()} == {"1.1", "1.2", "4.2"}
    assert len(learning) > 0

    # 5. The exam.
    Attempt.objects.filter(learner=learner).exclude(kind=AttemptKind.EXAM).update(
        status=AttemptStatus.FINISHED
    )
    started = client.post(reverse("exam-start"), {"confirm": "yes"})
    assert started.status_code == 302, started.content.decode()[:500]
    attempt = exam.exam_attempts(learner, exam_world.achievement.pk).get()
    form = list(Item.objects.filter(code__in=attempt.state["items"]))
    assert len(form) == len(attempt.state["items"]) > 0
    exam_page = client.get(reverse("exam", args=[attempt.pk])).content.decode()

    # The verdict: the script holds no key of any question on its form ...
    known = sorted(item.code for item in form if str(item.uid) in loot.keys)
    assert not known, f"the script holds the keys of {len(known)}/{len(form)}: {known}"
    seen = loot.text
    for item in form:
        # ... and met none of them before, in any form.
        assert item.pool == ItemPool.EXAM, item.code
        assert str(item.uid) not in loot.keys and str(item.uid) not in loot.stems, item.code
        assert str(item.uid) not in seen and item.code not in seen, item.code
        assert item.stem not in seen, item.code
        assert item.explanation not in seen, item.code
        # The script finds the question on the exam page, and has no key for it.
        assert item.stem in html.unescape(exam_page)
        assert item.stem not in loot.stems.values()
    # Nothing secret leaked anywhere on the way, the exam page included.
    assert SECRET not in seen and SECRET not in exam_page


def _key(item: Any) -> str:
    from hocvu.assessment.forms import describe

    return describe(item, item.answer)


@pytest.mark.django_db
def test_the_exam_pool_is_absent_from_every_learning_selection(exam_world: Any) -> None:
    """No exam item code or uid is selectable by placement, practice, checks or review,
    even for an item once answered in practice and moved to the exam pool since."""
    from hocvu.assessment import bank, services
    from hocvu.assessment.models import AttemptKind
    from hocvu.content.models import Item, ItemPool
    from hocvu.learning import services as learning

    # The world's exam pool comes from test_exam.add_bank (4 per competence x level).
    version = exam_world.module.program.framework_version
    add_learning_bank(version)
    secure = set(Item.objects.filter(pool=ItemPool.EXAM).values_list("code", flat=True))
    assert len(secure) >= 3 * 4 * 4

    placement = bank.operational_bank(version)
    assert not secure & set(placement.bank.index_of)
    for module in exam_world.module.program.modules.all():
        for kind in (AttemptKind.PRACTICE, AttemptKind.MASTERY_CHECK):
            attempt = services.start_practice(
                exam_world.learner_b, module, [1, 2, 3, 4], size=100, kind=kind
            )
            assert attempt.state["items"] and not secure & set(attempt.state["items"])
            attempt.delete()

    # An item practised, then moved to the exam pool: gone from review and its old set.
    practised = exam_world.items[0]
    learning.schedule_review(exam_world.learner, practised, False)
    learning.schedule_review(exam_world.learner, exam_world.items[1], False)
    Item.objects.filter(pk=practised.pk).update(pool=ItemPool.EXAM)
    due = learning.due_reviews(exam_world.learner, now=exam_world.attempt.expires_at)
    assert practised.pk not in {i.pk for i in due} and due
    assert practised.code not in {i.code for i in services.practice_items(exam_world.attempt)}
    with pytest.raises(services.AnswerError, match="not part of the attempt"):
        services.record_answer(
            user=exam_world.learner,
            attempt_id=exam_world.attempt.pk,
            item_uid=practised.uid,
            answer={"choice": 0},
            answer_id=uuid.uuid4(),
        )
