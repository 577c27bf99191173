"""Placement against targets: the correlated prior, the update, the decisions, the state."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hocvu.psychometrics.cat import ItemBank
from hocvu.psychometrics.irt import prob
from hocvu.psychometrics.targeting import (
    CompetencePrior,
    TargetConfig,
    TargetSession,
    classify,
    fit_role_priors,
    settle_with_answers,
)

COMPS = [f"{a}.{k}" for a in (1, 2, 3) for k in (1, 2, 3)]  # 3 areas x 3 competences
CUTS = {1: -0.5, 2: 0.5, 3: 1.5}


def bank(per: int = 12, a: float = 1.6, seed: int = 0) -> ItemBank:
    rng = np.random.default_rng(seed)
    n = per * len(COMPS)
    comp = [COMPS[i % len(COMPS)] for i in range(n)]
    return ItemBank.create(
        [f"q{i:03d}" for i in range(n)],
        np.full(n, a),
        rng.uniform(-2.0, 2.5, n),
        np.zeros(n),
        comp,
        np.ones(n),
    )


def targets(level: int = 2) -> dict[str, int]:
    return dict.fromkeys(COMPS, level)


def run(session: TargetSession, theta: np.ndarray, rng: np.random.Generator) -> TargetSession:
    b = session.bank
    while (i := session.next_index()) is not None:
        k = int(b.competence[i])
        p = float(prob(theta[k], b.a[i], b.b[i], b.c[i]))
        session.answer_index(i, int(rng.random() < p))
    return session


# -- the prior ------------------------------------------------------------------------------


def test_hierarchical_prior_has_the_framework_structure() -> None:
    areas = [c.split(".")[0] for c in COMPS]
    prior = CompetencePrior.hierarchical(COMPS, areas, general=0.64, area=0.36, specific=0.25)
    cov = prior.cov
    assert np.allclose(np.diag(cov), 1.25)
    assert cov[0, 1] == pytest.approx(1.0)  # same area: general + area
    assert cov[0, 3] == pytest.approx(0.64)  # other area: general only
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    assert CompetencePrior.from_dict(json.loads(json.dumps(prior.to_dict()))).fingerprint == (
        prior.fingerprint
    )


def test_prior_refuses_inconsistent_parts() -> None:
    with pytest.raises(ValueError):
        CompetencePrior.hierarchical(COMPS, ["1"] * 3)
    with pytest.raises(ValueError):
        CompetencePrior.hierarchical(COMPS, [c[0] for c in COMPS], specific=0.0)
    with pytest.raises(ValueError):
        CompetencePrior.hierarchical(COMPS, [c[0] for c in COMPS], mean=math.nan)
    with pytest.raises(ValueError):
        CompetencePrior.from_dict({"codes": COMPS})


def test_empirical_bayes_recovers_the_population_from_posteriors() -> None:
    # Learners drawn from a known hierarchical population; their "posteriors" are exact
    # normal posteriors from a few noisy measurements each. One EM step from them gives
    # back the population's mean and variance components.
    rng = np.random.default_rng(5)
    areas = [c[0] for c in COMPS]
    truth = CompetencePrior.hierarchical(
        COMPS, areas, mean=np.linspace(-0.5, 0.5, 9), general=0.5, area=0.3, specific=0.2
    )
    n = 6000
    theta = rng.multivariate_normal(truth.mean, truth.cov, size=n)
    noise = 0.6
    x = theta + noise * rng.standard_normal(theta.shape)
    cov = truth.cov
    gain = cov @ np.linalg.inv(cov + noise**2 * np.eye(9))
    means = truth.mean + (x - truth.mean) @ gain.T
    post = cov - gain @ cov
    fitted = CompetencePrior.fit(COMPS, areas, means, post)
    assert np.allclose(fitted.mean, truth.mean, atol=0.05)
    assert fitted.general == pytest.approx(0.5, abs=0.05)
    assert np.allclose(fitted.area, 0.3, atol=0.06)
    assert np.allclose(fitted.specific, 0.2, atol=0.05)
    assert fitted.n_learners == n


# -- the session ----------------------------------------------------------------------------


def test_an_answer_moves_the_correlated_competences_too() -> None:
    b = bank()
    prior = CompetencePrior.for_bank(b)
    s = TargetSession.start(b, prior, targets(), CUTS, seed=1)
    before = s.p_target().copy()
    i = s.next_index()
    assert i is not None
    k = int(b.competence[i])
    s.answer_index(i, 1)
    after = s.p_target()
    same_area = [j for j, code in enumerate(b.competence_codes) if code[0] == COMPS[k][0]]
    other = [j for j in range(9) if j not in same_area]
    rise = after - before
    assert rise[k] > 0
    assert all(rise[j] > 0 for j in same_area)
    assert all(0 < rise[j] < min(rise[x] for x in same_area) for j in other)


def test_clear_learners_are_decided_correctly_and_quickly() -> None:
    b = bank()
    prior = CompetencePrior.for_bank(b)
    rng = np.random.default_rng(2)
    for level in (3.0, -1.5):  # far above / far below the cut 0.5 of level 2
        s = run(TargetSession.start(b, prior, targets(), CUTS, seed=3), np.full(9, level), rng)
        r = s.result()
        assert r.finished and r.stop_reason == "decided"
        expected = "at_target" if level > 0.5 else "below_target"
        assert all(c.decision == expected for c in r.competences)
        assert r.n_items < 20  # nine competences decided with fewer than nine x 2 items
        assert not r.undecided


def test_classification_accuracy_by_simulation() -> None:
    b = bank(per=16)
    areas = [c[0] for c in COMPS]
    prior = CompetencePrior.hierarchical(COMPS, areas)
    rng = np.random.default_rng(8)
    cfg = TargetConfig(max_length=20, confidence=0.9)
    decided_ok = decided = right = total = 0
    for s in range(150):
        theta = rng.multivariate_normal(prior.mean, prior.cov)
        session = TargetSession.start(b, prior, targets(), CUTS, seed=s, config=cfg)
        r = run(session, theta, rng).result()
        assert r.n_items <= 20
        for c in r.competences:
            truth = theta[c.index] >= 0.5
            total += 1
            right += (c.p_target >= 0.5) == truth
            if c.decision != "undecided":
                decided += 1
                decided_ok += (c.decision == "at_target") == truth
    # Decisions taken at 90 % confidence are right at least that often; the rest guess
    # from the posterior.
    assert decided_ok / decided >= 0.9
    assert right / total >= 0.8
    assert decided / total > 0.5


def test_competences_without_a_target_are_not_measured() -> None:
    b = bank()
    tg = targets()
    tg["3.1"] = 0
    tg.pop("3.2")
    s = TargetSession.start(b, CompetencePrior.for_bank(b), tg, CUTS, seed=4)
    run(s, np.zeros(9), np.random.default_rng(1))
    shown = {b.competence_codes[int(b.competence[b.index_of[x]])] for x in s.administered_ids}
    assert not shown & {"3.1", "3.2"}
    r = {c.code: c for c in s.result().competences}
    assert r["3.1"].decision == "at_target" and r["3.1"].target == 0


def test_state_round_trip_replays_to_the_same_continuation() -> None:
    b = bank()
    prior = CompetencePrior.for_bank(b).with_mean(np.full(9, -0.3))
    s = TargetSession.start(
        b, prior, targets(), CUTS, seed=9, exclude=["q000"], exposure_counts={}, exposure_sessions=0
    )
    rng = np.random.default_rng(3)
    for _ in range(5):
        i = s.next_index()
        assert i is not None
        s.answer_index(i, int(rng.random() < 0.5))
    pending = s.next_item()
    state = json.loads(json.dumps(s.to_dict()))
    again = TargetSession.from_dict(b, state)
    assert again.next_item() == pending
    assert np.allclose(again.p_target(), s.p_target())
    assert "q000" not in again.administered_ids


@pytest.mark.parametrize(
    "change",
    [
        {"engine": "cat"},
        {"bank": "other"},
        {"items": ["nope"]},
        {"responses": [2]},
        {"items": ["q001", "q001"], "responses": [1, 0]},
        {"prior": {"codes": []}},
        {"cuts": {"1": -0.5}},
    ],
)
def test_a_corrupt_state_is_refused(change: dict[str, object]) -> None:
    b = bank()
    s = TargetSession.start(b, CompetencePrior.for_bank(b), targets(), CUTS, seed=1)
    with pytest.raises(ValueError):
        TargetSession.from_dict(b, {**s.to_dict(), **change})


def test_answers_are_checked() -> None:
    b = bank()
    s = TargetSession.start(b, CompetencePrior.for_bank(b), targets(), CUTS, seed=1)
    with pytest.raises(ValueError):
        s.answer("q001", 1)  # nothing pending
    item = s.next_item()
    assert item is not None
    with pytest.raises(ValueError):
        s.answer("q999" if item != "q999" else "q998", 1)
    with pytest.raises(ValueError):
        s.answer(item, 3)


def test_start_refuses_bad_input() -> None:
    b = bank()
    prior = CompetencePrior.for_bank(b)
    with pytest.raises(ValueError):
        TargetSession.start(b, prior, targets(), CUTS, seed=-1)
    with pytest.raises(ValueError):
        TargetSession.start(b, prior, targets(4), CUTS, seed=1)  # no cut for level 4
    with pytest.raises(ValueError):
        TargetSession.start(b, prior, targets(), CUTS, seed=1, exclude="q001")
    other = CompetencePrior.hierarchical(["9.9"], ["9"])
    with pytest.raises(ValueError):
        TargetSession.start(b, other, targets(), CUTS, seed=1)
    with pytest.raises(ValueError):
        TargetConfig(confidence=1.0)


def test_exposure_cap_blocks_items_shown_too_often() -> None:
    b = bank()
    prior = CompetencePrior.for_bank(b)
    first = TargetSession.start(b, prior, targets(), CUTS, seed=1).next_item()
    assert first is not None
    s = TargetSession.start(
        b, prior, targets(), CUTS, seed=1, exposure_counts={first: 30}, exposure_sessions=100
    )
    assert s.next_item() != first


def test_settle_with_answers_moves_the_probability_the_right_way() -> None:
    _, sd, p = settle_with_answers(0.4, 0.5, 0.5, [])
    assert p == pytest.approx(0.5 - 0.0797, abs=1e-3)
    _, sd_up, up = settle_with_answers(0.4, 0.5, 0.5, [(1, 1.5, 0.5, 0.0)] * 5)
    _, _, down = settle_with_answers(0.4, 0.5, 0.5, [(0, 1.5, 0.5, 0.0)] * 5)
    assert up > 0.9 and down < 0.1 and sd_up < sd
    assert classify(up, 0.9) == "at_target" and classify(0.5, 0.9) == "undecided"
    with pytest.raises(ValueError):
        settle_with_answers(0.0, 0.0, 0.0, [])
    with pytest.raises(ValueError):
        settle_with_answers(0.0, 1.0, 0.0, [(2, 1.0, 0.0, 0.0)])


def test_role_priors_pool_the_spread_and_shrink_small_roles_to_the_mean() -> None:
    rng = np.random.default_rng(7)
    areas = [c[0] for c in COMPS]
    base = CompetencePrior.hierarchical(COMPS, areas, general=0.5, area=0.3, specific=0.2)
    roles, means = [], []
    for role, shift, n in (("big", 1.0, 3000), ("small", -1.0, 10)):
        draws = rng.multivariate_normal(np.full(9, shift), base.cov, size=n)
        roles += [role] * n
        means.append(draws)
    m = np.vstack(means)
    covs = np.zeros((m.shape[0], 9, 9))  # exact abilities: no posterior spread
    pooled, by_role = fit_role_priors(COMPS, areas, roles, m, covs, shrink=20.0, all_roles=["none"])
    # The spread is the within-role one (not inflated by the two roles' distance).
    assert pooled.general == pytest.approx(0.5, abs=0.06)
    assert by_role["big"].mean.mean() == pytest.approx(1.0, abs=0.05)
    # Ten learners count for a third against twenty "learners" of the overall mean.
    overall = m.mean(axis=0).mean()
    small = by_role["small"].mean.mean()
    assert small == pytest.approx((10 * -1.0 + 20 * overall) / 30, abs=0.15)
    assert by_role["none"].mean.mean() == pytest.approx(overall)
    with pytest.raises(ValueError):
        fit_role_priors(COMPS, areas, roles[:-1], m, covs)
