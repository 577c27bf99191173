"""The practice page answers in place: each htmx answer brings the counter and, after the
last one, the result; a typed number is read as people type it, and a refused one stays in
its field with a message that says what is expected."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.test import Client
from django.utils import translation

from hocvu.assessment.models import Response
from hocvu.content.models import Item, ItemStatus
from tests.conftest import PASSWORD, World

HX = {"HX-Request": "true"}


def client_for(world: World) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    assert client.login(username="learner", password=PASSWORD)
    return client


def post_choice(client: Client, world: World, item: Any, choice: int, **headers: str) -> Any:
    return client.post(
        f"/learn/practice/{world.attempt.pk}/{item.uid}/",
        {"item": str(item.uid), "answer_id": str(uuid.uuid4()), "choice": str(choice)},
        headers=headers,
    )


def oob_progress(html: str) -> str | None:
    match = re.search(
        r'<p[^>]*id="practice-progress"[^>]*hx-swap-oob="true"[^>]*>([^<]*)</p>', html
    )
    return match.group(1) if match else None


def test_each_answer_brings_the_counter_and_the_last_one_the_result(world: World) -> None:
    client = client_for(world)
    items = world.items
    first = post_choice(client, world, items[0], items[0].answer[0], **HX).content.decode()
    assert oob_progress(first) == "1/3"
    assert 'id="practice-result"' not in first  # not finished yet

    wrong = (items[1].answer[0] + 1) % 3
    second = post_choice(client, world, items[1], wrong, **HX).content.decode()
    assert oob_progress(second) == "2/3"
    assert 'id="practice-result"' not in second

    last = post_choice(client, world, items[2], items[2].answer[0], **HX).content.decode()
    assert oob_progress(last) == "3/3"
    result = re.search(
        r'<div id="practice-result"[^>]*hx-swap-oob="innerHTML"[^>]*>(.*?)</div>\s*</div>',
        last,
        re.S,
    )
    assert result, last
    with translation.override("vi"):
        assert "Đúng 2 trên 3 câu" in result.group(1)
        assert 'href="/learn/path/"' in result.group(1)
    # The full page shows the same after a reload (and has the empty live region before).
    page = client.get(f"/learn/practice/{world.attempt.pk}/").content.decode()
    assert ">3/3<" in page
    assert "Đúng 2 trên 3 câu" in page


def test_a_fresh_page_has_the_places_the_answers_fill(world: World) -> None:
    page = client_for(world).get(f"/learn/practice/{world.attempt.pk}/").content.decode()
    assert re.search(r'id="practice-progress"[^>]*>0/3<', page)
    assert '<div id="practice-result" aria-live="polite"></div>' in page


def numeric_item(world: World) -> Item:
    item = Item.objects.create(
        code="Q-1.1-1-09",
        competence=world.items[0].competence,
        level=1,
        kind="numeric",
        status=ItemStatus.OPERATIONAL,
        stem="Tỷ lệ trả lời đúng là bao nhiêu phần trăm?",
        answer={"value": 85.0, "tolerance": 0.5},
        explanation="68 trên 80 là 85%.",
        b=-1.0,
    )
    attempt = world.attempt
    attempt.state = {**attempt.state, "items": [*attempt.state["items"], item.code]}
    attempt.save(update_fields=["state"])
    return item


def post_number(client: Client, world: World, item: Item, typed: str, **headers: str) -> Any:
    return client.post(
        f"/learn/practice/{world.attempt.pk}/{item.uid}/",
        {"item": str(item.uid), "answer_id": str(uuid.uuid4()), "value": typed},
        headers=headers,
    )


EXPECTED = "Nhập một số, ví dụ 85 hoặc 4,5"


def test_a_percent_answer_is_accepted_and_shown_as_typed(world: World) -> None:
    item = numeric_item(world)
    client = client_for(world)
    html = post_number(client, world, item, " 85 % ", **HX).content.decode()
    assert "feedback ok" in html
    assert "85 %" in html  # "Your answer" as typed
    stored = Response.objects.get(attempt=world.attempt, item=item)
    assert stored.score == 1
    assert stored.answer == {"value": "85 %"}


def test_a_refused_number_stays_in_its_field_with_what_is_expected(world: World) -> None:
    item = numeric_item(world)
    client = client_for(world)
    for headers in (HX, {}):
        response = post_number(client, world, item, "tám mươi lăm <b>", **headers)
        assert response.status_code == 400
        html = response.content.decode()
        assert EXPECTED in html
        field = re.search(rf'<input id="v-{item.uid}"[^>]*>', html)
        assert field, html
        assert 'value="tám mươi lăm &lt;b&gt;"' in field.group(0)  # kept, escaped
        assert 'aria-invalid="true"' in field.group(0)
        assert f'aria-describedby="e-{item.uid}"' in field.group(0)
        assert f'id="e-{item.uid}"' in html
    assert not Response.objects.filter(attempt=world.attempt, item=item).exists()
    # Then the learner corrects it and it counts.
    assert "feedback ok" in post_number(client, world, item, "85,0", **HX).content.decode()


def test_the_key_of_a_numeric_question_reads_in_the_learners_language(world: World) -> None:
    item = numeric_item(world)
    item.answer = {"value": 4.5, "tolerance": 0}
    item.save()
    html = post_number(client_for(world), world, item, "4", **HX).content.decode()
    assert "feedback ko" in html
    assert "<strong>4,5</strong>" in html
