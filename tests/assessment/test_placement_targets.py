"""Placement against the role's targets (decision 0011), through the services and pages:
the engine a learner gets, what is stored, the short check that settles what placement
left undecided, and the empirical-Bayes prior."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from hocvu.assessment import bank as engine
from hocvu.assessment import services
from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus, PlacementPrior
from hocvu.content.models import Item, Module
from hocvu.content.standards import in_force
from hocvu.learning import services as learning
from hocvu.learning.models import Proficiency
from tests.learning import (
    PASSWORD,
    Shipped,
    SimulatedLearner,
    make_learner,
    right_answer,
    shipped,
    wrong_answer,
)


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


def answer(user: Any, attempt: Attempt, item: Item, ans: Any) -> services.Outcome:
    return services.record_answer(
        user=user, attempt_id=attempt.pk, item_uid=item.uid, answer=ans, answer_id=uuid.uuid4()
    )


def run(user: Any, attempt: Attempt, who: SimulatedLearner) -> int:
    n = 0
    while (item := services.next_placement_item(attempt)) is not None:
        n += 1
        assert n <= engine.TARGETS.max_length, "more questions than the maximum"
        if answer(user, attempt, item, who.answer(item)).finished:
            break
    return n


def targets_of(curriculum: Shipped, role: str) -> dict[str, int]:
    return engine.role_targets(curriculum.version, role)


def test_a_learner_with_a_role_is_placed_against_the_role_s_targets(curriculum: Shipped) -> None:
    learner = make_learner(job_role="commune_council")
    attempt = services.start_placement(learner, curriculum.version)
    assert attempt.state["engine"] == "targets"
    assert attempt.state["targets"] == targets_of(curriculum, "commune_council")
    std = in_force()
    assert attempt.state["cuts"] == {str(lv): std.cut(lv) for lv in (1, 2, 3, 4)}
    n = run(learner, attempt, SimulatedLearner(-0.3, 5))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FINISHED and 1 <= n <= engine.TARGETS.max_length
    assert attempt.result["engine"] == "targets"
    decisions = {c["code"]: c for c in attempt.result["competences"]}
    assert len(decisions) == 24
    rows = {p.competence.code: p for p in Proficiency.objects.filter(learner=learner)}
    assert set(rows) == set(decisions)
    for code, d in decisions.items():
        row = rows[code]
        assert row.p_target == pytest.approx(d["p_target"])
        assert row.needs_check == (d["decision"] == "undecided")
        # The stored level agrees with the decision against the target.
        if d["decision"] == "at_target":
            assert row.level >= d["target"]
        else:
            assert row.level <= d["target"] - 1


def test_a_learner_without_a_role_gets_the_five_band_placement(curriculum: Shipped) -> None:
    learner = make_learner(job_role="")
    attempt = services.start_placement(learner, curriculum.version)
    assert "engine" not in attempt.state
    assert attempt.state["config"]["max_length"] == engine.PLACEMENT.max_length
    n = run(learner, attempt, SimulatedLearner(0.0, 3))
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FINISHED and n <= engine.PLACEMENT.max_length
    assert Proficiency.objects.filter(learner=learner, p_target__isnull=True).count() == 24


def test_the_placement_page_counts_to_the_attempt_s_maximum(curriculum: Shipped) -> None:
    learner = make_learner()
    client = Client()
    assert client.login(username=learner.username, password=PASSWORD)
    intro = client.get(reverse("placement-start")).content.decode()
    assert f"{engine.TARGETS.max_length}" in intro
    started = client.post(reverse("placement-start"))
    page = client.get(started["Location"]).content.decode()
    assert f"(tối đa {engine.TARGETS.max_length})" in page or (
        f"at most {engine.TARGETS.max_length}" in page
    )


def module_of(curriculum: Shipped, code: str) -> Module:
    return Module.objects.get(program=curriculum.program, competence__code=code)


def undecided_profile(learner: Any, curriculum: Shipped, code: str, target: int) -> Proficiency:
    """As placement leaves an undecided competence: just below the target's cut."""
    from hocvu.learning.models import EstimateSource

    comp = module_of(curriculum, code).competence
    cut = in_force().cut(target)
    prof, _ = Proficiency.objects.update_or_create(
        learner=learner,
        competence=comp,
        defaults={
            "mean": cut - 0.1,
            "sd": 0.5,
            "level": target - 1,
            "source": EstimateSource.PLACEMENT,
            "p_target": 0.42,
            "needs_check": True,
        },
    )
    return prof


def take_check(learner: Any, module: Module, target: int, right: bool) -> Attempt:
    attempt = services.start_practice(
        learner, module, [target], size=5, kind=AttemptKind.MASTERY_CHECK
    )
    for item in services.practice_items(attempt):
        answer(learner, attempt, item, right_answer(item) if right else wrong_answer(item))
    attempt.refresh_from_db()
    return attempt


@pytest.mark.parametrize("right", [True, False])
def test_the_short_check_settles_an_undecided_competence(curriculum: Shipped, right: bool) -> None:
    learner = make_learner(job_role="commune_council")
    code = "1.1"
    target = targets_of(curriculum, "commune_council")[code]
    undecided_profile(learner, curriculum, code, target)
    # The path asks for the check first on that competence only.
    steps = {s.competence.code: s for s in learning.learning_path(learner, curriculum.program)}
    assert steps[code].check_first
    assert not any(s.check_first for c, s in steps.items() if c != code)
    # The path page shows the path once a placement has finished.
    Attempt.objects.filter(pk=services.start_placement(learner, curriculum.version).pk).update(
        status=AttemptStatus.FINISHED
    )
    client = Client()
    assert client.login(username=learner.username, password=PASSWORD)
    page = client.get(reverse("path")).content.decode()
    assert page.count("data-check-first=") == 1
    attempt = take_check(learner, module_of(curriculum, code), target, right)
    assert attempt.result["passed"] is right
    prof = Proficiency.objects.get(learner=learner, competence__code=code)
    assert not prof.needs_check
    assert (prof.level >= target) is right
    assert prof.p_target is not None and (prof.p_target >= 0.5) is right
    steps = {s.competence.code: s for s in learning.learning_path(learner, curriculum.program)}
    assert (code in steps) is not right
    if not right:
        assert not steps[code].check_first


def test_the_settling_check_weighs_the_placement_estimate(curriculum: Shipped) -> None:
    # Four of five right on a competence placement put well below the cut is not enough
    # to settle it at target; the plain 80 % rule would have passed it.
    learner = make_learner(job_role="commune_council")
    code = "1.2"
    target = targets_of(curriculum, "commune_council")[code]
    prof = undecided_profile(learner, curriculum, code, target)
    Proficiency.objects.filter(pk=prof.pk).update(mean=in_force().cut(target) - 1.5, sd=0.3)
    module = module_of(curriculum, code)
    attempt = services.start_practice(
        learner, module, [target], size=5, kind=AttemptKind.MASTERY_CHECK
    )
    items = services.practice_items(attempt)
    for n, item in enumerate(items):
        answer(learner, attempt, item, wrong_answer(item) if n == 0 else right_answer(item))
    attempt.refresh_from_db()
    assert attempt.result["correct"] == 4 and attempt.result["passed"] is False
    assert not Proficiency.objects.get(pk=prof.pk).needs_check


def test_fit_placement_prior_learns_the_role_s_mean(curriculum: Shipped) -> None:
    version = curriculum.version
    ob = engine.operational_bank(version)
    default = engine.placement_prior(version, "commune_council", ob.bank)
    assert default.n_learners == 0 and all(m == 0 for m in default.mean)
    # Too few placements: nothing is fitted.
    out = io.StringIO()
    call_command("fit_placement_prior", stdout=out)
    assert "too few" in out.getvalue()
    assert not PlacementPrior.objects.exists()
    # Strong learners of one role, weak of another.
    for n in range(6):
        for role, theta in (("commune_council", 1.5), ("na_deputy", -1.0)):
            learner = make_learner(job_role=role)
            attempt = services.start_placement(learner, version)
            run(learner, attempt, SimulatedLearner(theta, 100 + n))
    out = io.StringIO()
    call_command("fit_placement_prior", "--min-learners", "10", "--shrink", "5", stdout=out)
    assert "12 placements" in out.getvalue()
    strong = engine.placement_prior(version, "commune_council", ob.bank)
    weak = engine.placement_prior(version, "na_deputy", ob.bank)
    assert strong.n_learners == 12 and weak.n_learners == 12
    assert strong.mean.mean() > weak.mean.mean() + 0.3
    # A new placement starts from the fitted prior.
    attempt = services.start_placement(make_learner(job_role="na_deputy"), version)
    assert attempt.state["prior"]["n_learners"] == 12
