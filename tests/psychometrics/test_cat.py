"""Tests of the adaptive test engine (hocvu.psychometrics.cat)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hocvu.psychometrics.cat import (
    AdaptiveSession,
    Blueprint,
    CATConfig,
    ItemBank,
    StopReason,
    calibrate_exposure,
    simulate_session,
)
from hocvu.psychometrics.irt import information


def make_bank(
    n_areas: int = 3,
    comps_per_area: int = 2,
    items_per_comp: int = 15,
    seed: int = 5,
    guessing: bool = False,
) -> ItemBank:
    rng = np.random.default_rng(seed)
    codes = [f"{a}.{k}" for a in range(1, n_areas + 1) for k in range(1, comps_per_area + 1)]
    comp = [code for code in codes for _ in range(items_per_comp)]
    n = len(comp)
    return ItemBank.create(
        [f"q{i:04d}" for i in range(n)],
        rng.uniform(0.8, 2.0, n),
        rng.normal(0.0, 1.0, n),
        rng.uniform(0.0, 0.25, n) if guessing else np.zeros(n),
        comp,
        rng.integers(1, 5, n),
    )


def run(session: AdaptiveSession, theta: float, seed: int) -> None:
    """Answer until the end with responses drawn from the 2PL/3PL."""
    rng = np.random.default_rng(seed)
    bank = session.bank
    while (item := session.next_item()) is not None:
        i = bank.index_of[item]
        z = bank.a[i] * (theta - bank.b[i])
        p = bank.c[i] + (1 - bank.c[i]) / (1 + math.exp(-z))
        session.answer(item, rng.random() < p)


# --- bank ------------------------------------------------------------------------------


def test_bank_codes_and_tables() -> None:
    bank = make_bank(guessing=True)
    assert bank.area_codes == ("1", "2", "3")
    assert bank.competence_codes == ("1.1", "1.2", "2.1", "2.2", "3.1", "3.2")
    assert bank.info_table.shape == (bank.theta_grid.size, bank.n_items)
    assert bank.logp_table.shape == (bank.n_items, bank.theta_grid.size)
    # The information table is stored area by area; check one column against irt.
    i = 37
    col = bank.info_table[:, bank.position[i]]
    expected = information(bank.theta_grid, bank.a[i], bank.b[i], bank.c[i])
    np.testing.assert_allclose(col, expected)
    assert not bank.a.flags.writeable


def test_bank_validation_errors() -> None:
    ids, a, b, c = ["x", "y"], [1.0, 1.2], [0.0, 1.0], [0.0, 0.1]
    with pytest.raises(ValueError, match="empty"):
        ItemBank.create([], [], [], [], [], [])
    with pytest.raises(ValueError, match="mismatched"):
        ItemBank.create(ids, [1.0], b, c, ["1.1", "1.1"], [1, 1])
    with pytest.raises(ValueError, match="mismatched"):
        ItemBank.create(ids, a, b, c, ["1.1"], [1, 1])
    with pytest.raises(ValueError, match="not finite"):
        ItemBank.create(ids, a, [0.0, float("nan")], c, ["1.1"] * 2, [1, 1])
    with pytest.raises(ValueError, match="a must be positive"):
        ItemBank.create(ids, [1.0, -1.0], b, c, ["1.1"] * 2, [1, 1])
    with pytest.raises(ValueError, match="c must be"):
        ItemBank.create(ids, a, b, [0.0, 1.0], ["1.1"] * 2, [1, 1])
    with pytest.raises(ValueError, match="unique"):
        ItemBank.create(["x", "x"], a, b, c, ["1.1"] * 2, [1, 1])
    with pytest.raises(ValueError, match="two areas"):
        ItemBank.create(ids, a, b, c, ["1.1", "1.1"], [1, 1], area=["1", "2"])
    with pytest.raises(ValueError, match="integers"):
        ItemBank.create(ids, a, b, c, ["1.1"] * 2, [1.5, 1])
    with pytest.raises(ValueError, match="exposure_k"):
        ItemBank.create(ids, a, b, c, ["1.1"] * 2, [1, 1], exposure_k=[1, 2])


# --- selection, determinism, JSON --------------------------------------------------------


def test_first_item_is_most_informative_at_prior_mean() -> None:
    bank = make_bank(n_areas=1, comps_per_area=1, items_per_comp=60)
    session = AdaptiveSession.start(bank, seed=1)
    first = session.next_item()
    info0 = information(0.0, bank.a, bank.b, bank.c)
    assert first == bank.ids[int(np.argmax(info0))]


def test_same_seed_replays_the_same_test() -> None:
    bank = make_bank().with_exposure(np.full(90, 0.6))
    runs = []
    for _ in range(2):
        s = AdaptiveSession.start(bank, seed=42, config=CATConfig(max_length=12))
        run(s, theta=0.3, seed=9)
        runs.append((s.administered_ids, s.responses, s.result().areas))
    assert runs[0] == runs[1]
    other = AdaptiveSession.start(bank, seed=43, config=CATConfig(max_length=12))
    run(other, theta=0.3, seed=9)
    assert other.administered_ids != runs[0][0]  # eligibility differs with the seed


@pytest.mark.parametrize("pending", [False, True])
def test_json_round_trip_mid_session_continues_identically(pending: bool) -> None:
    bank = make_bank(guessing=True).with_exposure(np.full(90, 0.8))
    bp = Blueprint.balanced(bank, min_per_area=2, max_per_area=6, max_per_competence=4)
    cfg = CATConfig(max_length=15, se_target=0.35)
    a = AdaptiveSession.start(bank, seed=7, config=cfg, blueprint=bp, exclude=["q0001"])
    rng = np.random.default_rng(3)
    for _ in range(5):
        item = a.next_item()
        assert item is not None
        a.answer(item, int(rng.random() < 0.6))
    if pending:
        a.next_item()
    state = a.to_json()
    data = json.loads(state)

    def plain(x: object) -> bool:
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        if isinstance(x, list):
            return all(plain(v) for v in x)
        return x is None or isinstance(x, str | int | float | bool)

    assert plain(data)
    b = AdaptiveSession.from_json(bank, state)
    assert b.to_json() == state
    assert b.pending_item == a.pending_item
    assert b.result() == a.result()
    run(a, theta=0.5, seed=11)
    run(b, theta=0.5, seed=11)
    assert a.administered_ids == b.administered_ids
    assert a.result() == b.result()
    assert a.stop_reason == b.stop_reason


def test_state_from_another_bank_or_malformed_is_rejected() -> None:
    bank = make_bank()
    s = AdaptiveSession.start(bank, seed=1)
    s.next_item()
    state = s.to_json()
    with pytest.raises(ValueError, match="different item bank"):
        AdaptiveSession.from_json(make_bank(seed=6), state)
    with pytest.raises(ValueError, match="not valid JSON"):
        AdaptiveSession.from_json(bank, "{oops")
    bad = json.loads(state)
    bad["items"] = ["nope"]
    with pytest.raises(ValueError, match="unknown item"):
        AdaptiveSession.from_dict(bank, bad)
    bad = json.loads(state)
    bad["responses"] = [2]
    with pytest.raises(ValueError, match="score"):
        AdaptiveSession.from_dict(bank, bad)
    with pytest.raises(ValueError, match="version"):
        AdaptiveSession.from_dict(bank, {"version": 99})


def test_answer_validation() -> None:
    bank = make_bank()
    s = AdaptiveSession.start(bank, seed=1)
    with pytest.raises(ValueError, match="no item is awaiting"):
        s.answer("q0000", 1)
    item = s.next_item()
    assert item is not None
    assert s.next_item() == item  # idempotent while pending
    other = next(x for x in bank.ids if x != item)
    with pytest.raises(ValueError, match="administered item"):
        s.answer(other, 1)
    for bad in (2, -1, 0.5, None, "1"):
        with pytest.raises(ValueError, match="score"):
            s.answer(item, bad)
    s.answer(item, True)
    with pytest.raises(ValueError, match="no item is awaiting"):
        s.answer(item, 1)


def test_config_and_blueprint_validation() -> None:
    bank = make_bank()
    with pytest.raises(ValueError):
        CATConfig(max_length=0)
    with pytest.raises(ValueError):
        CATConfig(min_length=70)
    with pytest.raises(ValueError):
        CATConfig(se_target=-1.0)
    with pytest.raises(ValueError):
        CATConfig(level_confidence=0.4)
    with pytest.raises(ValueError):
        CATConfig(cuts=(1.0, 0.0))
    with pytest.raises(ValueError, match="more than max_length"):
        AdaptiveSession.start(
            bank,
            seed=1,
            config=CATConfig(max_length=5, min_length=0),
            blueprint=Blueprint.balanced(bank, min_per_area=2),
        )
    with pytest.raises(ValueError, match="needs 20 items"):
        AdaptiveSession.start(
            bank, seed=1, blueprint=Blueprint.balanced(bank, min_per_competence=20)
        )
    with pytest.raises(ValueError, match="do not match"):
        AdaptiveSession.start(bank, seed=1, blueprint=Blueprint((0,), (1,), (0,), (1,)))
    with pytest.raises(ValueError, match="seed"):
        AdaptiveSession.start(bank, seed=-1)


# --- exposure, blueprint, repeats over many sessions ------------------------------------------

N_SESSIONS = 10_000


@pytest.fixture(scope="module")
def many_sessions() -> dict[str, object]:
    """10,000 short sessions with calibrated Sympson-Hetter and running exposure counts."""
    bank = make_bank()
    bp = Blueprint.balanced(
        bank, min_per_area=1, max_per_area=3, min_per_competence=0, max_per_competence=2
    )
    cfg = CATConfig(max_length=6, min_length=6, se_target=None, level_confidence=None)
    k = calibrate_exposure(
        bank, r_max=0.25, n_sessions=300, n_iterations=4, config=cfg, blueprint=bp, seed=3
    )
    bank = bank.with_exposure(k)
    counts = dict.fromkeys(bank.ids, 0)
    rng = np.random.default_rng(123)
    worst_after_burn_in = 0.0
    tests = []
    for s in range(N_SESSIONS):
        theta = 0.8 * rng.standard_normal() + 0.6 * rng.standard_normal(bank.n_areas)
        session = simulate_session(
            bank,
            theta,
            seed=1000 + s,
            config=cfg,
            blueprint=bp,
            exposure_counts=counts,
            exposure_sessions=s,
        )
        for item in session.administered_ids:
            counts[item] += 1
        tests.append(session.administered_ids)
        if s >= 1000 and s % 50 == 0:
            worst_after_burn_in = max(worst_after_burn_in, max(counts.values()) / (s + 1))
    return {"bank": bank, "bp": bp, "counts": counts, "tests": tests, "worst": worst_after_burn_in}


def test_exposure_never_above_cap_over_10000_sessions(many_sessions: dict[str, object]) -> None:
    counts = many_sessions["counts"]
    assert isinstance(counts, dict)
    assert max(counts.values()) / N_SESSIONS <= 0.25
    worst = many_sessions["worst"]
    assert isinstance(worst, float)
    assert worst <= 0.25
    # Six items a session at a 0.25 cap need at least 24 items in use.
    assert sum(1 for v in counts.values() if v > 0) >= 24


def test_blueprint_and_no_repeat_within_sessions(many_sessions: dict[str, object]) -> None:
    bank = many_sessions["bank"]
    bp = many_sessions["bp"]
    tests = many_sessions["tests"]
    assert isinstance(bank, ItemBank) and isinstance(bp, Blueprint) and isinstance(tests, list)
    for ids in tests:
        assert len(ids) == 6
        assert len(set(ids)) == len(ids)
        idx = [bank.index_of[i] for i in ids]
        per_area = np.bincount(bank.area[idx], minlength=bank.n_areas)
        per_comp = np.bincount(bank.competence[idx], minlength=bank.n_competences)
        assert np.all(per_area >= bp.area_min) and np.all(per_area <= bp.area_max)
        assert np.all(per_comp >= bp.competence_min) and np.all(per_comp <= bp.competence_max)


def test_sympson_hetter_alone_spreads_exposure() -> None:
    bank = make_bank(n_areas=1, comps_per_area=2, items_per_comp=30)
    cfg = CATConfig(max_length=5, min_length=5, se_target=None, level_confidence=None)
    k = calibrate_exposure(bank, r_max=0.25, n_sessions=300, n_iterations=5, config=cfg, seed=1)
    controlled = bank.with_exposure(k)

    def max_rate(b: ItemBank) -> float:
        counts = np.zeros(b.n_items)
        rng = np.random.default_rng(8)
        for s in range(1000):
            sess = simulate_session(b, rng.standard_normal(), seed=50_000 + s, config=cfg)
            counts[[b.index_of[i] for i in sess.administered_ids]] += 1
        return float(counts.max() / 1000)

    assert max_rate(bank) == 1.0  # maximum information alone: same first item for everyone
    assert max_rate(controlled) <= 0.32


def test_blueprint_minimums_forced_near_max_length() -> None:
    bank = make_bank(n_areas=3, comps_per_area=2, items_per_comp=15)
    bp = Blueprint.balanced(bank, min_per_competence=1)
    cfg = CATConfig(max_length=6, min_length=1, se_target=0.9, level_confidence=None)
    for seed in range(20):
        s = simulate_session(bank, 2.0, seed=seed, config=cfg, blueprint=bp)
        comps = {
            bank.competence_codes[bank.competence[bank.index_of[i]]] for i in s.administered_ids
        }
        assert len(comps) == 6


def test_no_repeats_across_attempts() -> None:
    bank = make_bank()
    cfg = CATConfig(max_length=20, se_target=None, level_confidence=None)
    seen: set[str] = set()
    for attempt in range(4):
        s = simulate_session(bank, 0.0, seed=attempt, config=cfg, exclude=sorted(seen))
        ids = set(s.administered_ids)
        assert len(ids) == 20
        assert not ids & seen
        seen |= ids
    # Unknown (retired) ids in exclude are ignored.
    s = AdaptiveSession.start(bank, seed=1, exclude=["retired-item"])
    assert s.next_item() is not None


def test_exposure_counts_block_items_at_cap() -> None:
    bank = make_bank(n_areas=1, comps_per_area=1, items_per_comp=40)
    first = AdaptiveSession.start(bank, seed=1).next_item()
    assert first is not None
    cfg = CATConfig(exposure_cap=0.25, exposure_burn_in=10)
    s = AdaptiveSession.start(
        bank, seed=1, config=cfg, exposure_counts={first: 25}, exposure_sessions=100
    )
    assert s.next_item() != first
    # Before the burn-in the counts are ignored.
    s = AdaptiveSession.start(
        bank, seed=1, config=cfg, exposure_counts={first: 5}, exposure_sessions=5
    )
    assert s.next_item() == first
    with pytest.raises(ValueError, match="out of range"):
        AdaptiveSession.start(bank, seed=1, exposure_counts={first: 500}, exposure_sessions=100)


# --- stopping rules -----------------------------------------------------------------------


def test_stops_on_se_target() -> None:
    bank = make_bank(n_areas=1, comps_per_area=2, items_per_comp=100)
    cfg = CATConfig(max_length=60, min_length=1, se_target=0.35, level_confidence=None)
    s = simulate_session(bank, 0.2, seed=1, config=cfg)
    r = s.result()
    assert s.stop_reason is StopReason.SE_TARGET
    assert r.areas[0].se <= 0.35 < 60
    assert r.n_items < 60


def test_stops_on_level_decided() -> None:
    bank = make_bank(n_areas=1, comps_per_area=2, items_per_comp=100)
    cfg = CATConfig(max_length=60, min_length=1, se_target=None, level_confidence=0.85)
    s = simulate_session(bank, -2.0, seed=1, config=cfg)
    r = s.result()
    assert s.stop_reason is StopReason.LEVEL_DECIDED
    assert r.areas[0].level_probability >= 0.85
    assert r.areas[0].level_decided


def test_min_and_max_length() -> None:
    bank = make_bank(n_areas=1, comps_per_area=2, items_per_comp=100)
    easy = CATConfig(max_length=60, min_length=12, se_target=3.0, level_confidence=None)
    assert simulate_session(bank, 0.0, seed=1, config=easy).n_administered == 12
    fixed = CATConfig(max_length=17, min_length=0, se_target=None, level_confidence=None)
    s = simulate_session(bank, 0.0, seed=1, config=fixed)
    assert s.n_administered == 17
    assert s.stop_reason is StopReason.MAX_LENGTH
    assert s.finished and s.next_item() is None


def test_bank_exhausted_and_area_limits() -> None:
    bank = make_bank(n_areas=1, comps_per_area=1, items_per_comp=8)
    cfg = CATConfig(max_length=20, se_target=None, level_confidence=None)
    s = simulate_session(bank, 0.0, seed=1, config=cfg, exclude=["q0000", "q0001"])
    assert s.stop_reason is StopReason.BANK_EXHAUSTED
    assert s.n_administered == 6
    bank = make_bank(n_areas=2, comps_per_area=1, items_per_comp=20)
    bp = Blueprint.balanced(bank, max_per_area=4)
    cfg = CATConfig(max_length=20, min_length=0, se_target=0.05, level_confidence=None)
    s = simulate_session(bank, 0.0, seed=1, config=cfg, blueprint=bp)
    assert s.stop_reason is StopReason.LIMITS
    assert s.n_administered == 8


# --- estimates and report -------------------------------------------------------------------


def test_estimates_track_true_ability_and_report_competences() -> None:
    bank = make_bank(n_areas=2, comps_per_area=3, items_per_comp=40, guessing=True)
    cfg = CATConfig(max_length=30, se_target=None, level_confidence=None)
    bp = Blueprint.balanced(bank, min_per_area=10)
    rng = np.random.default_rng(4)
    true: list[float] = []
    est: list[float] = []
    for s in range(60):
        theta = rng.normal(size=2)
        r = simulate_session(bank, theta, seed=s, config=cfg, blueprint=bp).result()
        true.extend(theta)
        est.extend(a.theta for a in r.areas)
        assert all(0 < a.se < 1 for a in r.areas)
        assert all(abs(sum(a.level_probabilities) - 1) < 1e-9 for a in r.areas)
        assert len(r.competences) == 6
        for c in r.competences:
            assert c.source == ("items" if c.n_items else "area")
            assert 1 <= c.level <= 4
    assert np.corrcoef(true, est)[0, 1] > 0.85
    # JSON-able report
    json.dumps(r.to_dict())


def test_untouched_competence_inherits_area_level() -> None:
    bank = make_bank(n_areas=1, comps_per_area=2, items_per_comp=20)
    bp = Blueprint(area_min=(0,), area_max=(10,), competence_min=(0, 0), competence_max=(10, 0))
    cfg = CATConfig(max_length=10, se_target=None, level_confidence=None)
    r = simulate_session(bank, 1.0, seed=1, config=cfg, blueprint=bp).result()
    by_code = {c.code: c for c in r.competences}
    assert by_code["1.1"].source == "items" and by_code["1.1"].n_items == 10
    assert by_code["1.2"].source == "area" and by_code["1.2"].level == r.areas[0].level


def test_blueprint_from_proportions_and_dict_round_trip() -> None:
    bank = make_bank()
    bp = Blueprint.from_proportions(bank, {"1": 0.5, "2": 0.25, "3": 0.25}, length=12)
    assert bp.area_min == (5, 2, 2) and bp.area_max == (7, 4, 4)
    assert Blueprint.from_dict(bank, json.loads(json.dumps(bp.to_dict(bank)))) == bp
    cfg = CATConfig(max_length=12, min_length=12, se_target=None, level_confidence=None)
    s = simulate_session(bank, 0.0, seed=2, config=cfg, blueprint=bp)
    per_area = np.bincount(bank.area[[bank.index_of[i] for i in s.administered_ids]])
    assert np.all(per_area >= bp.area_min) and np.all(per_area <= bp.area_max)
    with pytest.raises(ValueError, match="missing"):
        Blueprint.from_proportions(bank, {"1": 1.0}, length=12)
