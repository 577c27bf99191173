"""Placement against the role's targets (decision 0011): is each competence classified
right, and how long does it take?

Simulated learners of the role profiles with head counts in ``bench_study_time`` (role
means and the age effect; competences correlated as in ``bench_placement``:
general + area + competence parts) take the platform's placement on the shipped
*learning* pool with its provisional parameters: ``TargetSession`` with
``assessment.bank.TARGETS`` (at most 30 questions, decisions at 90 %), the cuts of the
recorded standard (decision 0010) at each competence's target, exposure counts fed from
session to session as ``start_placement`` does. The prior is the platform's: a first
cohort is placed with the documented default prior, then ``fit_role_priors`` (what
``manage.py fit_placement_prior`` runs) gives each role its empirical-Bayes prior, and
the measured cohort is placed with those.

Each competence placement leaves undecided gets one short check, as the path asks: 5
learning items of the competence at the target level, not seen in the placement (chosen
at random, as ``start_practice`` does), and the platform's settling rule
(``pass_mastery_check``: the placement posterior updated with the check's answers, at
target when that is more likely than not). The goal: at least 90 % of competences
classified right against the target after placement and those checks, in at most 15
minutes of placement on average.

Time per question: 30 s (the shipped items have 71 syllables of stem and options on
average: about 24 s of reading at the platform's 180 syllables a minute, plus the time
to answer); the text-based estimate of the questions actually shown is reported beside.

Today's placement (the five-band engine with at most 60 questions, decision 0005) is run
on the same learners and judged on the same question: "at target" when its stored level
(``level_reached``, P >= 0.7) reaches the target, with the bottom-of-band cuts it used and
with the standard's cuts.

Run from the repository root::

    python -m bench.bench_targets            # full run (several minutes)
    python -m bench.bench_targets --quick    # smoke run (prints only)
"""

from __future__ import annotations

import json
import math
import re
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_placement import (
    CURRICULUM,
    Learners,
    Truth,
    django_setup,
    make_bank,
    placement_blueprint,
    run_sessions,
    shipped_items,
    synthetic_bank,
)
from bench.machine import describe as machine

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SECONDS_PER_QUESTION = 30.0
READING_SYLLABLES_PER_MINUTE = 180.0
ANSWER_SECONDS = 10.0
TYPED_EXTRA_SECONDS = 10.0
CHECK_SIZE = 5
GOAL_ACCURACY = 0.90
GOAL_MINUTES = 15.0


# ---------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------


def item_seconds(bank: Any) -> np.ndarray:
    """Estimated seconds per item from its text: reading at 180 syllables a minute plus
    10 s to answer (20 s when the answer is typed)."""
    seconds: dict[str, float] = {}
    for path in sorted(CURRICULUM.glob("area-*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        counters: dict[tuple[str, int], int] = {}
        for raw in data.get("items", []):
            comp, level = str(raw["competence"]), int(raw["level"])
            number = counters.get((comp, level), 0) + 1
            counters[(comp, level)] = number
            text = " ".join(
                [str(raw.get("stem", ""))] + [str(o) for o in raw.get("options", []) or []]
            )
            syllables = len(re.findall(r"\w+", text))
            extra = TYPED_EXTRA_SECONDS if raw["kind"] in ("numeric", "short_text") else 0.0
            seconds[f"Q-{comp}-{level}-{number:02d}"] = (
                60.0 * syllables / READING_SYLLABLES_PER_MINUTE + ANSWER_SECONDS + extra
            )
    mean = float(np.mean(list(seconds.values())))
    return np.array([seconds.get(code, mean) for code in bank.ids])


def targets_by_role(bank: Any) -> dict[str, np.ndarray]:
    from bench.bench_study_time import role_targets

    return role_targets(tuple(bank.competence_codes))


def population(rng: np.random.Generator, n: int, bank: Any) -> dict[str, Any]:
    from bench.bench_study_time import population as draw

    return draw(rng, n, bank, floor=max(1, n // 20))


# ---------------------------------------------------------------------------------------
# Placement against targets, then one short check per undecided competence
# ---------------------------------------------------------------------------------------


def place(
    bank: Any,
    truth: Truth,
    theta: np.ndarray,
    roles: np.ndarray,
    targets: dict[str, np.ndarray],
    priors: dict[str, Any],
    cuts: dict[int, float],
    config: Any,
    seed: int,
    seconds: np.ndarray,
    check_rule: str = "posterior",
) -> dict[str, Any]:
    from hocvu.psychometrics.irt import information
    from hocvu.psychometrics.targeting import TargetSession, settle_with_answers

    rng = np.random.default_rng([seed, 11])
    n, k_n = theta.shape
    codes = bank.competence_codes
    by_cell: dict[tuple[int, int], np.ndarray] = {}
    for k in range(k_n):
        for level in (1, 2, 3, 4):
            by_cell[(k, level)] = np.flatnonzero((bank.competence == k) & (bank.level == level))
    counts: dict[str, int] = {}
    n_items = np.zeros(n, dtype=np.int64)
    secs = np.zeros(n)
    placed_ok = np.zeros((n, k_n), dtype=bool)
    final_ok = np.zeros((n, k_n), dtype=bool)
    decided = np.zeros((n, k_n), dtype=bool)
    decided_ok = np.zeros((n, k_n), dtype=bool)
    truth_at = np.zeros((n, k_n), dtype=bool)
    final_at = np.zeros((n, k_n), dtype=bool)
    checks = np.zeros(n, dtype=np.int64)
    stops: Counter[str] = Counter()
    a_t, b_t, c_t = truth.a, truth.b, truth.c
    wall = cpu = 0.0
    for s in range(n):
        role = str(roles[s])
        tg = targets[role]
        tmap = {code: int(t) for code, t in zip(codes, tg, strict=True)}
        t0, c0 = time.perf_counter(), time.process_time()
        session = TargetSession.start(
            bank, priors.get(role, priors[""]), tmap, cuts, seed=seed * 1_000_003 + s,
            config=config, exposure_counts=counts, exposure_sessions=s,
        )  # fmt: skip
        while (i := session.next_index()) is not None:
            k = int(bank.competence[i])
            z = a_t[i] * (theta[s, k] - b_t[i])
            p = c_t[i] + (1.0 - c_t[i]) / (1.0 + math.exp(-max(min(z, 500.0), -500.0)))
            session.answer_index(i, int(rng.random() < p))
        result = session.result()
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        shown = [bank.index_of[x] for x in result.item_ids]
        for code in result.item_ids:
            counts[code] = counts.get(code, 0) + 1
        n_items[s] = result.n_items
        secs[s] = float(seconds[shown].sum())
        stops[str(result.stop_reason)] += 1
        seen = set(shown)
        for d in result.competences:
            k = d.index
            if d.target == 0:
                truth_at[s, k] = final_at[s, k] = True
                placed_ok[s, k] = final_ok[s, k] = decided[s, k] = decided_ok[s, k] = True
                continue
            is_at = bool(theta[s, k] >= d.cut)
            truth_at[s, k] = is_at
            guess = d.p_target >= 0.5
            placed_ok[s, k] = guess == is_at
            if d.decided:
                decided[s, k] = True
                decided_ok[s, k] = (d.decision == "at_target") == is_at
                final_at[s, k] = d.decision == "at_target"
                continue
            # One short check: the platform's choice (random target-level items not
            # seen in the placement) and its settling rule.
            checks[s] += 1
            if check_rule == "at_cut":
                # The competence's unseen items most informative at the cut, any level.
                pool = [j for j in np.flatnonzero(bank.competence == k).tolist() if j not in seen]
                info = information(d.cut, bank.a[pool], bank.b[pool], bank.c[pool])
                items = np.array(pool)[np.argsort(-info, kind="stable")[:CHECK_SIZE]]
            else:
                pool = [j for j in by_cell[(k, d.target)].tolist() if j not in seen]
                if not pool:
                    final_at[s, k] = guess
                    continue
                items = rng.choice(np.array(pool), size=min(CHECK_SIZE, len(pool)), replace=False)
            z = a_t[items] * (theta[s, k] - b_t[items])
            p = c_t[items] + (1 - c_t[items]) / (1 + np.exp(-z))
            u = (rng.random(items.size) < p).astype(int)
            if check_rule in ("posterior", "at_cut"):
                _, _, p_after = settle_with_answers(
                    d.theta, max(d.se, 0.05), d.cut,
                    [(int(x), float(bank.a[j]), float(bank.b[j]), float(bank.c[j]))
                     for x, j in zip(u, items, strict=True)],
                )  # fmt: skip
                final_at[s, k] = p_after >= 0.5
            else:  # the plain 80 % rule
                final_at[s, k] = u.mean() >= 0.8
    final_ok = final_at == truth_at
    targeted = np.stack([targets[str(r)] > 0 for r in roles])
    minutes = n_items * SECONDS_PER_QUESTION / 60.0
    rates = np.array(list(counts.values()), dtype=float) / n if counts else np.zeros(1)
    per_role = {}
    for role in sorted(set(roles.tolist())):
        mask = roles == role
        t = targeted[mask]
        per_role[role] = {
            "learners": int(mask.sum()),
            "share_at_target": float(truth_at[mask][t].mean()),
            "mean_items": float(n_items[mask].mean()),
            "accuracy_final": float(final_ok[mask][t].mean()),
            "undecided_per_learner": float(checks[mask].mean()),
        }
    return {
        "learners": n,
        "mean_items": float(n_items.mean()),
        "p95_items": float(np.percentile(n_items, 95)),
        "minutes_mean": float(minutes.mean()),
        "minutes_text_mean": float(secs.mean() / 60.0),
        "share_at_target": float(truth_at[targeted].mean()),
        "accuracy_placement": float(placed_ok[targeted].mean()),
        "decided_share": float(decided[targeted].mean()),
        "decided_accuracy": float(decided_ok[decided & targeted].mean()),
        "checks_per_learner": float(checks.mean()),
        "accuracy_final": float(final_ok[targeted].mean()),
        "false_at_target": float((final_at & ~truth_at)[targeted].mean()),
        "false_below": float((~final_at & truth_at)[targeted].mean()),
        "stop_reasons": dict(stops),
        "max_exposure": float(rates.max()),
        "ms_per_session_wall": 1000.0 * wall / n,
        "ms_per_session_cpu": 1000.0 * cpu / n,
        "per_role": per_role,
    }


def fitted_priors(
    bank: Any,
    truth: Truth,
    rng: np.random.Generator,
    n: int,
    targets: dict[str, np.ndarray],
    cuts: dict[int, float],
    config: Any,
    seconds: np.ndarray,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Place a first cohort with the default prior and fit the role priors from it."""
    from hocvu.psychometrics.targeting import CompetencePrior, TargetSession, fit_role_priors

    default = CompetencePrior.for_bank(bank)
    pop = population(rng, n, bank)
    theta, roles = pop["learners"].competence, pop["role"]
    means, covs = [], []
    run_rng = np.random.default_rng([7, 7])
    for s in range(n):
        tmap = {
            c: int(t) for c, t in zip(bank.competence_codes, targets[str(roles[s])], strict=True)
        }
        session = TargetSession.start(bank, default, tmap, cuts, seed=900_000 + s, config=config)
        while (i := session.next_index()) is not None:
            k = int(bank.competence[i])
            z = truth.a[i] * (theta[s, k] - truth.b[i])
            p = truth.c[i] + (1 - truth.c[i]) / (1 + math.exp(-z))
            session.answer_index(i, int(run_rng.random() < p))
        r = session.result()
        means.append([c.theta for c in r.competences])
        covs.append(r.covariance)
    areas = [bank.area_codes[int(a)] for a in bank.competence_area]
    pooled, by_role = fit_role_priors(
        bank.competence_codes, areas, [str(r) for r in roles], means, covs,
        all_roles=list(targets),
    )  # fmt: skip
    by_role[""] = pooled
    info = {
        "cohort": n,
        "general": pooled.general,
        "area_mean": float(pooled.area.mean()),
        "specific_mean": float(pooled.specific.mean()),
        "role_means": {r: float(p.mean.mean()) for r, p in by_role.items() if r},
    }
    return by_role, info


# ---------------------------------------------------------------------------------------
# Today's placement on the same question
# ---------------------------------------------------------------------------------------


def today(
    bank: Any,
    truth: Truth,
    learners: Learners,
    roles: np.ndarray,
    targets: dict[str, np.ndarray],
    std_cuts: tuple[float, ...],
    seed: int,
) -> dict[str, Any]:
    from scipy.special import ndtr

    from hocvu.psychometrics.cat import CATConfig
    from hocvu.psychometrics.classification import LEVEL_CUTS

    cfg = CATConfig(
        max_length=60, min_length=24, se_target=0.35, level_confidence=0.9,
        cuts=LEVEL_CUTS, exposure_cap=0.25,
    )  # fmt: skip
    t0, c0 = time.perf_counter(), time.process_time()
    run = run_sessions(
        bank, learners, truth, config=cfg, blueprint=placement_blueprint(bank), seed=seed
    )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    target = np.stack([targets[str(r)] for r in roles])
    truth_at = learners.competence >= np.asarray([0.0, *std_cuts])[target]
    targeted = target > 0

    def stored(cuts: tuple[float, ...]) -> np.ndarray:
        level = np.zeros(run.comp_theta.shape, dtype=np.int64)
        for number, cut in enumerate(cuts, start=1):
            reached = ndtr((run.comp_theta - cut) / run.comp_se) >= 0.7
            level = np.where(reached, number, level)
        return level

    out: dict[str, Any] = {
        "learners": len(roles),
        "mean_items": float(run.n_items.mean()),
        "minutes_mean": float(run.n_items.mean() * SECONDS_PER_QUESTION / 60.0),
        "ms_per_session_wall": 1000.0 * wall / len(roles),
        "ms_per_session_cpu": 1000.0 * cpu / len(roles),
    }
    for name, cuts in (("old_cuts", tuple(LEVEL_CUTS)), ("standard_cuts", std_cuts)):
        at = stored(cuts) >= target
        out[name] = {
            "accuracy": float((at == truth_at)[targeted].mean()),
            "false_at_target": float((at & ~truth_at)[targeted].mean()),
            "false_below": float((~at & truth_at)[targeted].mean()),
        }
    return out


# ---------------------------------------------------------------------------------------
# The ceiling: what no placement can beat on this bank
# ---------------------------------------------------------------------------------------


def ceiling(
    bank: Any, learners: Learners, roles: np.ndarray, targets: dict[str, np.ndarray],
    cuts: dict[int, float], seed: int,
) -> dict[str, float]:  # fmt: skip
    """Accuracy if placement had measured every *area* exactly (each competence is then
    known up to its own part, SD 0.5), before and after the same 5-question check."""
    from scipy.special import ndtr

    from hocvu.psychometrics.targeting import settle_with_answers

    rng = np.random.default_rng([seed, 13])
    target = np.stack([targets[str(r)] for r in roles])
    cut = np.asarray([0.0, *[cuts[lv] for lv in (1, 2, 3, 4)]])[target]
    area = learners.area[:, np.asarray(bank.competence_area)]
    truth = learners.competence >= cut
    targeted = target > 0
    sd = 0.5
    p = ndtr((area - cut) / sd)
    before = float(((p >= 0.5) == truth)[targeted].mean())
    ok = total = 0
    n = min(len(roles), 600)
    for s in range(n):
        for k in np.flatnonzero(targeted[s]):
            pool = np.flatnonzero((bank.competence == k) & (bank.level == target[s, k]))
            items = rng.choice(pool, size=min(CHECK_SIZE, pool.size), replace=False)
            z = bank.a[items] * (learners.competence[s, k] - bank.b[items])
            pp = bank.c[items] + (1 - bank.c[items]) / (1 + np.exp(-z))
            u = (rng.random(items.size) < pp).astype(int)
            _, _, after = settle_with_answers(
                float(area[s, k]), sd, float(cut[s, k]),
                [(int(x), float(bank.a[j]), float(bank.b[j]), float(bank.c[j]))
                 for x, j in zip(u, items, strict=True)],
            )  # fmt: skip
            ok += (after >= 0.5) == truth[s, k]
            total += 1
    return {"areas_known": before, "areas_known_plus_check": ok / total}


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def to_markdown(res: dict[str, Any]) -> str:
    m = res["main"]
    t = res["today"]
    goal_met = m["accuracy_final"] >= GOAL_ACCURACY and m["minutes_mean"] <= GOAL_MINUTES
    lines = [
        "# Placement against the role's targets",
        "",
        f"Machine: {res['machine']}. Mode: {'quick' if res['quick'] else 'full'}; run took "
        f"{res['seconds']:.0f} s wall, {res['cpu_seconds']:.0f} s CPU. Reproduce: "
        "`python -m bench.bench_targets` (add `--quick` for a smoke run).",
        "",
        f"Bank: the shipped learning pool, {res['bank_items']} items with provisional "
        "parameters (a = 1). Learners: the role profiles with head counts of the study-time "
        "benchmark (role means, age), competences correlated (general + area + own part, "
        "SD 0.5). Cuts: the recorded standard at each competence's target (decision 0010). "
        f"Prior: fitted per role (empirical Bayes) from a first cohort of "
        f"{res['prior']['cohort']} placed with the default prior. Minutes at "
        f"{SECONDS_PER_QUESTION:.0f} s a question. Goal: ≥ 90 % of competences right "
        "against the target after placement and at most one short check per undecided "
        "competence, ≤ 15 minutes of placement on average.",
        "",
        "| placement | learners | questions (mean / p95) | minutes (30 s; from the text) "
        "| right after placement | decided at 90 % (right) | short checks per learner | "
        '**right after the checks** | wrongly "at target" | wrongly "below" |',
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| against targets (ours) | {m['learners']} | {m['mean_items']:.1f} / "
        f"{m['p95_items']:.0f} | {m['minutes_mean']:.1f}; {m['minutes_text_mean']:.1f} | "
        f"{pct(m['accuracy_placement'])} | {pct(m['decided_share'])} "
        f"({pct(m['decided_accuracy'])}) | {m['checks_per_learner']:.1f} | "
        f"**{pct(m['accuracy_final'])}** | {pct(m['false_at_target'])} | "
        f"{pct(m['false_below'])} |",
        f"| today: five bands, at most 60 questions, bottom-of-band cuts | {t['learners']} | "
        f"{t['mean_items']:.1f} / 60 | {t['minutes_mean']:.1f} | "
        f"{pct(t['old_cuts']['accuracy'])} | – | – | – | "
        f"{pct(t['old_cuts']['false_at_target'])} | {pct(t['old_cuts']['false_below'])} |",
        f"| today's engine, levels read at the standard's cuts | {t['learners']} | "
        f"{t['mean_items']:.1f} / 60 | {t['minutes_mean']:.1f} | "
        f"{pct(t['standard_cuts']['accuracy'])} | – | – | – | "
        f"{pct(t['standard_cuts']['false_at_target'])} | "
        f"{pct(t['standard_cuts']['false_below'])} |",
        "",
        f"**Goal {'met' if goal_met else 'not met'}**: {pct(m['accuracy_final'])} right "
        f"against the target (goal 90 %) in {m['minutes_mean']:.1f} minutes "
        f"(goal 15). Today's placement, on the five-band question it was built for: "
        f"{res['today_five_bands']}.",
        "",
        f"Stop reasons: {', '.join(f'{k} {v}' for k, v in sorted(m['stop_reasons'].items()))}. "
        f"Max item exposure {m['max_exposure']:.3f} (cap 0.25). Engine time per whole "
        f"placement: {m['ms_per_session_wall']:.1f} ms wall, {m['ms_per_session_cpu']:.1f} ms "
        f"CPU (today's engine: {t['ms_per_session_wall']:.1f} / {t['ms_per_session_cpu']:.1f} "
        "ms for up to 60 questions). Fitted prior: general variance "
        f"{res['prior']['general']:.2f}, area {res['prior']['area_mean']:.2f}, competence "
        f"{res['prior']['specific_mean']:.2f}; role means "
        + ", ".join(f"{r} {v:+.2f}" for r, v in sorted(res["prior"]["role_means"].items()))
        + ".",
        "",
        "By role:",
        "",
        "| role | learners | at target (truth) | questions | short checks | right after the "
        "checks |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for role, r in m["per_role"].items():
        lines.append(
            f"| {role} | {r['learners']} | {pct(r['share_at_target'])} | {r['mean_items']:.1f} "
            f"| {r['undecided_per_learner']:.1f} | {pct(r['accuracy_final'])} |"
        )
    lines += [
        "",
        "What moves the figure (each row changes one thing; fewer learners):",
        "",
        "| variant | questions | minutes | right after placement | short checks | right "
        "after the checks |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for v in res["variants"]:
        r = v["result"]
        lines.append(
            f"| {v['label']} | {r['mean_items']:.1f} | {r['minutes_mean']:.1f} | "
            f"{pct(r['accuracy_placement'])} | {r['checks_per_learner']:.1f} | "
            f"{pct(r['accuracy_final'])} |"
        )
    c = res["ceiling"]
    by_label = {v["label"]: v["result"] for v in res["variants"]}
    cal = next((r for label, r in by_label.items() if label.startswith("calibrated bank of")), None)
    cal_cut = by_label.get("calibrated bank, checks at the cut")
    at_cut = by_label.get("checks of the 5 items most informative at the cut")
    lines += [
        "",
        "Reading:",
        "",
        "- Ceiling on this bank: had placement measured every *area* exactly, a competence "
        f"would still be right only {pct(c['areas_known'])} of the time (its own part, SD 0.5, "
        f"is unknown), and {pct(c['areas_known_plus_check'])} after the same 5-question check. "
        "Questions of discrimination 1 with guessing carry little information each (at most "
        "0.25 at the cut), so neither 30 placement questions nor a 5-question check can pin "
        "a competence that lies near its cut; the placement itself is within "
        f"{100 * (c['areas_known'] - m['accuracy_placement']):.1f} points of that ceiling.",
    ]
    if cal is not None:
        lines.append(
            "- What reaches the goal is the bank: on a calibrated bank of the same size "
            f"(discriminating items) the same placement and checks are right "
            f"{pct(cal['accuracy_final'])} of the time in {cal['minutes_mean']:.1f} minutes"
            + (
                f", {pct(cal_cut['accuracy_final'])} when each check asks the questions most "
                "informative at the cut"
                if cal_cut
                else ""
            )
            + ". Calibration from real answers (pilot questions, the recalibration job) is "
            "the way there; `manage.py set_standard --check` then says whether the standard "
            "must be set again."
        )
    if at_cut is not None:
        lines.append(
            "- On the shipped bank, checks drawn at the cut instead of at random from the "
            f"target level give {pct(at_cut['accuracy_final'])} (platform today: random "
            "target-level questions, rotating); the plain 80 % rule instead of the posterior "
            f"gives {pct(by_label['checks by the plain 80 % rule']['accuracy_final'])}."
        )
    lines += [
        f"- Errors lean to studying: {pct(m['false_at_target'])} of competences are wrongly "
        f"called at target (a gap skipped) against {pct(m['false_below'])} wrongly below (a "
        "few lessons not needed). Today's placement with its bottom-of-band cuts called "
        f"{pct(t['old_cuts']['false_at_target'])} at target that are not.",
        f"- Time: {m['mean_items']:.1f} questions on average is {m['minutes_mean']:.1f} minutes "
        f"at 30 s a question; estimated from the text of the questions actually shown "
        f"(180 syllables a minute, 10 s to answer, 10 s more to type) it is "
        f"{m['minutes_text_mean']:.1f} minutes, since the engine prefers typed-answer "
        "questions (no guessing, more information) which take longer.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(argv or [])
    quick = "--quick" in argv
    write = not quick or "--write" in argv
    t0, c0 = time.perf_counter(), time.process_time()
    django_setup()
    from dataclasses import replace

    from hocvu.assessment.bank import TARGETS
    from hocvu.content.standards import in_force
    from hocvu.psychometrics.targeting import CompetencePrior

    rows = shipped_items()
    bank = make_bank(rows)
    truth = Truth(a=np.asarray(bank.a), b=np.asarray(bank.b), c=np.asarray(bank.c))
    seconds = item_seconds(bank)
    targets = targets_by_role(bank)
    std = in_force()
    cuts = {lv: std.cut(lv) for lv in (1, 2, 3, 4)}
    n_main, n_prior, n_var = (150, 150, 80) if quick else (1500, 1000, 500)
    rng = np.random.default_rng(2026)
    print(f"  fitting role priors from {n_prior} placements", flush=True)
    priors, prior_info = fitted_priors(bank, truth, rng, n_prior, targets, cuts, TARGETS, seconds)
    pop = population(rng, n_main, bank)
    theta, roles = pop["learners"].competence, pop["role"]
    print(f"  placement against targets: {n_main} learners", flush=True)
    main_res = place(bank, truth, theta, roles, targets, priors, cuts, TARGETS, 1, seconds)
    print(f"    {main_res['accuracy_final']:.3f} after checks", flush=True)
    print("  today's placement", flush=True)
    today_res = today(bank, truth, pop["learners"], roles, targets, std.level_cuts, 2)
    default = {r: CompetencePrior.for_bank(bank) for r in [*targets, ""]}
    sub = slice(0, n_var)
    variants = []
    plan: list[tuple[str, Any, Any, Any, str]] = [
        ("as measured (fewer learners)", TARGETS, priors, bank, "posterior"),
        ("default prior (no role, no fit)", TARGETS, default, bank, "posterior"),
        ("decisions at 80 %", replace(TARGETS, confidence=0.8), priors, bank, "posterior"),
        ("decisions at 95 %", replace(TARGETS, confidence=0.95), priors, bank, "posterior"),
        ("at most 20 questions", replace(TARGETS, max_length=20), priors, bank, "posterior"),
        ("at most 60 questions", replace(TARGETS, max_length=60), priors, bank, "posterior"),
        ("checks by the plain 80 % rule", TARGETS, priors, bank, "plain"),
        ("checks of the 5 items most informative at the cut", TARGETS, priors, bank, "at_cut"),
    ]
    # A calibrated bank of the shipped pool's size: discriminating items, b spread over
    # each level's band.
    per_level = max(1, round(bank.n_items / (4 * bank.n_competences)))
    calibrated = synthetic_bank(np.random.default_rng(2027), bank, per_level)
    plan.append(
        (
            f"calibrated bank of the same size (a ~ U(1.2, 2.2), {per_level} per level)",
            TARGETS,
            "refit",
            calibrated,
            "posterior",
        )
    )
    plan.append(("calibrated bank, checks at the cut", TARGETS, "refit", calibrated, "at_cut"))
    for label, cfg, pri, b, rule in plan:
        print(f"  variant: {label}", flush=True)
        tr = Truth(a=np.asarray(b.a), b=np.asarray(b.b), c=np.asarray(b.c))
        secs = np.full(b.n_items, SECONDS_PER_QUESTION) if b is not bank else seconds
        if pri == "refit":
            pri, _ = fitted_priors(b, tr, np.random.default_rng(5), n_var, targets, cuts, cfg, secs)
        r = place(b, tr, theta[sub], roles[sub], targets, pri, cuts, cfg, 3, secs, rule)
        variants.append({"label": label, "result": r})
    five = (
        json.loads((RESULTS / "placement.json").read_text())
        if (RESULTS / "placement.json").exists()
        else None
    )
    five_text = "not measured"
    if five:
        cat = five["scenarios"][0]["cat"]
        five_text = (
            f"{cat['length_mean']:.0f} questions, {pct(cat['area_accuracy'])} of areas and "
            f"{pct(cat['competence_accuracy'])} of competences in the exact band "
            "(BENCHMARKS.md, placement)"
        )
    res = {
        "quick": quick,
        "machine": machine(),
        "bank_items": bank.n_items,
        "seconds_per_question": SECONDS_PER_QUESTION,
        "prior": prior_info,
        "main": main_res,
        "today": today_res,
        "today_five_bands": five_text,
        "variants": variants,
        "ceiling": ceiling(bank, pop["learners"], roles, targets, cuts, 4),
    }
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["cpu_seconds"] = round(time.process_time() - c0, 1)
    md = to_markdown(res)
    if write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "targets.json").write_text(json.dumps(res, indent=1) + "\n")
        (RESULTS / "targets.md").write_text(md)
    print(md)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
