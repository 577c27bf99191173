"""The lean answer path: starting a placement test costs the same whatever the history,
an answer is one request with a bounded number of queries, the next question is chosen
once, and the engine's bank is rebuilt only when the bank changes."""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hocvu.assessment import bank, services
from hocvu.assessment.calibration import recalibrate
from hocvu.assessment.models import (
    Attempt,
    AttemptKind,
    ItemExposure,
    PlacementCount,
    Response,
)
from hocvu.content.item_status import move_item
from hocvu.content.models import Item, ItemStatus
from hocvu.psychometrics.cat import AdaptiveSession
from tests.learning import PASSWORD, Shipped, form_data, make_learner, right_answer, shipped

#: Queries for one placement answer through the page (htmx) or the JSON API, the next
#: question included: the user (the session is a signed cookie), the item, the locked
#: attempt (authorized in the same read), the answer id, already answered?, the response,
#: the bank revision, on every sixth answer "is there a pilot question?", the attempt
#: update, the next item, the exposure count, and the transaction's savepoint (a test runs
#: inside a transaction). It was 27 (a POST, a redirect and a GET) before the lean path.
MAX_QUERIES_PER_ANSWER = 13
#: The first answer to an item ever also creates its exposure row (in a savepoint).
FIRST_EXPOSURE = 3


def bound(item: Item) -> int:
    first = not ItemExposure.objects.filter(item=item).exists()
    return MAX_QUERIES_PER_ANSWER + (FIRST_EXPOSURE if first else 0)


@pytest.fixture(scope="module")
def _installed(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        shipped()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def curriculum(db: Any, _installed: None) -> Shipped:
    return shipped()


def logged_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def store_history(version: Any, n: int) -> None:
    """``n`` placement responses of other learners, written in bulk (no counters touched)."""
    items = list(Item.objects.filter(competence__version=version, status=ItemStatus.OPERATIONAL))
    per_attempt = min(50, len(items))
    now = timezone.now()
    made = 0
    while made < n:
        attempt = Attempt.objects.create(
            learner=make_learner(),
            kind=AttemptKind.PLACEMENT,
            framework_version=version,
            seed=1,
            expires_at=now + timedelta(days=1),
        )
        batch = items[: min(per_attempt, n - made)]
        Response.objects.bulk_create(
            Response(
                attempt=attempt,
                item=item,
                answer_id=uuid.uuid4(),
                answer={"choice": 0},
                score=1,
                position=k,
                answered_at=now,
            )
            for k, item in enumerate(batch)
        )
        made += len(batch)


def start_queries(version: Any) -> list[str]:
    learner = make_learner()
    with CaptureQueriesContext(connection) as ctx:
        services.start_placement(learner, version)
    return [q["sql"] for q in ctx.captured_queries]


def test_placement_start_does_not_read_response_history(curriculum: Shipped) -> None:
    version = curriculum.version
    services.start_placement(make_learner(), version)  # the bank is cached from here on
    store_history(version, 10)
    few = start_queries(version)
    store_history(version, 10_000 - 10)
    assert Response.objects.filter(attempt__kind=AttemptKind.PLACEMENT).count() >= 10_000
    many = start_queries(version)
    assert len(few) == len(many), (few, many)
    # The only read of the response table is the learner's own (items already seen).
    for sql in many:
        if "assessment_response" in sql:
            assert "learner_id" in sql, sql


def test_running_counts_follow_starts_and_answers(curriculum: Shipped) -> None:
    version = curriculum.version
    learner = make_learner()
    before = PlacementCount.objects.filter(framework_version=version).first()
    attempt = services.start_placement(learner, version)
    after = PlacementCount.objects.get(framework_version=version)
    assert after.sessions == (before.sessions if before else 0) + 1
    item = services.next_placement_item(attempt)
    assert item is not None
    services.record_answer(
        user=learner,
        attempt_id=attempt.pk,
        item_uid=item.uid,
        answer=right_answer(item),
        answer_id=uuid.uuid4(),
    )
    assert ItemExposure.objects.get(item=item).attempts == 1
    counts, sessions = bank.exposure_counts(version)
    assert counts[item.code] == 1 and sessions == after.sessions


def test_the_data_migration_fills_the_counts_from_stored_responses(curriculum: Shipped) -> None:
    version = curriculum.version
    store_history(version, 120)
    ItemExposure.objects.all().delete()
    PlacementCount.objects.all().delete()
    fill = importlib.import_module("hocvu.assessment.migrations.0005_fill_running_exposure").fill
    fill(apps, None)
    expected: dict[int, int] = {}
    for r in Response.objects.filter(attempt__kind=AttemptKind.PLACEMENT):
        expected[r.item_id] = expected.get(r.item_id, 0) + 1
    assert dict(ItemExposure.objects.values_list("item_id", "attempts")) == expected
    placements = Attempt.objects.filter(kind=AttemptKind.PLACEMENT, framework_version=version)
    assert PlacementCount.objects.get(framework_version=version).sessions == placements.count()


def test_an_htmx_answer_returns_the_next_question_in_bounded_queries(
    curriculum: Shipped,
) -> None:
    learner = make_learner()
    client = logged_in(learner)
    url = client.post("/learn/placement/")["Location"]
    page = client.get(url).content.decode()
    for _ in range(8):  # a pilot-free run across the first questions
        fields = dict(re.findall(r'name="(item|answer_id)" value="([^"]+)"', page))
        item = Item.objects.get(uid=fields["item"])
        post = {**fields, **form_data(item, right_answer(item))}
        limit = bound(item)
        with (
            mock.patch.object(
                AdaptiveSession, "next_item", autospec=True, side_effect=AdaptiveSession.next_item
            ) as chosen,
            CaptureQueriesContext(connection) as ctx,
        ):
            response = client.post(url, post, HTTP_HX_REQUEST="true")
        if response.status_code == 204:  # finished: htmx goes to the results page
            assert response["HX-Redirect"] == "/learn/proficiency/"
            break
        assert response.status_code == 200
        assert len(ctx.captured_queries) <= limit, "\n".join(
            q["sql"][:120] for q in ctx.captured_queries
        )
        assert chosen.call_count <= 1, "the next question was selected more than once"
        page = response.content.decode()
        assert 'id="placement-question"' in page and "<html" not in page, "a fragment"
        attempt = Attempt.objects.get(learner=learner, kind=AttemptKind.PLACEMENT)
        assert attempt.pending_item is not None
        assert f'value="{attempt.pending_item.uid}"' in page, "the pending question is shown"
        # The page reloaded (no JavaScript) shows the same question; nothing is re-chosen.
        assert f'value="{attempt.pending_item.uid}"' in client.get(url).content.decode()
    assert Response.objects.filter(attempt__learner=learner).count() >= 1


def test_an_api_answer_carries_the_next_question(curriculum: Shipped) -> None:
    learner = make_learner()
    attempt = services.start_placement(learner, curriculum.version)
    item = services.next_placement_item(attempt)
    assert item is not None
    client = logged_in(learner)
    client.get("/learn/")  # a CSRF cookie
    token = client.cookies["csrftoken"].value
    for _ in range(5):
        body = {"item": str(item.uid), "answer": right_answer(item), "answer_id": str(uuid.uuid4())}
        limit = bound(item)
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                f"/api/v1/attempts/{attempt.pk}/answers",
                body,
                content_type="application/json",
                HTTP_X_CSRFTOKEN=token,
            )
        assert response.status_code == 200, response.content
        assert len(ctx.captured_queries) <= limit, "\n".join(
            q["sql"][:120] for q in ctx.captured_queries
        )
        data = response.json()
        assert data["correct"] is None, "a placement answer is never marked"
        attempt.refresh_from_db()
        following = attempt.pending_item
        assert following is not None and data["next"]["uid"] == str(following.uid)
        assert "answer" not in data["next"], "no key"
        item = following
    # Someone else cannot answer this attempt, and learns nothing about it.
    outsider = logged_in(make_learner())
    outsider.get("/learn/")
    stored = Response.objects.filter(attempt=attempt).count()
    response = outsider.post(
        f"/api/v1/attempts/{attempt.pk}/answers",
        {"item": str(item.uid), "answer": right_answer(item), "answer_id": str(uuid.uuid4())},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=outsider.cookies["csrftoken"].value,
    )
    assert response.status_code == 404 and "next" not in response.json()
    assert Response.objects.filter(attempt=attempt).count() == stored


def test_the_bank_is_rebuilt_when_an_item_moves_or_the_bank_is_recalibrated(
    curriculum: Shipped,
) -> None:
    version = curriculum.version
    first = bank.operational_bank(version)
    assert bank.operational_bank(version) is first, "cached while the bank is unchanged"
    item = Item.objects.filter(competence__version=version, status=ItemStatus.OPERATIONAL).first()
    assert item is not None
    before = bank.revision(version.pk)
    assert move_item(item, ItemStatus.RETIRED, actor=None) == []
    assert bank.revision(version.pk) != before
    rebuilt = bank.operational_bank(version)
    assert item.code in first.bank.ids and item.code not in rebuilt.bank.ids
    again = bank.revision(version.pk)
    recalibrate(version.pk)
    assert bank.revision(version.pk) != again


#: The answer that finishes a placement (savepoints included): the answer's own queries,
#: the estimates of every competence in one statement, the learner's progress row and its
#: units' day rows (targets, study day, placed), the attempt and its audit event. It was
#: about 290 with a save (and a progress refresh) per competence.
MAX_QUERIES_TO_FINISH = 50


def test_the_answer_that_finishes_a_placement_stores_every_estimate_at_once(
    curriculum: Shipped,
) -> None:
    from hocvu.learning.models import Proficiency

    learner = make_learner(job_role="na_deputy")
    attempt = services.start_placement(learner, curriculum.version)
    item = services.next_placement_item(attempt)
    while item is not None:
        with CaptureQueriesContext(connection) as ctx:
            outcome = services.record_answer(
                user=learner,
                attempt_id=attempt.pk,
                item_uid=item.uid,
                answer=right_answer(item),
                answer_id=uuid.uuid4(),
            )
        item = outcome.next_item
    assert outcome.finished
    competences = curriculum.version.competences.count()
    assert Proficiency.objects.filter(learner=learner).count() == competences > 20
    statements = [q["sql"] for q in ctx.captured_queries]
    assert len(statements) <= MAX_QUERIES_TO_FINISH, "\n".join(s[:120] for s in statements)
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE")) and "proficiency" in s]
    assert len(writes) == 1, "one upsert of the estimates, not a write per competence"
