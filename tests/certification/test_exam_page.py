"""The exam page's writes: an answer saved as it is chosen (idempotent, changeable until
submission, never overwritten by an older choice), flags, the review, the confirmed
submission, the server's clock, someone else's exam, CSRF, and the plain form without
JavaScript."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.certification.test_exam import (
    SECRET,
    _exam_open_below_target,
    client_for,
    exam_world,
    right_answer,
)

__all__ = ["_exam_open_below_target", "exam_world"]

JSON: dict[str, Any] = {"HTTP_ACCEPT": "application/json"}


def wrong_answer(item: Any) -> dict[str, str]:
    if item.kind in ("single", "scenario"):
        return {"choice": str((item.answer[0] + 1) % len(item.options))}
    if item.kind == "true_false":
        return {"value": "false" if item.answer else "true"}
    if item.kind == "numeric":
        return {"value": str(item.answer["value"] + 1)}
    return {"text": "không biết"}


def started(world: Any) -> tuple[Client, Any, list[Any]]:
    from hocvu.certification import exam
    from hocvu.content.models import Item

    attempt = exam.start_exam(world.learner, world.achievement)
    items = [Item.objects.get(code=c) for c in attempt.state["items"]]
    client = client_for(world.learner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the texts checked are English
    return client, attempt, items


def send(
    client: Client,
    attempt: Any,
    item: Any,
    fields: dict[str, str],
    answer_id: str | None = None,
    answered_at: str | None = None,
    **extra: Any,
) -> Any:
    url = reverse("exam-answer", kwargs={"attempt_id": attempt.pk, "item_uid": item.uid})
    data = {**fields, "item": str(item.uid), "answer_id": answer_id or str(uuid.uuid4())}
    if answered_at is not None:
        data["answered_at"] = answered_at
    return client.post(url, data, **{**JSON, **extra})


def flag(client: Client, attempt: Any, item: Any, value: str, **extra: Any) -> Any:
    url = reverse("exam-flag", kwargs={"attempt_id": attempt.pk, "item_uid": item.uid})
    return client.post(url, {"flagged": value}, **{**JSON, **extra})


def stored(attempt: Any, item: Any) -> Any:
    from hocvu.assessment.models import Response

    return Response.objects.filter(attempt=attempt, item=item).first()


@pytest.mark.django_db
def test_an_answer_is_saved_changed_and_a_resend_changes_nothing(exam_world: Any) -> None:
    from hocvu.assessment.models import Response

    client, attempt, items = started(exam_world)
    item = items[0]
    answer_id = str(uuid.uuid4())
    first = send(client, attempt, item, wrong_answer(item), answer_id)
    assert first.status_code == 200
    body = first.json()
    assert body == {
        "saved": True,
        "changed": True,
        "answered": 1,
        "total": len(items),
        "flagged": False,
        "remaining": body["remaining"],
    }
    assert 0 < body["remaining"] <= 45 * 60
    assert "correct" not in first.content.decode() and "score" not in first.content.decode()
    before = stored(attempt, item)
    assert before.score == 0
    # The same write again (a retry, the queue after a lost reply): nothing changes.
    again = send(client, attempt, item, wrong_answer(item), answer_id)
    assert again.status_code == 200 and again.json()["changed"] is False
    # The same answer under a new id: nothing changes either.
    same = send(client, attempt, item, wrong_answer(item))
    assert same.status_code == 200 and same.json()["changed"] is False
    after = stored(attempt, item)
    assert (after.pk, after.answer_id, after.answered_at) == (
        before.pk,
        before.answer_id,
        before.answered_at,
    )
    # A different answer replaces it (one response per question, scored anew).
    changed = send(client, attempt, item, right_answer(item))
    assert changed.status_code == 200 and changed.json()["changed"] is True
    assert changed.json()["answered"] == 1
    now = stored(attempt, item)
    assert now.pk == before.pk and now.score == 1 and now.answer != before.answer
    assert Response.objects.filter(attempt=attempt).count() == 1
    attempt.refresh_from_db()
    assert attempt.n_answered == 1 and attempt.status == "active"
    # The same answer_id with another answer is a conflict: refused, nothing changes.
    conflict = send(client, attempt, item, wrong_answer(item), str(now.answer_id))
    assert conflict.status_code == 400 and conflict.json()["code"] == "conflict"
    assert stored(attempt, item).score == 1


@pytest.mark.django_db
def test_an_older_choice_arriving_late_never_overwrites_a_newer_one(exam_world: Any) -> None:
    client, attempt, items = started(exam_world)
    item = items[0]
    t = timezone.now()
    newer = send(client, attempt, item, right_answer(item), answered_at=t.isoformat())
    assert newer.json()["changed"] is True
    # A second tab's queue sends what was chosen a minute before.
    older = send(
        client,
        attempt,
        item,
        wrong_answer(item),
        answered_at=(t - timedelta(minutes=1)).isoformat(),
    )
    assert older.status_code == 200 and older.json()["changed"] is False
    assert stored(attempt, item).score == 1
    # A device clock far in the future is not believed: the server's time is used.
    ahead = send(
        client,
        attempt,
        item,
        wrong_answer(item),
        answered_at=(t + timedelta(days=1)).isoformat(),
    )
    assert ahead.json()["changed"] is True
    assert stored(attempt, item).answered_at <= timezone.now()


@pytest.mark.django_db
def test_answering_every_question_does_not_submit_the_exam(exam_world: Any) -> None:
    client, attempt, items = started(exam_world)
    for item in items:
        assert send(client, attempt, item, right_answer(item)).status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == "active" and "passed" not in attempt.result
    # The last answer can still be changed.
    last = send(client, attempt, items[-1], wrong_answer(items[-1]))
    assert last.json() | {"remaining": 0} == {
        "saved": True,
        "changed": True,
        "answered": len(items),
        "total": len(items),
        "flagged": False,
        "remaining": 0,
    }
    assert client.get(reverse("exam", args=[attempt.pk])).status_code == 200


@pytest.mark.django_db
def test_after_submission_every_write_is_refused_with_a_clear_message(exam_world: Any) -> None:
    client, attempt, items = started(exam_world)
    send(client, attempt, items[0], wrong_answer(items[0]))
    done = client.post(reverse("exam-submit", args=[attempt.pk]), {"confirm": "yes"})
    assert done.status_code == 302 and done["Location"].endswith(
        reverse("exam-result", args=[attempt.pk])
    )
    attempt.refresh_from_db()
    result = dict(attempt.result)
    late = send(client, attempt, items[0], right_answer(items[0]))
    assert late.status_code == 409
    assert late.json() == {
        "code": "closed",
        "detail": "This exam has already been submitted: answers can no longer be changed.",
        "result": reverse("exam-result", args=[attempt.pk]),
    }
    assert send(client, attempt, items[1], right_answer(items[1])).status_code == 409
    assert flag(client, attempt, items[1], "1").status_code == 409
    assert stored(attempt, items[0]).score == 0 and stored(attempt, items[1]) is None
    # A plain form is sent to the result page, which says why.
    plain = client.post(
        reverse("exam-answer", kwargs={"attempt_id": attempt.pk, "item_uid": items[0].uid}),
        {**right_answer(items[0]), "answer_id": str(uuid.uuid4())},
        follow=True,
    )
    assert plain.redirect_chain[-1][0].endswith(reverse("exam-result", args=[attempt.pk]))
    assert "answers can no longer be changed" in plain.content.decode()
    attempt.refresh_from_db()
    assert attempt.result == result  # scored once, on what had arrived


@pytest.mark.django_db
def test_after_the_deadline_an_answer_is_refused_and_the_exam_closes(exam_world: Any) -> None:
    from hocvu.assessment.models import Attempt

    client, attempt, items = started(exam_world)
    send(client, attempt, items[0], right_answer(items[0]))
    # Ten seconds left by the server's clock: the reply says so.
    Attempt.objects.filter(pk=attempt.pk).update(expires_at=timezone.now() + timedelta(seconds=10))
    ok = send(client, attempt, items[1], right_answer(items[1]))
    assert 0 <= ok.json()["remaining"] <= 10
    # The deadline passes: the device may claim an earlier time, the server decides.
    Attempt.objects.filter(pk=attempt.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    late = send(
        client,
        attempt,
        items[2],
        right_answer(items[2]),
        answered_at=(timezone.now() - timedelta(minutes=5)).isoformat(),
    )
    assert late.status_code == 409
    assert late.json()["code"] == "expired"
    assert "Time is up" in late.json()["detail"]
    assert stored(attempt, items[2]) is None
    attempt.refresh_from_db()
    assert attempt.status == "finished"
    assert attempt.result["timed_out"] is True and attempt.result["answered"] == 2
    # A change to an answer that had arrived is refused too.
    assert send(client, attempt, items[0], wrong_answer(items[0])).status_code == 409
    assert stored(attempt, items[0]).score == 1
    assert client.get(reverse("exam-review", args=[attempt.pk])).status_code == 302


@pytest.mark.django_db
def test_someone_elses_exam_answers_404_and_changes_nothing(exam_world: Any) -> None:
    client, attempt, items = started(exam_world)
    send(client, attempt, items[0], right_answer(items[0]))
    mine = stored(attempt, items[0])
    for persona in ("learner_b", "manager_a", "admin"):
        other = client_for(getattr(exam_world, persona))
        assert send(other, attempt, items[0], wrong_answer(items[0])).status_code == 404
        assert send(other, attempt, items[1], right_answer(items[1])).status_code == 404
        assert flag(other, attempt, items[0], "1").status_code == 404
        for name in ("exam-review", "exam-submit", "exam"):
            assert other.get(reverse(name, args=[attempt.pk])).status_code == 404
        assert other.post(reverse("exam", args=[attempt.pk]), {}).status_code == 404
        submit = other.post(reverse("exam-submit", args=[attempt.pk]), {"confirm": "yes"})
        assert submit.status_code == 404
    again = stored(attempt, items[0])
    assert (again.answer, again.answer_id) == (mine.answer, mine.answer_id)
    assert stored(attempt, items[1]) is None
    attempt.refresh_from_db()
    assert attempt.status == "active" and not attempt.state.get("flagged")
    # A question of another exam, or no question at all, is not part of this one.
    stranger = uuid.uuid4()
    url = reverse("exam-answer", kwargs={"attempt_id": attempt.pk, "item_uid": stranger})
    assert client.post(url, {"choice": "0"}, **JSON).status_code == 404
    practice_item = exam_world.items[0]
    assert send(client, attempt, practice_item, {"choice": "0"}).status_code == 404


@pytest.mark.django_db
def test_flags_are_kept_on_the_server_and_shown_on_the_page_and_the_review(
    exam_world: Any,
) -> None:
    client, attempt, items = started(exam_world)
    first = flag(client, attempt, items[1], "1")
    assert first.status_code == 200 and first.json()["flagged"] is True
    assert first.json()["changed"] is True
    twice = flag(client, attempt, items[1], "1")
    assert twice.json()["changed"] is False and twice.json()["flagged"] is True
    flag(client, attempt, items[3], "1")
    send(client, attempt, items[3], right_answer(items[3]))
    attempt.refresh_from_db()
    assert sorted(attempt.state["flagged"]) == sorted([items[1].code, items[3].code])
    # A reload (a new request, another device) shows the flags.
    html = client_for(exam_world.learner).get(reverse("exam", args=[attempt.pk])).content.decode()
    for item in (items[1], items[3]):
        card = html.split(f'id="q-{item.uid}"', 1)[1].split("</section>", 1)[0]
        assert 'aria-pressed="true"' in card and 'name="unflag"' in card
    card = html.split(f'id="q-{items[0].uid}"', 1)[1].split("</section>", 1)[0]
    assert 'aria-pressed="false"' in card
    # The review: unanswered and flagged, each a link back to its question.
    review = client.get(reverse("exam-review", args=[attempt.pk]))
    page = review.content.decode()
    unanswered = page.split('id="exam-unanswered"', 1)[1].split("</section>", 1)[0]
    flagged = page.split('id="exam-flagged"', 1)[1].split("</section>", 1)[0]
    exam_url = reverse("exam", args=[attempt.pk])
    assert f"{len(items) - 1} questions not answered" in unanswered
    for item in items:
        link = f'href="{exam_url}#q-{item.uid}"'
        assert (link in unanswered) == (item != items[3])
        assert (link in flagged) == (item in (items[1], items[3]))
    assert "2 questions flagged for review" in flagged
    # Unflagging takes it off the review.
    off = flag(client, attempt, items[1], "0")
    assert off.json()["flagged"] is False
    attempt.refresh_from_db()
    assert attempt.state["flagged"] == [items[3].code]
    bad = flag(client, attempt, items[1], "maybe")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_request"


@pytest.mark.django_db
def test_submission_is_a_confirmed_step_that_counts_the_unanswered(exam_world: Any) -> None:
    client, attempt, items = started(exam_world)
    for item in items[:2]:
        send(client, attempt, item, right_answer(item))
    flag(client, attempt, items[0], "1")
    url = reverse("exam-submit", args=[attempt.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert f"{len(items) - 2} questions are not answered. They count as incorrect." in text
    assert "1 question is still flagged for review." in text
    assert 'name="confirm" value="yes"' in text
    # A POST without the confirmation submits nothing.
    assert client.post(url, {}).status_code == 400
    attempt.refresh_from_db()
    assert attempt.status == "active"
    done = client.post(url, {"confirm": "yes"})
    assert done.status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == "finished"
    assert attempt.result["answered"] == 2 and attempt.result["correct"] == 2
    assert attempt.result["timed_out"] is False


@pytest.mark.django_db
def test_writes_need_the_csrf_token(exam_world: Any) -> None:
    from hocvu.certification import exam

    attempt = exam.start_exam(exam_world.learner, exam_world.achievement)
    client = Client(enforce_csrf_checks=True)
    client.force_login(exam_world.learner)
    page = client.get(reverse("exam", args=[attempt.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    from hocvu.content.models import Item

    item = Item.objects.get(code=attempt.state["items"][0])
    assert send(client, attempt, item, right_answer(item)).status_code == 403
    assert flag(client, attempt, item, "1").status_code == 403
    url = reverse("exam-submit", args=[attempt.pk])
    assert client.post(url, {"confirm": "yes"}).status_code == 403
    field = f"{item.uid}-" + next(iter(right_answer(item)))
    plain = client.post(reverse("exam", args=[attempt.pk]), {field: "1", "go": "save"})
    assert plain.status_code == 403
    assert stored(attempt, item) is None
    attempt.refresh_from_db()
    assert attempt.status == "active" and not attempt.state.get("flagged")
    ok = send(client, attempt, item, {**right_answer(item), "csrfmiddlewaretoken": token.group(1)})
    assert ok.status_code == 200 and stored(attempt, item) is not None


@pytest.mark.django_db
def test_without_javascript_one_press_saves_every_answer_on_the_page(exam_world: Any) -> None:
    client, attempt, items = started(exam_world)
    url = reverse("exam", args=[attempt.pk])

    def fields(item: Any, answer: dict[str, str]) -> dict[str, str]:
        return {f"{item.uid}-{k}": v for k, v in answer.items()}

    # Two answers chosen, then the flag button of a third question pressed: all kept.
    data = {
        **fields(items[0], right_answer(items[0])),
        **fields(items[1], wrong_answer(items[1])),
        "flag": str(items[2].uid),
    }
    pressed = client.post(url, data)
    assert pressed.status_code == 302 and pressed["Location"] == f"{url}#q-{items[2].uid}"
    assert stored(attempt, items[0]).score == 1 and stored(attempt, items[1]).score == 0
    assert stored(attempt, items[2]) is None
    attempt.refresh_from_db()
    assert attempt.state["flagged"] == [items[2].code]
    # The page shows the answers chosen, so they can be changed; then one is changed.
    html = client.get(url).content.decode()
    card = html.split(f'id="q-{items[1].uid}"', 1)[1].split("</section>", 1)[0]
    assert " checked" in card or 'value="' in card
    data = {
        **fields(items[0], right_answer(items[0])),
        **fields(items[1], right_answer(items[1])),
        "save": str(items[1].uid),
    }
    assert client.post(url, data)["Location"] == f"{url}#q-{items[1].uid}"
    assert stored(attempt, items[1]).score == 1
    # An answer that does not fit is named on the page; the others are still saved.
    data = {
        **fields(items[2], right_answer(items[2])),
        f"{items[3].uid}-choice": "99",
        f"{items[3].uid}-value": "không phải số",
        f"{items[3].uid}-text": " ",
        "go": "review",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "1 answer was not saved" in refused.content.decode()
    card = refused.content.decode().split(f'id="q-{items[3].uid}"', 1)[1]
    assert 'role="alert"' in card.split("</section>", 1)[0]
    assert stored(attempt, items[3]) is None
    assert stored(attempt, items[2]).score == 1
    # Going to the review saves first, then shows it.
    review = client.post(url, {**fields(items[4], right_answer(items[4])), "go": "review"})
    assert review["Location"] == reverse("exam-review", args=[attempt.pk])
    assert stored(attempt, items[4]).score == 1
    attempt.refresh_from_db()
    assert attempt.status == "active"


@pytest.mark.django_db
def test_no_key_on_the_review_or_the_confirmation(exam_world: Any) -> None:
    client, attempt, items = started(exam_world)
    send(client, attempt, items[1], wrong_answer(items[1]))
    flag(client, attempt, items[2], "1")
    for name in ("exam", "exam-review", "exam-submit"):
        html = client.get(reverse(name, args=[attempt.pk])).content.decode()
        assert SECRET not in html
        for item in items:
            assert item.explanation not in html
            if item.kind == "numeric":
                assert str(item.answer["value"]) not in html
        assert "Content-Security" not in html and "<script>" not in html and "style=" not in html


@pytest.mark.django_db
def test_every_exam_page_shows_the_servers_time_left(exam_world: Any) -> None:
    from hocvu.assessment.models import Attempt

    client, attempt, _items = started(exam_world)
    Attempt.objects.filter(pk=attempt.pk).update(
        expires_at=timezone.now() + timedelta(minutes=3, seconds=30)
    )
    for name in ("exam", "exam-review", "exam-submit"):
        html = client.get(reverse(name, args=[attempt.pk])).content.decode()
        found = re.search(r'data-remaining="(\d+)"', html)
        assert found is not None, name
        assert 200 <= int(found.group(1)) <= 210
        assert 'id="exam-remaining"' in html and "03:" in html
