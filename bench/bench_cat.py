"""Benchmark of the adaptive test engine against catsim.

Run from the repository root::

    python -m bench.bench_cat            # full run (a few minutes)
    python -m bench.bench_cat --quick    # smoke run (seconds)

(a) Time of one adaptive step (select the next item + update the estimate after the
    answer) on a 5,000-item 3PL bank with six area scales, content balancing and
    Sympson-Hetter exposure control on, against catsim's ``MaxInfoSelector`` plus its
    ``NumericalSearchEstimator`` on the same bank.
(b) Efficiency on a 500-item 2PL bank (a ~ U(0.8, 2.0), b ~ N(0, 1)), theta ~ N(0, 1):
    mean number of items to reach SE <= 0.3, both engines stopped by the *same* rule,
    computed by the same code from the items given and the answers: once with the
    posterior SD (EAP, N(0, 1) prior, the engine's 61-point grid) and once with the
    information SE at the engine's own estimate (``1 / sqrt(I(theta_hat))``, catsim's
    ``MinErrorStopper`` definition). Ours plain (maximum information, no constraints:
    the same work as catsim) and with exposure <= 0.25 and a competence blueprint;
    wall and CPU time of each engine's own work (selection and update). Then the length
    of the best fixed form from the same bank with the same mean SE, and classification
    accuracy into the four levels against test length.

Results go to ``bench/results/cat.json`` and ``bench/results/cat.md`` (a quick run only
prints them unless ``--write`` is given).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.machine import cpu_model
from hocvu.psychometrics.cat import (
    AdaptiveSession,
    Blueprint,
    CATConfig,
    ItemBank,
    calibrate_exposure,
    simulate_session,
)
from hocvu.psychometrics.classification import DEFAULT_CUTS, level_of
from hocvu.psychometrics.irt import information, log_prob

RESULTS = Path(__file__).resolve().parent / "results"

# Six areas with 24 competences in all (3 + 6 + 4 + 4 + 4 + 3).
COMPETENCES = [
    f"{area}.{k}"
    for area, n in ((1, 3), (2, 6), (3, 4), (4, 4), (5, 4), (6, 3))
    for k in range(1, n + 1)
]


def machine_info() -> dict[str, Any]:
    cpu = cpu_model()
    import catsim

    try:
        from importlib.metadata import version

        catsim_version = version("catsim")
    except Exception:
        catsim_version = getattr(catsim, "__version__", "unknown")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "catsim": catsim_version,
    }


def big_bank(seed: int = 1, n: int = 5000) -> ItemBank:
    rng = np.random.default_rng(seed)
    comp = [COMPETENCES[i % len(COMPETENCES)] for i in range(n)]
    return ItemBank.create(
        [f"i{i:05d}" for i in range(n)],
        rng.uniform(0.8, 2.0, n),
        rng.normal(0.0, 1.0, n),
        rng.uniform(0.0, 0.25, n),
        comp,
        rng.integers(1, 5, n),
    )


def pct(x: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(x), q))


# ---------------------------------------------------------------------------------------
# (a) step time
# ---------------------------------------------------------------------------------------


def bench_step(quick: bool) -> dict[str, Any]:
    from catsim.estimation import NumericalSearchEstimator
    from catsim.item_bank import ItemBank as CatsimBank
    from catsim.selection import MaxInfoSelector

    bank = big_bank()
    bp = Blueprint.balanced(
        bank, min_per_area=4, max_per_area=14, min_per_competence=1, max_per_competence=4
    )
    cfg = CATConfig(max_length=60, min_length=60, se_target=None, level_confidence=None)
    t0 = time.perf_counter()
    k = calibrate_exposure(
        bank,
        r_max=0.25,
        n_sessions=40 if quick else 300,
        n_iterations=2 if quick else 4,
        config=cfg,
        blueprint=bp,
        seed=1,
    )
    calib_s = time.perf_counter() - t0
    bank = bank.with_exposure(k)
    rng = np.random.default_rng(7)
    ours: list[float] = []
    ours_cpu: list[float] = []
    n_sessions = 20 if quick else 300
    for s in range(n_sessions):
        session = AdaptiveSession.start(bank, seed=s, config=cfg, blueprint=bp)
        theta = 0.8 * rng.standard_normal() + 0.6 * rng.standard_normal(bank.n_areas)
        while True:
            t, tc = time.perf_counter_ns(), time.process_time_ns()
            i = session.next_index()
            if i is None:
                break
            z = bank.a[i] * (theta[bank.area[i]] - bank.b[i])
            p = bank.c[i] + (1 - bank.c[i]) / (1 + math.exp(-z))
            session.answer_index(i, int(rng.random() < p))
            ours.append((time.perf_counter_ns() - t) / 1e3)
            ours_cpu.append((time.process_time_ns() - tc) / 1e3)
    # The same work as catsim: one scale over all 5,000 items, maximum information, no
    # blueprint and no exposure control.
    one = ItemBank.create(bank.ids, bank.a, bank.b, bank.c, ["1.1"] * bank.n_items, bank.level)
    plain = CATConfig(
        max_length=60, min_length=60, se_target=None, level_confidence=None, exposure_cap=1.0
    )
    same: list[float] = []
    same_cpu: list[float] = []
    for s in range(n_sessions // 3 or 1):
        session = AdaptiveSession.start(
            one, seed=s, config=plain, blueprint=Blueprint.balanced(one)
        )
        theta1 = float(rng.standard_normal())
        while True:
            t, tc = time.perf_counter_ns(), time.process_time_ns()
            i = session.next_index()
            if i is None:
                break
            z = one.a[i] * (theta1 - one.b[i])
            p = one.c[i] + (1 - one.c[i]) / (1 + math.exp(-z))
            session.answer_index(i, int(rng.random() < p))
            same.append((time.perf_counter_ns() - t) / 1e3)
            same_cpu.append((time.process_time_ns() - tc) / 1e3)

    cbank = CatsimBank(np.column_stack([bank.a, bank.b, bank.c, np.ones(bank.n_items)]))
    selector = MaxInfoSelector()
    estimator = NumericalSearchEstimator()
    theirs: list[float] = []
    theirs_cpu: list[float] = []
    for _s in range(3 if quick else 20):
        theta1 = float(rng.standard_normal())
        administered: list[int] = []
        responses: list[bool] = []
        est = 0.0
        for _step in range(10 if quick else 30):
            t, tc = time.perf_counter_ns(), time.process_time_ns()
            sel = selector.select(item_bank=cbank, administered_items=administered, est_theta=est)
            assert sel is not None
            i = int(sel)
            z = bank.a[i] * (theta1 - bank.b[i])
            p = bank.c[i] + (1 - bank.c[i]) / (1 + math.exp(-z))
            administered.append(i)
            responses.append(bool(rng.random() < p))
            est = float(
                estimator.estimate(
                    item_bank=cbank,
                    administered_items=administered,
                    response_vector=responses,
                    est_theta=est,
                )
            )
            theirs.append((time.perf_counter_ns() - t) / 1e3)
            theirs_cpu.append((time.process_time_ns() - tc) / 1e3)
    return {
        "bank_items": bank.n_items,
        "areas": bank.n_areas,
        "competences": bank.n_competences,
        "grid_points": int(bank.theta_grid.size),
        "exposure_calibration_s": round(calib_s, 2),
        "items_with_k_below_1": int((k < 1).sum()),
        "ours_steps": len(ours),
        "ours_median_us": round(pct(ours, 50), 1),
        "ours_p99_us": round(pct(ours, 99), 1),
        "catsim_steps": len(theirs),
        "catsim_median_us": round(pct(theirs, 50), 1),
        "catsim_p99_us": round(pct(theirs, 99), 1),
        "speedup_median": round(pct(theirs, 50) / pct(ours, 50), 1),
        "speedup_p99": round(pct(theirs, 99) / pct(ours, 99), 1),
        "ours_cpu_median_us": round(pct(ours_cpu, 50), 1),
        "ours_cpu_p99_us": round(pct(ours_cpu, 99), 1),
        "catsim_cpu_median_us": round(pct(theirs_cpu, 50), 1),
        "catsim_cpu_p99_us": round(pct(theirs_cpu, 99), 1),
        "same_work_steps": len(same),
        "same_work_median_us": round(pct(same, 50), 1),
        "same_work_p99_us": round(pct(same, 99), 1),
        "same_work_cpu_median_us": round(pct(same_cpu, 50), 1),
        "same_work_cpu_p99_us": round(pct(same_cpu, 99), 1),
        "speedup_same_work_median": round(pct(theirs, 50) / pct(same, 50), 1),
        "speedup_same_work_cpu_median": round(pct(theirs_cpu, 50) / pct(same_cpu, 50), 1),
    }


# ---------------------------------------------------------------------------------------
# (b) efficiency and classification
# ---------------------------------------------------------------------------------------


def small_bank(seed: int = 2, n: int = 500) -> ItemBank:
    rng = np.random.default_rng(seed)
    comp = [f"1.{1 + i % 5}" for i in range(n)]
    return ItemBank.create(
        [f"s{i:03d}" for i in range(n)],
        rng.uniform(0.8, 2.0, n),
        rng.normal(0.0, 1.0, n),
        np.zeros(n),
        comp,
        np.ones(n),
    )


def run_ours(
    bank: ItemBank,
    thetas: np.ndarray,
    cfg: CATConfig,
    bp: Blueprint,
    seed: int,
    counts_cap: bool = True,
) -> dict[str, Any]:
    counts = dict.fromkeys(bank.ids, 0)
    lengths, ses, errs, levels_ok = [], [], [], []
    violations = 0
    for s, theta in enumerate(thetas):
        session = simulate_session(
            bank,
            float(theta),
            seed=seed + s,
            config=cfg,
            blueprint=bp,
            exposure_counts=counts if counts_cap else None,
            exposure_sessions=s,
        )
        r = session.result()
        ids = session.administered_ids
        for i in ids:
            counts[i] += 1
        idx = [bank.index_of[i] for i in ids]
        per_comp = np.bincount(bank.competence[idx], minlength=bank.n_competences)
        if np.any(per_comp < bp.competence_min) or np.any(per_comp > bp.competence_max):
            violations += 1
        lengths.append(len(ids))
        ses.append(r.areas[0].se)
        errs.append(r.areas[0].theta - theta)
        levels_ok.append(r.areas[0].level == level_of(float(theta), cfg.cuts))
    n = len(thetas)
    return {
        "mean_items": float(np.mean(lengths)),
        "mean_se": float(np.mean(ses)),
        "share_se_met": float(np.mean(np.asarray(ses) <= 0.3)),
        "rmse": float(np.sqrt(np.mean(np.square(errs)))),
        "max_exposure": max(counts.values()) / n,
        "blueprint_violations": violations,
        "accuracy": float(np.mean(levels_ok)),
    }


# -- (b') the fair comparison: both engines stopped by the same rule -------------------


def _posterior(bank: ItemBank, items: list[int], responses: list[int]) -> tuple[float, float]:
    """EAP and posterior SD with a N(0, 1) prior on the engine's grid (what ours reports)."""
    grid = bank.theta_grid
    lp = -0.5 * grid**2
    for i, u in zip(items, responses, strict=True):
        lp = lp + (bank.logp_table[i] if u else bank.logq_table[i])
    w = np.exp(lp - lp.max())
    w /= w.sum()
    m = float(w @ grid)
    return m, math.sqrt(max(float(w @ grid**2) - m * m, 0.0))


def _info_se(bank: ItemBank, items: list[int], estimate: float) -> float:
    """``1 / sqrt(I(theta_hat))`` at an estimate (catsim's MinErrorStopper definition)."""
    info = float(information(estimate, bank.a[items], bank.b[items], bank.c[items]).sum())
    return 1.0 / math.sqrt(info) if info > 0 else math.inf


def fair_ours(
    bank: ItemBank,
    thetas: np.ndarray,
    rule: str,
    se: float,
    seed: int,
    *,
    constrained: bool,
    blueprint: Blueprint | None = None,
    max_items: int = 60,
) -> dict[str, Any]:
    """Our engine with its own stopping rules off, stopped by the shared rule."""
    cfg = CATConfig(
        max_length=max_items, min_length=1, se_target=None, level_confidence=None,
        exposure_cap=0.25 if constrained else 1.0,
    )  # fmt: skip
    bp = blueprint if constrained and blueprint is not None else Blueprint.balanced(bank)
    rng = np.random.default_rng([seed, 1])
    counts = dict.fromkeys(bank.ids, 0)
    lengths, sds, info_ses, errs, levels_ok = [], [], [], [], []
    violations = 0
    wall = cpu = 0
    for s, theta in enumerate(thetas):
        session = AdaptiveSession.start(
            bank, seed=seed + s, config=cfg, blueprint=bp,
            exposure_counts=counts if constrained else None, exposure_sessions=s,
        )  # fmt: skip
        items: list[int] = []
        responses: list[int] = []
        est = 0.0
        sd = info_se = math.inf
        while True:
            t, tc = time.perf_counter_ns(), time.process_time_ns()
            i = session.next_index()
            if i is None:
                break
            u = int(rng.random() < 1 / (1 + math.exp(-bank.a[i] * (theta - bank.b[i]))))
            session.answer_index(i, u)
            wall += time.perf_counter_ns() - t
            cpu += time.process_time_ns() - tc
            items.append(i)
            responses.append(u)
            est, sd = _posterior(bank, items, responses)  # the engine's own EAP
            info_se = _info_se(bank, items, est)
            if (sd if rule == "posterior" else info_se) <= se:
                break
        for i in items:
            counts[bank.ids[i]] += 1
        per_comp = np.bincount(bank.competence[items], minlength=bank.n_competences)
        if constrained and (
            np.any(per_comp < bp.competence_min) or np.any(per_comp > bp.competence_max)
        ):
            violations += 1
        lengths.append(len(items))
        sds.append(sd)
        info_ses.append(info_se)
        errs.append(est - theta)
        levels_ok.append(level_of(est) == level_of(float(theta)))
    n = len(thetas)
    return {
        "mean_items": float(np.mean(lengths)),
        "mean_posterior_sd": float(np.mean(sds)),
        "mean_info_se": float(np.mean(np.minimum(info_ses, 10.0))),
        "share_rule_met": float(
            np.mean(np.asarray(sds if rule == "posterior" else info_ses) <= se)
        ),
        "rmse": float(np.sqrt(np.mean(np.square(errs)))),
        "max_exposure": max(counts.values()) / n,
        "blueprint_violations": violations if constrained else None,
        "accuracy": float(np.mean(levels_ok)),
        "wall_s": wall / 1e9,
        "cpu_s": cpu / 1e9,
        "ms_per_test_cpu": cpu / 1e6 / n,
    }


def fair_catsim(
    bank: ItemBank, thetas: np.ndarray, rule: str, se: float, seed: int, max_items: int = 60
) -> dict[str, Any]:
    """catsim's MaxInfo + ML estimator, stopped by the shared rule."""
    from catsim.estimation import NumericalSearchEstimator
    from catsim.item_bank import ItemBank as CatsimBank
    from catsim.selection import MaxInfoSelector

    cbank = CatsimBank(np.column_stack([bank.a, bank.b, bank.c, np.ones(bank.n_items)]))
    selector = MaxInfoSelector()
    estimator = NumericalSearchEstimator()
    rng = np.random.default_rng([seed, 1])
    counts = np.zeros(bank.n_items)
    lengths, sds, info_ses, errs, levels_ok = [], [], [], [], []
    wall = cpu = 0
    for theta in thetas:
        items: list[int] = []
        responses: list[int] = []
        est = 0.0
        sd = info_se = math.inf
        while len(items) < max_items:
            t, tc = time.perf_counter_ns(), time.process_time_ns()
            sel = selector.select(item_bank=cbank, administered_items=items, est_theta=est)
            assert sel is not None
            i = int(sel)
            u = int(rng.random() < 1 / (1 + math.exp(-bank.a[i] * (theta - bank.b[i]))))
            items.append(i)
            responses.append(u)
            est = float(
                estimator.estimate(
                    item_bank=cbank, administered_items=items,
                    response_vector=[bool(x) for x in responses], est_theta=est,
                )
            )  # fmt: skip
            wall += time.perf_counter_ns() - t
            cpu += time.process_time_ns() - tc
            _, sd = _posterior(bank, items, responses)
            info_se = _info_se(bank, items, est)
            if (sd if rule == "posterior" else info_se) <= se:
                break
        counts[items] += 1
        lengths.append(len(items))
        sds.append(sd)
        info_ses.append(info_se)
        clipped = max(min(est, 4.0), -4.0)
        errs.append(clipped - theta)
        levels_ok.append(level_of(clipped) == level_of(float(theta)))
    n = len(thetas)
    return {
        "mean_items": float(np.mean(lengths)),
        "mean_posterior_sd": float(np.mean(sds)),
        "mean_info_se": float(np.mean(np.minimum(info_ses, 10.0))),
        "share_rule_met": float(
            np.mean(np.asarray(sds if rule == "posterior" else info_ses) <= se)
        ),
        "rmse": float(np.sqrt(np.mean(np.square(errs)))),
        "max_exposure": float(counts.max() / n),
        "blueprint_violations": None,
        "accuracy": float(np.mean(levels_ok)),
        "wall_s": wall / 1e9,
        "cpu_s": cpu / 1e9,
        "ms_per_test_cpu": cpu / 1e6 / n,
    }


def fixed_form_curves(
    bank: ItemBank, thetas: np.ndarray, max_len: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean posterior SD and level accuracy of the best fixed form of each length.

    The form of length n is the n items with the largest information averaged over
    N(0, 1); scoring is EAP with the same prior and grid as the adaptive engine.
    """
    grid = bank.theta_grid
    weights = np.exp(-0.5 * grid**2)
    weights /= weights.sum()
    avg_info = weights @ information(grid[:, None], bank.a, bank.b, bank.c)
    form = np.argsort(-avg_info)[:max_len]
    a, b, c = bank.a[form], bank.b[form], bank.c[form]
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-a[None, :] * (thetas[:, None] - b[None, :])))
    u = (rng.random(p.shape) < p).astype(float)
    lp, lq = log_prob(grid[None, :], a[:, None], b[:, None], c[:, None])  # (n, G)
    logpost = np.tile(-0.5 * grid**2, (len(thetas), 1))
    true_levels = np.array([level_of(float(t)) for t in thetas])
    cuts = np.asarray(DEFAULT_CUTS)
    mean_sd = np.empty(max_len)
    accuracy = np.empty(max_len)
    for n in range(max_len):
        logpost += u[:, [n]] * lp[n][None, :] + (1 - u[:, [n]]) * lq[n][None, :]
        w = np.exp(logpost - logpost.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        m = w @ grid
        sd = np.sqrt(np.maximum(w @ grid**2 - m**2, 0))
        mean_sd[n] = sd.mean()
        # Level probabilities by the grid cells on each side of the cuts.
        level_mass = np.stack(
            [
                w[:, (grid >= lo) & (grid < hi)].sum(axis=1)
                for lo, hi in zip([-np.inf, *cuts], [*cuts, np.inf], strict=True)
            ],
            axis=1,
        )
        accuracy[n] = np.mean(level_mass.argmax(axis=1) + 1 == true_levels)
    return mean_sd, accuracy


def bench_efficiency(quick: bool) -> dict[str, Any]:
    bank = small_bank()
    n_learners = 60 if quick else 1000
    thetas = np.random.default_rng(11).standard_normal(n_learners)
    bp = Blueprint.balanced(bank, min_per_competence=1, max_per_competence=8)
    cfg = CATConfig(max_length=60, min_length=1, se_target=0.3, level_confidence=None)
    t0 = time.perf_counter()
    k = calibrate_exposure(
        bank,
        r_max=0.25,
        n_sessions=100 if quick else 1000,
        n_iterations=3 if quick else 8,
        config=cfg,
        blueprint=bp,
        seed=5,
        true_thetas=lambda r, n: r.standard_normal(n),
    )
    calib_s = time.perf_counter() - t0
    controlled = bank.with_exposure(k)
    ours = run_ours(controlled, thetas, cfg, bp, seed=100_000)
    # The fair comparison: the same stopping rule, computed by the same code, for both.
    fair: dict[str, dict[str, Any]] = {}
    for rule in ("posterior", "information"):
        fair[rule] = {
            "ours_plain": fair_ours(bank, thetas, rule, 0.3, 100_000, constrained=False),
            "ours_constrained": fair_ours(
                controlled, thetas, rule, 0.3, 100_000, constrained=True, blueprint=bp
            ),
            "catsim": fair_catsim(bank, thetas, rule, 0.3, 100_000),
        }
        print(f"  fair comparison, {rule} SE: " + json.dumps(
            {k: round(v["mean_items"], 2) for k, v in fair[rule].items()}
        ), flush=True)  # fmt: skip

    mean_sd, fixed_acc = fixed_form_curves(bank, thetas, 60, seed=4)
    need = np.flatnonzero(mean_sd <= ours["mean_se"])
    fixed_equal = int(need[0]) + 1 if need.size else None
    need03 = np.flatnonzero(mean_sd <= 0.3)

    # Classification accuracy against test length (fixed-length CATs vs fixed forms).
    rows = []
    for length in (5, 10, 15, 20, 30, 40):
        lcfg = CATConfig(
            max_length=length, min_length=length, se_target=None, level_confidence=None
        )
        lbp = Blueprint.balanced(
            bank,
            min_per_competence=1 if length >= 5 else 0,
            max_per_competence=max(2, math.ceil(length * 0.3)),
        )
        res = run_ours(controlled, thetas, lcfg, lbp, seed=200_000 + length)
        rows.append(
            {
                "length": length,
                "cat_accuracy": res["accuracy"],
                "cat_mean_se": res["mean_se"],
                "fixed_form_accuracy": float(fixed_acc[length - 1]),
                "fixed_form_mean_se": float(mean_sd[length - 1]),
            }
        )
    conf_cfg = CATConfig(max_length=60, min_length=1, se_target=None, level_confidence=0.9)
    conf = run_ours(controlled, thetas, conf_cfg, bp, seed=300_000)
    return {
        "bank_items": bank.n_items,
        "learners": n_learners,
        "exposure_calibration_s": round(calib_s, 2),
        "ours": ours,
        "fair": fair,
        "fixed_form_items_for_ours_mean_se": fixed_equal,
        "fixed_form_items_for_mean_se_0_3": int(need03[0]) + 1 if need03.size else None,
        "classification_by_length": rows,
        "confidence_rule_0_9": conf,
    }


def to_markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    a = res["step"]
    b = res["efficiency"]

    lines = [
        "# Adaptive test engine benchmark",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}, numpy {m['numpy']}, "
        f"catsim {m['catsim']}. Mode: {'quick' if res['quick'] else 'full'}.",
        "Reproduce: `python -m bench.bench_cat` (add `--quick` for a smoke run).",
        "",
        "## (a) One adaptive step (select + update) on a 5,000-item bank",
        "",
        f"Bank: {a['bank_items']} 3PL items, {a['areas']} area scales, {a['competences']} "
        f"competences, {a['grid_points']}-point grid. Ours: blueprint (4-14 items per area, "
        "1-4 per competence) and Sympson-Hetter exposure control on "
        f"({a['items_with_k_below_1']} items with K < 1), 60-item tests. catsim: "
        "`MaxInfoSelector` + `NumericalSearchEstimator` (bounded), no constraints.",
        "",
        "| engine | steps timed | median wall (µs) | p99 wall (µs) | median CPU (µs) | p99 CPU (µs) |",
        "|---|---:|---:|---:|---:|---:|",
        f"| hocvu AdaptiveSession, 6 areas, blueprint + exposure control | {a['ours_steps']} | "
        f"{a['ours_median_us']} | {a['ours_p99_us']} | {a.get('ours_cpu_median_us', '-')} | "
        f"{a.get('ours_cpu_p99_us', '-')} |",
        f"| hocvu AdaptiveSession, one scale over all 5,000 items, no constraints (the same work "
        f"as catsim) | {a.get('same_work_steps', '-')} | {a.get('same_work_median_us', '-')} | "
        f"{a.get('same_work_p99_us', '-')} | {a.get('same_work_cpu_median_us', '-')} | "
        f"{a.get('same_work_cpu_p99_us', '-')} |",
        f"| catsim 0.21 | {a['catsim_steps']} | {a['catsim_median_us']} | {a['catsim_p99_us']} | "
        f"{a.get('catsim_cpu_median_us', '-')} | {a.get('catsim_cpu_p99_us', '-')} |",
        "",
        f"Speed-up at the median: {a['speedup_median']}× (ours with its constraints); "
        f"{a.get('speedup_same_work_median', '-')}× wall and "
        f"{a.get('speedup_same_work_cpu_median', '-')}× CPU for the same work. At p99: "
        f"{a['speedup_p99']}×.",
        "",
        "## (b) Efficiency: items to reach SE ≤ 0.3 (500-item 2PL bank, θ ~ N(0, 1))",
        "",
        f"{b['learners']} simulated learners, the same abilities for every engine; maximum "
        "60 items. Both engines are stopped by the same rule, computed by the same code from "
        "the items given and the answers, under each of two definitions of the standard "
        "error: the posterior SD (EAP with a N(0, 1) prior on the 61-point grid; what ours "
        "reports) and the information SE at the engine's own estimate, "
        "1/√I(θ̂) (catsim's `MinErrorStopper`; θ̂ is our EAP, catsim's ML estimate). "
        "Time is each engine's own work (selection and update), wall and CPU, over all "
        "learners. Blueprint of the constrained run: five competences, 1-8 items each.",
        "",
        "| stopping rule | engine | mean items | mean posterior SD | mean information SE | "
        "rule met | RMSE | level accuracy | max exposure | blueprint violations | wall s | "
        "CPU s | CPU ms / test |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {
        "ours_plain": "hocvu, maximum information, no constraints",
        "ours_constrained": "hocvu, exposure ≤ 0.25 + blueprint",
        "catsim": "catsim MaxInfo + ML",
    }
    rules = {"posterior": "posterior SD ≤ 0.3", "information": "1/√I(θ̂) ≤ 0.3"}
    for rule, runs in b["fair"].items():
        for key, r in runs.items():
            lines.append(
                f"| {rules[rule]} | {names[key]} | {r['mean_items']:.2f} | "
                f"{r['mean_posterior_sd']:.3f} | {r['mean_info_se']:.3f} | "
                f"{r['share_rule_met']:.3f} | {r['rmse']:.3f} | {r['accuracy']:.3f} | "
                f"{r['max_exposure']:.3f} | "
                f"{'-' if r['blueprint_violations'] is None else r['blueprint_violations']} | "
                f"{r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['ms_per_test_cpu']:.2f} |"
            )
    post, info = b["fair"]["posterior"], b["fair"]["information"]
    lines += [
        "",
        "Same rule, same work: with the posterior SD both plain engines need "
        f"{post['ours_plain']['mean_items']:.2f} (ours) and {post['catsim']['mean_items']:.2f} "
        "(catsim) items; with the information SE "
        f"{info['ours_plain']['mean_items']:.2f} and {info['catsim']['mean_items']:.2f}. "
        "Before, this table stopped ours on the posterior SD (which counts the N(0, 1) prior "
        "as information) and catsim on its information SE: that mixed the two definitions "
        "into the gap. Under one rule the gap that remains is the engines' own "
        f"({post['catsim']['mean_items'] - post['ours_plain']['mean_items']:.2f} and "
        f"{info['catsim']['mean_items'] - info['ours_plain']['mean_items']:.2f} items: the "
        "EAP estimate places early items better than maximum likelihood, which is unbounded "
        "until answers are mixed). Ours with exposure control and the blueprint needs "
        f"{post['ours_constrained']['mean_items'] - post['ours_plain']['mean_items']:.2f} "
        "more items than ours without. CPU for a whole test: ours "
        f"{post['ours_plain']['ms_per_test_cpu']:.2f} ms, catsim "
        f"{post['catsim']['ms_per_test_cpu']:.2f} ms.",
        "",
    ]
    lines += [
        "Best fixed form from the same bank (the items most informative on average over "
        "N(0, 1), EAP scoring): "
        f"{b['fixed_form_items_for_ours_mean_se']} items give the same mean SE as our CAT; "
        f"{b['fixed_form_items_for_mean_se_0_3']} items give a mean SE of 0.3.",
        "",
        "### Level classification accuracy against test length (four levels, cuts "
        f"{list(DEFAULT_CUTS)})",
        "",
        "| items | CAT accuracy | CAT mean SE | fixed-form accuracy | fixed-form mean SE |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in b["classification_by_length"]:
        lines.append(
            f"| {r['length']} | {r['cat_accuracy']:.3f} | {r['cat_mean_se']:.3f} | "
            f"{r['fixed_form_accuracy']:.3f} | {r['fixed_form_mean_se']:.3f} |"
        )
    cr = b["confidence_rule_0_9"]
    lines += [
        "",
        "Variable length with the posterior-probability rule (stop when one level has "
        f"probability ≥ 0.90, max 60): mean {cr['mean_items']:.2f} items, accuracy "
        f"{cr['accuracy']:.3f}, max exposure {cr['max_exposure']:.3f}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument(
        "--write", action="store_true", help="write results files even with --quick"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    res: dict[str, Any] = {"quick": args.quick, "machine": machine_info()}
    res["step"] = bench_step(args.quick)
    print(json.dumps(res["step"], indent=1))
    res["efficiency"] = bench_efficiency(args.quick)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    md = to_markdown(res)
    if not args.quick or args.write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "cat.json").write_text(json.dumps(res, indent=1) + "\n")
        (RESULTS / "cat.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
