"""Answers are stored exactly once, and every refused answer changes nothing.

Through the service (``hocvu.assessment.services``) and through the learner pages
(``/learn/placement/<attempt>/`` and ``/learn/practice/<attempt>/<item>/``), with the
shipped framework and curriculum.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.test import Client
from django.utils import timezone

from hocvu.assessment import services
from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus, Response
from hocvu.assessment.services import AnswerError, record_answer
from hocvu.content.models import Item, ItemStatus, Module
from hocvu.learning.models import Proficiency, ReviewCard
from tests.learning import (
    PASSWORD,
    Shipped,
    SimulatedLearner,
    form_data,
    make_learner,
    right_answer,
    shipped,
    wrong_answer,
)

#: The most questions a placement shows (decision 0011: 30, about 15 minutes).
MAX_PLACEMENT = 30
N_COMPETENCES = 24


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _installed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Install the shipped curriculum once for the module; empty the database afterwards."""
    with django_db_blocker.unblock():
        shipped()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def curriculum(db: Any, _installed: None) -> Shipped:
    # Re-installs (inside the test's transaction) if a transactional test emptied the tables.
    return shipped()


@pytest.fixture
def learner(curriculum: Shipped) -> Any:
    return make_learner()


@pytest.fixture
def other_learner(curriculum: Shipped) -> Any:
    return make_learner()


def module_of(curriculum: Shipped, code: str) -> Module:
    return Module.objects.get(program=curriculum.program, competence__code=code)


@pytest.fixture
def practice(learner: Any, curriculum: Shipped) -> Attempt:
    return services.start_practice(learner, module_of(curriculum, "1.1"), [1, 2], size=4)


def items_of(attempt: Attempt) -> list[Item]:
    return services.practice_items(attempt)


def one_item_per_kind(curriculum: Shipped) -> dict[str, Item]:
    found: dict[str, Item] = {}
    for item in Item.objects.filter(
        competence__version=curriculum.version, status=ItemStatus.OPERATIONAL
    ).order_by("code"):
        found.setdefault(item.kind, item)
    return found


def practice_with(learner: Any, items: list[Item]) -> Attempt:
    """A practice attempt holding exactly ``items`` (as ``start_practice`` stores them)."""
    first = items[0]
    module = Module.objects.get(competence=first.competence)
    return Attempt.objects.create(
        learner=learner,
        kind=AttemptKind.PRACTICE,
        module=module,
        framework_version=module.program.framework_version,
        seed=1,
        state={"items": [i.code for i in items]},
        expires_at=timezone.now() + services.PRACTICE_LIFETIME,
    )


def snapshot(attempt: Attempt) -> tuple[Any, ...]:
    """Everything a refused answer must leave as it was."""
    fresh = Attempt.objects.get(pk=attempt.pk)
    return (
        Response.objects.count(),
        fresh.n_answered,
        fresh.status,
        fresh.pending_item_id,
        json.dumps(fresh.state, sort_keys=True),
        json.dumps(fresh.result, sort_keys=True),
        Proficiency.objects.count(),
        ReviewCard.objects.count(),
    )


def answer(
    user: Any, attempt: Attempt, item: Item, ans: Any, answer_id: Any = None, **kw: Any
) -> services.Outcome:
    return record_answer(
        user=user,
        attempt_id=attempt.pk,
        item_uid=item.uid,
        answer=ans,
        answer_id=answer_id or uuid.uuid4(),
        **kw,
    )


def refused(code: str, call: Callable[[], Any], attempt: Attempt) -> AnswerError:
    """``call`` raises AnswerError ``code`` and changes nothing."""
    before = snapshot(attempt)
    with pytest.raises(AnswerError) as info:
        call()
    assert info.value.code == code, (info.value.code, str(info.value))
    assert str(info.value), "an error without a message"
    assert snapshot(attempt) == before
    return info.value


def placement_item(attempt: Attempt) -> Item:
    item = services.next_placement_item(attempt)
    assert item is not None
    return item


# -- replay and tampering (service) --------------------------------------------------------


def test_replayed_answer_is_stored_once_with_the_same_outcome(
    learner: Any, practice: Attempt
) -> None:
    item = items_of(practice)[0]
    answer_id = uuid.uuid4()
    first = answer(learner, practice, item, right_answer(item), answer_id)
    assert first.correct and not first.duplicate and first.n_answered == 1
    before = snapshot(practice)
    for _ in range(3):
        again = answer(learner, practice, item, right_answer(item), answer_id)
        assert again.duplicate
        assert (again.response_id, again.correct, again.scored, again.n_answered) == (
            first.response_id,
            first.correct,
            first.scored,
            first.n_answered,
        )
        assert again.explanation == first.explanation == item.explanation
    assert snapshot(practice) == before
    assert Response.objects.filter(answer_id=answer_id).count() == 1


def test_replay_of_a_placement_answer_is_stored_once(learner: Any, curriculum: Shipped) -> None:
    attempt = services.start_placement(learner, curriculum.version)
    item = placement_item(attempt)
    answer_id = uuid.uuid4()
    first = answer(learner, attempt, item, wrong_answer(item), answer_id)
    assert not first.correct and not first.duplicate and first.explanation == ""
    following = placement_item(attempt)  # the engine moved on
    before = snapshot(attempt)
    again = answer(learner, attempt, item, wrong_answer(item), answer_id)
    assert again.duplicate and again.response_id == first.response_id
    assert snapshot(attempt) == before
    assert placement_item(attempt) == following


def test_replay_after_the_attempt_finished_still_gets_its_outcome(
    learner: Any, practice: Attempt
) -> None:
    ids = {}
    for item in items_of(practice):
        ids[item.pk] = uuid.uuid4()
        outcome = answer(learner, practice, item, right_answer(item), ids[item.pk])
    assert outcome.finished
    last = items_of(practice)[-1]
    before = snapshot(practice)
    again = answer(learner, practice, last, right_answer(last), ids[last.pk])
    assert again.duplicate and again.finished
    assert snapshot(practice) == before


def test_answer_id_reused_with_another_answer_is_refused(learner: Any, practice: Attempt) -> None:
    item = items_of(practice)[0]
    answer_id = uuid.uuid4()
    answer(learner, practice, item, right_answer(item), answer_id)
    refused(
        "conflict",
        lambda: answer(learner, practice, item, wrong_answer(item), answer_id),
        practice,
    )
    stored = Response.objects.get(answer_id=answer_id)
    assert stored.answer == right_answer(item) and stored.score == 1


def test_answer_id_reused_for_another_item_is_refused(learner: Any, practice: Attempt) -> None:
    first, second = items_of(practice)[:2]
    answer_id = uuid.uuid4()
    answer(learner, practice, first, right_answer(first), answer_id)
    refused(
        "conflict",
        lambda: answer(learner, practice, second, right_answer(second), answer_id),
        practice,
    )
    assert not Response.objects.filter(attempt=practice, item=second).exists()


def test_answer_id_of_another_learner_is_refused(
    learner: Any, other_learner: Any, curriculum: Shipped, practice: Attempt
) -> None:
    theirs = services.start_practice(other_learner, module_of(curriculum, "1.1"), [1, 2], size=4)
    item = items_of(theirs)[0]
    answer_id = uuid.uuid4()
    answer(other_learner, theirs, item, right_answer(item), answer_id)
    mine = items_of(practice)[0]
    refused(
        "conflict", lambda: answer(learner, practice, mine, right_answer(mine), answer_id), practice
    )


def test_second_answer_id_for_the_same_item_is_refused(learner: Any, practice: Attempt) -> None:
    item = items_of(practice)[0]
    answer(learner, practice, item, wrong_answer(item))
    refused(
        "already_answered", lambda: answer(learner, practice, item, right_answer(item)), practice
    )
    assert Response.objects.get(attempt=practice, item=item).score == 0


def test_ids_that_are_not_uuids_are_refused(learner: Any, practice: Attempt) -> None:
    item = items_of(practice)[0]
    refused(
        "bad_request",
        lambda: answer(learner, practice, item, right_answer(item), "not-a-uuid"),
        practice,
    )
    refused(
        "bad_request",
        lambda: record_answer(
            user=learner,
            attempt_id=practice.pk,
            item_uid="nope",
            answer=right_answer(item),
            answer_id=uuid.uuid4(),
        ),
        practice,
    )


# -- the wrong question, the wrong attempt -------------------------------------------------


def test_item_not_in_the_practice_set_is_refused(
    learner: Any, curriculum: Shipped, practice: Attempt
) -> None:
    outside = Item.objects.filter(competence__code="4.2", competence__version=curriculum.version)[0]
    refused(
        "not_in_attempt",
        lambda: answer(learner, practice, outside, right_answer(outside)),
        practice,
    )
    # An item of the same module that was not drawn into this set.
    codes = practice.state["items"]
    assert practice.module is not None
    same_module = (
        Item.objects.filter(competence=practice.module.competence).exclude(code__in=codes).first()
    )
    assert same_module is not None
    refused(
        "not_in_attempt",
        lambda: answer(learner, practice, same_module, right_answer(same_module)),
        practice,
    )


def test_unknown_item_is_refused(learner: Any, practice: Attempt) -> None:
    refused(
        "not_in_attempt",
        lambda: record_answer(
            user=learner,
            attempt_id=practice.pk,
            item_uid=uuid.uuid4(),
            answer={"choice": 0},
            answer_id=uuid.uuid4(),
        ),
        practice,
    )


def test_placement_accepts_only_the_current_question(learner: Any, curriculum: Shipped) -> None:
    attempt = services.start_placement(learner, curriculum.version)
    current = placement_item(attempt)
    other = (
        Item.objects.filter(competence__version=curriculum.version, status=ItemStatus.OPERATIONAL)
        .exclude(pk=current.pk)
        .first()
    )
    assert other is not None
    refused("not_in_attempt", lambda: answer(learner, attempt, other, right_answer(other)), attempt)
    # Before any question was served there is no current question at all.
    fresh = services.start_placement(make_learner(), curriculum.version)
    refused(
        "not_in_attempt",
        lambda: answer(fresh.learner, fresh, current, right_answer(current)),
        fresh,
    )
    # The previous question, once answered, is not current any more.
    answer(learner, attempt, current, right_answer(current))
    placement_item(attempt)
    refused(
        "not_in_attempt",
        lambda: answer(learner, attempt, current, right_answer(current)),
        attempt,
    )


def test_finished_attempt_is_closed(learner: Any, practice: Attempt) -> None:
    practice.status = AttemptStatus.FINISHED
    practice.save()
    item = items_of(practice)[0]
    refused("closed", lambda: answer(learner, practice, item, right_answer(item)), practice)


def test_abandoned_placement_is_closed(learner: Any, curriculum: Shipped) -> None:
    attempt = services.start_placement(learner, curriculum.version)
    item = placement_item(attempt)
    Attempt.objects.filter(pk=attempt.pk).update(expires_at=timezone.now() - timedelta(days=1))
    restarted = services.start_placement(learner, curriculum.version)
    assert restarted.pk != attempt.pk
    assert Attempt.objects.get(pk=attempt.pk).status == AttemptStatus.ABANDONED
    refused("closed", lambda: answer(learner, attempt, item, right_answer(item)), attempt)


def test_expired_attempt_is_refused(learner: Any, practice: Attempt, curriculum: Shipped) -> None:
    Attempt.objects.filter(pk=practice.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    item = items_of(practice)[0]
    refused("expired", lambda: answer(learner, practice, item, right_answer(item)), practice)

    placement = services.start_placement(learner, curriculum.version)
    current = placement_item(placement)
    Attempt.objects.filter(pk=placement.pk).update(expires_at=timezone.now())
    refused(
        "expired", lambda: answer(learner, placement, current, right_answer(current)), placement
    )


def test_another_learners_attempt_is_not_found(
    learner: Any, other_learner: Any, practice: Attempt, curriculum: Shipped
) -> None:
    item = items_of(practice)[0]
    before = snapshot(practice)
    with pytest.raises(Http404):
        answer(other_learner, practice, item, right_answer(item))
    with pytest.raises(Http404):
        services.attempt_for(other_learner, practice.pk)
    with pytest.raises(Http404):
        services.attempt_for(None, practice.pk)
    placement = services.start_placement(learner, curriculum.version)
    current = placement_item(placement)
    with pytest.raises(Http404):
        answer(other_learner, placement, current, right_answer(current))
    assert snapshot(practice) == before


def test_malformed_attempt_id_is_not_found(learner: Any, practice: Attempt) -> None:
    with pytest.raises(Http404):
        services.attempt_for(learner, "not-a-uuid")


# -- malformed answers ---------------------------------------------------------------------

MALFORMED: list[tuple[str, Any]] = [
    ("single", {"choice": 99}),
    ("single", {"choice": -1}),
    ("single", {"choice": "0"}),
    ("single", {"choice": True}),
    ("single", {"choice": 0.0}),
    ("single", {}),
    ("single", [0]),
    ("single", None),
    ("single", "0"),
    ("scenario", {"choice": 4}),
    ("multiple", {"choices": []}),
    ("multiple", {"choices": [0, 0]}),
    ("multiple", {"choices": [0, 17]}),
    ("multiple", {"choices": 0}),
    ("multiple", {"choice": 0}),
    ("true_false", {"value": "true"}),
    ("true_false", {"value": 1}),
    ("true_false", {"value": None}),
    ("ordering", {"order": [0, 1]}),
    ("ordering", {"order": []}),
    ("ordering", {"order": [0, 0, 1, 2]}),
    ("ordering", {"order": "0123"}),
    ("numeric", {"value": float("nan")}),
    ("numeric", {"value": "NaN"}),
    ("numeric", {"value": "nan"}),
    ("numeric", {"value": float("inf")}),
    ("numeric", {"value": "-inf"}),
    ("numeric", {"value": "mười hai"}),
    ("numeric", {"value": ""}),
    ("numeric", {"value": None}),
    ("numeric", {"value": True}),
    ("numeric", {"value": [12]}),
    ("short_text", {"text": ""}),
    ("short_text", {"text": "   "}),
    ("short_text", {"text": None}),
    ("short_text", {"text": 12}),
    ("short_text", {"text": "x" * 501}),
]


@pytest.mark.parametrize("kind", sorted({k for k, _ in MALFORMED}))
def test_malformed_answer_is_refused(learner: Any, curriculum: Shipped, kind: str) -> None:
    item = one_item_per_kind(curriculum)[kind]
    attempt = practice_with(learner, [item])
    answer_id = uuid.uuid4()
    for bad in [b for k, b in MALFORMED if k == kind]:
        error = refused(
            "invalid_answer", partial(answer, learner, attempt, item, bad, answer_id), attempt
        )
        assert str(error)
    # The same answer id can then be used for a proper answer: nothing was kept.
    outcome = answer(learner, attempt, item, right_answer(item), answer_id)
    assert outcome.correct and outcome.finished


# Answers that once crashed the scorer (TypeError / OverflowError, a 500) or were accepted:
# each must be refused as an invalid answer, with nothing stored.
MALFORMED_ANSWERS: list[tuple[str, Any]] = [
    ("ordering", {"order": ["a", 0, 1, 2]}),
    ("ordering", {"order": [0, None, 1, 2]}),
    ("ordering", {"order": [0, True, 2, 3]}),
    ("numeric", {"value": 10**400}),
]


@pytest.mark.parametrize(
    ("kind", "bad"), MALFORMED_ANSWERS, ids=[f"{k}-{b!r}"[:40] for k, b in MALFORMED_ANSWERS]
)
def test_malformed_answers_are_refused(
    learner: Any, curriculum: Shipped, kind: str, bad: Any
) -> None:
    item = one_item_per_kind(curriculum)[kind]
    if kind == "ordering" and any(x is True for x in bad["order"]):
        n = len(item.options)
        bad = {"order": [0, True, *range(2, n)]}
    attempt = practice_with(learner, [item])
    refused("invalid_answer", lambda: answer(learner, attempt, item, bad), attempt)


def test_every_shipped_kind_accepts_its_right_and_wrong_answer(
    learner: Any, curriculum: Shipped
) -> None:
    kinds = one_item_per_kind(curriculum)
    assert set(kinds) == {
        "single",
        "scenario",
        "multiple",
        "true_false",
        "ordering",
        "numeric",
        "short_text",
    }
    for item in kinds.values():
        attempt = practice_with(learner, [item])
        assert answer(learner, attempt, item, right_answer(item)).correct
        attempt = practice_with(learner, [item])
        assert not answer(learner, attempt, item, wrong_answer(item)).correct


# -- dates ---------------------------------------------------------------------------------


def test_answer_dated_far_in_the_future_is_refused(learner: Any, practice: Attempt) -> None:
    item = items_of(practice)[0]
    for ahead in (timedelta(hours=1), timedelta(days=400)):
        refused(
            "bad_request",
            partial(
                answer,
                learner,
                practice,
                item,
                right_answer(item),
                answered_at=timezone.now() + ahead,
            ),
            practice,
        )
    # A device clock a little ahead is tolerated; an answer made offline yesterday too.
    outcome = answer(
        learner,
        practice,
        item,
        right_answer(item),
        answered_at=timezone.now() + timedelta(minutes=2),
    )
    assert outcome.correct
    second = items_of(practice)[1]
    yesterday = timezone.now() - timedelta(days=1)
    answer(learner, practice, second, right_answer(second), answered_at=yesterday)
    assert Response.objects.get(attempt=practice, item=second).answered_at == yesterday


def test_implausible_durations_are_dropped(learner: Any, practice: Attempt) -> None:
    first, second, third = items_of(practice)[:3]
    answer(learner, practice, first, right_answer(first), seconds=-5)
    answer(learner, practice, second, right_answer(second), seconds=float("nan"))
    answer(learner, practice, third, right_answer(third), seconds=12.5)
    stored = dict(Response.objects.filter(attempt=practice).values_list("item_id", "seconds"))
    assert stored == {first.pk: None, second.pk: None, third.pk: 12.5}


# -- concurrency (PostgreSQL) --------------------------------------------------------------


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released together; return each result or exception."""
    from django.db import close_old_connections

    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(n: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[n] = call()
        except Exception as exc:
            results[n] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a caller hung"
    return results


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers; needs PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_answers_sent_at_the_same_moment(_installed: None) -> None:
    curriculum = shipped()
    learner = make_learner()

    # Two copies of one answer (a double tap, a retry racing the original): one row, and
    # both callers get the outcome, one of them marked as the duplicate.
    practice = services.start_practice(learner, module_of(curriculum, "1.1"), [1, 2], size=4)
    for item in items_of(practice):
        answer_id = uuid.uuid4()
        ans = right_answer(item)
        send = partial(answer, learner, practice, item, ans, answer_id)
        results = at_once(send, send)
        assert all(isinstance(r, services.Outcome) for r in results), results
        assert sorted(r.duplicate for r in results) == [False, True]
        assert len({r.response_id for r in results}) == 1
        assert Response.objects.filter(answer_id=answer_id).count() == 1
    assert Response.objects.filter(attempt=practice).count() == 4
    assert Attempt.objects.get(pk=practice.pk).n_answered == 4

    # Two different answers to one question at once: one is kept, the other refused.
    again = services.start_practice(learner, module_of(curriculum, "4.2"), [1, 2], size=4)
    item = items_of(again)[0]
    results = at_once(
        lambda: answer(learner, again, item, right_answer(item)),
        lambda: answer(learner, again, item, wrong_answer(item)),
    )
    outcomes = [r for r in results if isinstance(r, services.Outcome)]
    errors = [r for r in results if isinstance(r, AnswerError)]
    assert len(outcomes) == 1 and len(errors) == 1, results
    assert errors[0].code == "already_answered"
    assert Response.objects.filter(attempt=again).count() == 1
    assert Attempt.objects.get(pk=again.pk).n_answered == 1

    # The placement test: the same answer twice at once moves the test on once.
    placement = services.start_placement(learner, curriculum.version)
    current = placement_item(placement)
    answer_id = uuid.uuid4()
    ans = wrong_answer(current)
    results = at_once(
        lambda: answer(learner, placement, current, ans, answer_id),
        lambda: answer(learner, placement, current, ans, answer_id),
    )
    assert all(isinstance(r, services.Outcome) for r in results), results
    assert sorted(r.duplicate for r in results) == [False, True]
    fresh = Attempt.objects.get(pk=placement.pk)
    assert fresh.n_answered == 1 and len(fresh.state["responses"]) == 1
    assert Response.objects.filter(attempt=placement).count() == 1


# -- placement: a whole run ----------------------------------------------------------------


def run_placement(learner: Any, attempt: Attempt, theta: float, seed: int) -> list[Item]:
    who = SimulatedLearner(theta, seed)
    shown: list[Item] = []
    while True:
        item = services.next_placement_item(attempt)
        if item is None:
            break
        assert services.next_placement_item(attempt) == item, "the pending question changed"
        shown.append(item)
        assert len(shown) <= MAX_PLACEMENT, "more than the maximum of questions"
        outcome = answer(learner, attempt, item, who.answer(item))
        if outcome.finished:
            break
    return shown


def test_a_whole_placement_run(curriculum: Shipped) -> None:
    theta = 0.2
    learner = make_learner()
    attempt = services.start_placement(learner, curriculum.version)
    shown = run_placement(learner, attempt, theta, seed=11)
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FINISHED
    assert attempt.pending_item is None and attempt.finished_at is not None
    assert 1 <= len(shown) <= MAX_PLACEMENT
    assert attempt.n_answered == len(shown)
    codes = [i.code for i in shown]
    assert len(set(codes)) == len(codes), "an item was repeated"
    assert Response.objects.filter(attempt=attempt).count() == len(shown)
    assert services.next_placement_item(attempt) is None
    rows = Proficiency.objects.filter(learner=learner)
    assert rows.count() == N_COMPETENCES
    assert {p.competence.code for p in rows} == set(
        curriculum.version.competences.values_list("code", flat=True)
    )
    assert all(0 <= p.level <= 4 for p in rows)
    assert attempt.result, "the result is kept on the attempt"

    # A second placement test never shows an item of the first one.
    second = services.start_placement(learner, curriculum.version)
    assert second.pk != attempt.pk
    again = run_placement(learner, second, theta, seed=12)
    assert again and not {i.code for i in again} & set(codes)
    second.refresh_from_db()
    assert second.status == AttemptStatus.FINISHED


def test_placement_with_pilot_items_stays_within_the_maximum(curriculum: Shipped) -> None:
    # Turn a handful of questions into pilot questions: every 6th placement question is one.
    pilots = Item.objects.filter(competence__version=curriculum.version).order_by("code")[::25]
    Item.objects.filter(pk__in=[i.pk for i in pilots]).update(status=ItemStatus.PILOT)
    learner = make_learner()
    attempt = services.start_placement(learner, curriculum.version)
    # An ability right on a cut keeps the engine going to its maximum.
    who = SimulatedLearner(-0.5, 3)
    n = 0
    while (item := services.next_placement_item(attempt)) is not None:
        n += 1
        if n > 80:
            break
        answer(learner, attempt, item, who.answer(item))
    unscored = Response.objects.filter(attempt=attempt, scored=False).count()
    assert unscored >= 1
    assert n <= MAX_PLACEMENT, f"{n} questions, {unscored} of them pilot questions"


# -- the pages -----------------------------------------------------------------------------


def logged_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


HIDDEN = re.compile(r'name="(item|answer_id)" value="([^"]+)"')


def hidden_fields(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


def start_placement_page(client: Client) -> tuple[str, dict[str, str]]:
    response = client.post("/learn/placement/")
    assert response.status_code == 302
    url = response["Location"]
    page = client.get(url)
    assert page.status_code == 200
    return url, hidden_fields(page.content.decode())


def test_placement_page_answers_once_and_moves_on(learner: Any, curriculum: Shipped) -> None:
    client = logged_in(learner)
    url, fields = start_placement_page(client)
    attempt = Attempt.objects.get(learner=learner, kind=AttemptKind.PLACEMENT)
    item = Item.objects.get(uid=fields["item"])
    post = {**fields, **form_data(item, right_answer(item))}
    response = client.post(url, post)
    assert response.status_code == 302 and response["Location"] == url
    after = snapshot(attempt)
    assert after[1] == 1
    # The same form sent again (a double tap, a retry): nothing more is stored.
    response = client.post(url, post)
    assert response.status_code == 302
    assert snapshot(attempt) == after
    # The next question is a different one.
    assert hidden_fields(client.get(url).content.decode())["item"] != fields["item"]


def test_placement_page_refusals_change_nothing(
    learner: Any, other_learner: Any, curriculum: Shipped
) -> None:
    client = logged_in(learner)
    url, fields = start_placement_page(client)
    attempt = Attempt.objects.get(learner=learner, kind=AttemptKind.PLACEMENT)
    item = Item.objects.get(uid=fields["item"])
    good = {**fields, **form_data(item, right_answer(item))}

    def refused_page(data: dict[str, Any], status: int = 400, as_client: Client = client) -> str:
        before = snapshot(attempt)
        response = as_client.post(url, data)
        assert response.status_code == status, (data, response.status_code)
        assert snapshot(attempt) == before
        html = response.content.decode()
        if status == 400:
            assert 'role="alert"' in html
            # The current question is shown again, with a fresh answer id.
            again = hidden_fields(html)
            assert again["item"] == fields["item"] and again["answer_id"] != fields["answer_id"]
        return html

    # Malformed answers.
    without_answer = {k: v for k, v in good.items() if k not in ("choice", "choices", "value")}
    without_answer = {k: v for k, v in without_answer.items() if not k.startswith(("pos", "text"))}
    refused_page(without_answer)
    refused_page({**fields, "choice": "99", "choices": ["99"], "value": "nan", "text": ""})
    refused_page({**good, "answer_id": "not-a-uuid"})
    # Not the current question.
    other = (
        Item.objects.filter(competence__version=curriculum.version, status=ItemStatus.OPERATIONAL)
        .exclude(pk=item.pk)
        .first()
    )
    assert other is not None
    refused_page({**good, "item": str(other.uid), **form_data(other, right_answer(other))})
    # Another learner: not found.
    refused_page(good, status=404, as_client=logged_in(other_learner))
    # Anonymous: sent to the login page.
    refused_page(good, status=302, as_client=Client())

    # Answered once; then the same answer id with another answer is refused.
    assert client.post(url, good).status_code == 302
    client.get(url)  # the next question is served
    tampered = {**good, **form_data(item, wrong_answer(item))}
    before = snapshot(attempt)
    response = client.post(url, tampered)
    assert response.status_code == 400
    assert snapshot(attempt) == before
    assert Response.objects.get(answer_id=fields["answer_id"]).score == 1


def test_placement_page_unknown_item_is_a_client_error(learner: Any, curriculum: Shipped) -> None:
    client = logged_in(learner)
    url, fields = start_placement_page(client)
    attempt = Attempt.objects.get(learner=learner, kind=AttemptKind.PLACEMENT)
    before = snapshot(attempt)
    response = client.post(url, {**fields, "item": str(uuid.uuid4()), "choice": "0"})
    assert 400 <= response.status_code < 500
    assert snapshot(attempt) == before


def test_placement_page_malformed_item_id_is_a_client_error(
    learner: Any, curriculum: Shipped
) -> None:
    client = logged_in(learner)
    client.raise_request_exception = False
    url, fields = start_placement_page(client)
    response = client.post(url, {**fields, "item": "not-a-uuid", "choice": "0"})
    assert 400 <= response.status_code < 500


def test_placement_page_finished_or_expired_attempt_changes_nothing(
    learner: Any, curriculum: Shipped
) -> None:
    client = logged_in(learner)
    url, fields = start_placement_page(client)
    attempt = Attempt.objects.get(learner=learner, kind=AttemptKind.PLACEMENT)
    item = Item.objects.get(uid=fields["item"])
    good = {**fields, **form_data(item, right_answer(item))}

    Attempt.objects.filter(pk=attempt.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    before = snapshot(attempt)
    response = client.post(url, good)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert snapshot(attempt) == before

    Attempt.objects.filter(pk=attempt.pk).update(
        status=AttemptStatus.FINISHED, expires_at=timezone.now() + timedelta(days=1)
    )
    before = snapshot(attempt)
    response = client.post(url, good)
    # A finished test sends the learner to their profile; the answer is not stored.
    assert response.status_code in (302, 400)
    assert snapshot(attempt) == before


def test_placement_resumes_on_another_device(learner: Any, curriculum: Shipped) -> None:
    phone = logged_in(learner)
    url, fields = start_placement_page(phone)
    for _ in range(3):
        item = Item.objects.get(uid=fields["item"])
        assert phone.post(url, {**fields, **form_data(item, wrong_answer(item))}).status_code == 302
        fields = hidden_fields(phone.get(url).content.decode())
    pending = fields["item"]
    attempt = Attempt.objects.get(learner=learner, kind=AttemptKind.PLACEMENT)
    assert attempt.pending_item is not None
    assert attempt.n_answered == 3 and str(attempt.pending_item.uid) == pending

    # The learner stops, then logs in on a computer: another session, same test.
    computer = logged_in(learner)
    assert computer.session.session_key != phone.session.session_key
    dashboard = computer.get("/learn/").content.decode()
    assert "/learn/placement/" in dashboard
    url2, fields2 = start_placement_page(computer)
    assert url2 == url
    assert fields2["item"] == pending, "the pending question changed on the other device"
    # The page counts on from where the phone stopped: question 4.
    assert re.search(rf"\b4\b[^<]*\b{MAX_PLACEMENT}\b", computer.get(url).content.decode())
    # Answering there moves the same attempt on; the phone's old form is then stale.
    item = Item.objects.get(uid=pending)
    assert computer.post(url, {**fields2, **form_data(item, right_answer(item))}).status_code == 302
    attempt.refresh_from_db()
    assert attempt.n_answered == 4
    computer.get(url)  # the fifth question is served
    before = snapshot(attempt)
    stale = phone.post(url, {**fields, **form_data(item, right_answer(item))})
    assert stale.status_code == 400
    assert snapshot(attempt) == before
    assert Attempt.objects.filter(learner=learner, kind=AttemptKind.PLACEMENT).count() == 1


# -- practice pages ------------------------------------------------------------------------


def practice_page_fields(client: Client, attempt: Attempt) -> dict[str, str]:
    """item uid -> answer_id, as rendered in the practice page's forms."""
    html = client.get(f"/learn/practice/{attempt.pk}/").content.decode()
    pairs = re.findall(
        r'name="item" value="([^"]+)">\s*<input type="hidden" name="answer_id" '
        r'value="([^"]+)"',
        html,
    )
    return dict(pairs)


def test_practice_page_answers_once(learner: Any, practice: Attempt) -> None:
    client = logged_in(learner)
    forms = practice_page_fields(client, practice)
    assert set(forms) == {str(i.uid) for i in items_of(practice)}
    item = items_of(practice)[0]
    url = f"/learn/practice/{practice.pk}/{item.uid}/"
    data = {"answer_id": forms[str(item.uid)], **form_data(item, right_answer(item))}
    # The htmx request gets the card back with the feedback and the explanation.
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="q-{item.uid}"' in html and "feedback ok" in html
    assert item.explanation.split("\n")[0][:30] in html
    after = snapshot(practice)
    assert after[1] == 1
    # Replayed (with or without htmx): same feedback, nothing stored.
    again = client.post(url, data, headers={"HX-Request": "true"})
    assert again.status_code == 200 and "feedback ok" in again.content.decode()
    plain = client.post(url, data)
    assert plain.status_code == 302 and plain["Location"].endswith(f"#q-{item.uid}")
    assert snapshot(practice) == after


def test_practice_page_refusals_change_nothing(
    learner: Any, other_learner: Any, curriculum: Shipped, practice: Attempt
) -> None:
    client = logged_in(learner)
    # A single-choice question first, so the form fields below are the ones it reads.
    assert practice.module is not None
    pool = Item.objects.filter(competence=practice.module.competence, status=ItemStatus.OPERATIONAL)
    items = [pool.filter(kind="single")[0], *pool.exclude(kind="single")[:3]]
    practice.state = {"items": [i.code for i in items]}
    practice.save()
    item = items[0]
    url = f"/learn/practice/{practice.pk}/{item.uid}/"
    good = {"answer_id": str(uuid.uuid4()), **form_data(item, right_answer(item))}

    def refused_page(
        path: str, data: dict[str, Any], status: int = 400, as_client: Client = client
    ) -> None:
        for headers in ({}, {"HX-Request": "true"}):
            before = snapshot(practice)
            response = as_client.post(path, data, headers=headers)
            assert response.status_code == status, (path, data, headers, response.status_code)
            assert snapshot(practice) == before
            if status == 400 and not headers:
                assert 'role="alert"' in response.content.decode()

    # Malformed: no choice, out of range, not a number, bad answer id.
    refused_page(url, {"answer_id": good["answer_id"]})
    refused_page(url, {**good, "choice": "99", "choices": ["99"]})
    refused_page(url, {**good, "choice": "một", "choices": ["một"]})
    refused_page(url, {**good, "answer_id": "123"})
    # A question of another module, not in this set.
    outside = Item.objects.filter(competence__version=curriculum.version, competence__code="5.1")[0]
    refused_page(
        f"/learn/practice/{practice.pk}/{outside.uid}/",
        {**good, **form_data(outside, right_answer(outside))},
    )
    # A question that does not exist.
    refused_page(f"/learn/practice/{practice.pk}/{uuid.uuid4()}/", good, status=404)
    # Another learner's attempt: 404, for the page and for the answer.
    intruder = logged_in(other_learner)
    assert intruder.get(f"/learn/practice/{practice.pk}/").status_code == 404
    refused_page(url, good, status=404, as_client=intruder)
    # A GET does not answer.
    assert client.get(url).status_code == 405

    # Answered; then tampered (same id, other answer) and a second id for the same item.
    assert client.post(url, good).status_code == 302
    refused_page(url, {**good, **form_data(item, wrong_answer(item))})
    refused_page(url, {**good, "answer_id": str(uuid.uuid4())})
    # The same answer id for another item of the set.
    second = items[1]
    refused_page(
        f"/learn/practice/{practice.pk}/{second.uid}/",
        {**good, **form_data(second, right_answer(second))},
    )
    # Finished or expired attempts.
    Attempt.objects.filter(pk=practice.pk).update(expires_at=timezone.now())
    url2 = f"/learn/practice/{practice.pk}/{second.uid}/"
    fresh = {"answer_id": str(uuid.uuid4()), **form_data(second, right_answer(second))}
    refused_page(url2, fresh)
    Attempt.objects.filter(pk=practice.pk).update(
        status=AttemptStatus.FINISHED, expires_at=timezone.now() + timedelta(days=1)
    )
    refused_page(url2, fresh)
    assert Response.objects.filter(attempt=practice).count() == 1


MALFORMED_FORMS: list[tuple[str, dict[str, Any]]] = [
    ("single", {}),
    ("single", {"choice": "99"}),
    ("single", {"choice": "một"}),
    ("scenario", {"choice": "-1"}),
    ("multiple", {}),
    ("multiple", {"choices": ["0", "0"]}),
    ("multiple", {"choices": ["0", "x"]}),
    ("true_false", {}),
    ("true_false", {"value": "yes"}),
    ("ordering", {"pos0": "0", "pos1": "1"}),
    ("ordering", {"pos0": "0", "pos1": "0", "pos2": "1", "pos3": "2"}),
    ("numeric", {}),
    ("numeric", {"value": "NaN"}),
    ("numeric", {"value": "1e999"}),
    ("numeric", {"value": "abc"}),
    ("short_text", {"text": ""}),
    ("short_text", {"text": "   "}),
]


def test_practice_page_malformed_answers_of_every_kind(learner: Any, curriculum: Shipped) -> None:
    kinds = one_item_per_kind(curriculum)
    client = logged_in(learner)
    for kind, fields in MALFORMED_FORMS:
        item = kinds[kind]
        attempt = practice_with(learner, [item])
        for headers in ({}, {"HX-Request": "true"}):
            before = snapshot(attempt)
            response = client.post(
                f"/learn/practice/{attempt.pk}/{item.uid}/",
                {"answer_id": str(uuid.uuid4()), **fields},
                headers=headers,
            )
            assert response.status_code == 400, (kind, fields, headers)
            assert 'role="alert"' in response.content.decode(), (kind, fields)
            assert snapshot(attempt) == before, (kind, fields)


def test_error_messages_are_in_vietnamese(learner: Any, curriculum: Shipped) -> None:
    """The learner reads the error: on a Vietnamese page it must be Vietnamese."""
    client = logged_in(learner)
    item = one_item_per_kind(curriculum)["single"]
    practice = practice_with(learner, [item])
    messages = []
    for data in ({}, {"choice": "9"}):
        response = client.post(
            f"/learn/practice/{practice.pk}/{item.uid}/",
            {"answer_id": str(uuid.uuid4()), **data},
            headers={"HX-Request": "true"},
        )
        alert = re.search(r'role="alert">([^<]*)<', response.content.decode())
        assert alert is not None
        messages.append(alert.group(1))
    assert messages[0] != "choose an answer", messages
    assert "is not one of the options" not in messages[1], messages
