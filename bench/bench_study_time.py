"""Study time saved by the personal path against the whole linear course.

10,000 simulated learners of the six role profiles of the shipped framework, with
starting abilities that depend on role and age, take the real placement test (the
shipped items with their provisional parameters, the platform's engine, configuration,
blueprint and running exposure counts; see ``bench_placement``). Their personal path is
the platform's rule (``hocvu.learning.services.learning_path``): per competence, the
lessons whose level is in (stored level, role target], with the lesson minutes of the
shipped curriculum. Personal time = placement test (its questions at 15 s each) + the
path's lessons. Peers: the whole linear course (every lesson, every level) and the
stricter "every lesson up to the role's target levels".

A consistency check runs the real services in a child process on a temporary SQLite
database: the shipped framework and curriculum are installed, 50 of the simulated
learners are stored through ``apply_placement`` with their engine results, and
``learning_path`` / ``linear_minutes`` must give exactly the minutes of the fast
simulation.

Run from the repository root::

    python -m bench.bench_study_time            # full run (a few minutes)
    python -m bench.bench_study_time --quick    # smoke run (seconds; prints only)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_placement import (
    Learners,
    Truth,
    django_setup,
    draw_learners,
    machine,
    make_bank,
    placement_blueprint,
    run_sessions,
    shipped_items,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CURRICULUM = ROOT / "hocvu" / "content" / "data" / "curriculum"
FRAMEWORK = ROOT / "hocvu" / "framework" / "data" / "default_framework.toml"
SECONDS_PER_QUESTION = 15.0
CHECK_SIZE = 5  # questions of a mastery check (the platform's check_start)
CHECK_PASS = 0.8  # share correct that passes it (pass_mastery_check)

#: Approximate head counts of the program's audience (assumptions, stated in the report).
#: role: (head count, mean ability shift, mean age, SD of age, note)
ROLES: dict[str, tuple[int, float, float, float, str]] = {
    "na_deputy": (500, 0.0, 50, 8, "the 500 seats of the National Assembly"),
    "na_official": (2_000, 0.3, 38, 9, "National Assembly Office and bodies, about 2,000"),
    "provincial_council": (3_000, -0.2, 48, 8, "34 provincial councils, about 3,000 members"),
    "commune_council": (
        100_000,
        -0.6,
        46,
        10,
        "about 3,300 commune-level councils of about 30 members",
    ),
    "civil_servant": (
        50_000,
        0.0,
        40,
        10,
        "assumed: staff of council and deputy offices who enrol",
    ),
    "citizen": (50_000, -0.8, 40, 14, "assumed: citizens who enrol on the open platform"),
    "digital_transformation_officer": (
        3_500,
        0.6,
        36,
        8,
        "assumed: about one per province and commune office",
    ),
    "unit_leader": (10_000, 0.0, 50, 7, "assumed: heads and deputies of offices and councils"),
    "research_officer": (1_500, 0.4, 38, 9, "assumed: research and review staff of the bodies"),
}
AGE_EFFECT = -0.25  # ability per decade of age above 45
FLOOR = 500  # every role gets at least this many simulated learners


# ---------------------------------------------------------------------------------------
# What the curriculum and framework say
# ---------------------------------------------------------------------------------------


def lesson_minutes(competences: tuple[str, ...]) -> np.ndarray:
    """minutes[k, L] = minutes of competence k's lessons at level L (1..4; column 0 unused),
    computed as the platform computes study time (content.media.study_minutes)."""
    from hocvu.content.media import study_minutes

    index = {code: k for k, code in enumerate(competences)}
    out = np.zeros((len(competences), 5), dtype=np.int64)
    for path in sorted(CURRICULUM.glob("area-*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for module in data.get("modules", []):
            k = index[str(module["competence"])]
            for lesson in module.get("lessons", []):
                out[k, int(lesson["level"])] += study_minutes(
                    lesson["body"], lesson.get("transcript", "")
                )
    return out


def role_targets(competences: tuple[str, ...]) -> dict[str, np.ndarray]:
    with FRAMEWORK.open("rb") as handle:
        data = tomllib.load(handle)
    out = {}
    for role in data["roles"]:
        targets = role["targets"]
        out[role["code"]] = np.array([int(targets.get(c, 0)) for c in competences])
    return out


def path_minutes(minutes: np.ndarray, current: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Minutes of the lessons with level in (current, target], per learner (rows)."""
    levels = np.arange(5)[None, None, :]
    take = (levels > current[:, :, None]) & (levels <= target[:, :, None])
    return np.asarray((take * minutes[None, :, :]).sum(axis=(1, 2)))


def lesson_counts(competences: tuple[str, ...]) -> np.ndarray:
    index = {code: k for k, code in enumerate(competences)}
    out = np.zeros((len(competences), 5), dtype=np.int64)
    for path in sorted(CURRICULUM.glob("area-*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for module in data.get("modules", []):
            k = index[str(module["competence"])]
            for lesson in module.get("lessons", []):
                out[k, int(lesson["level"])] += 1
    return out


# ---------------------------------------------------------------------------------------
# The population
# ---------------------------------------------------------------------------------------


def allocation(total: int, floor: int) -> dict[str, int]:
    """``floor`` learners per role, the rest in proportion to head counts."""
    heads = {r: v[0] for r, v in ROLES.items()}
    rest = total - floor * len(ROLES)
    share = {r: heads[r] / sum(heads.values()) for r in heads}
    out = {r: floor + int(rest * share[r]) for r in heads}
    out["commune_council"] += total - sum(out.values())
    return out


def population(
    rng: np.random.Generator, total: int, bank: Any, floor: int, shift_all: float = 0.0
) -> dict[str, Any]:
    roles: list[str] = []
    ages: list[float] = []
    for role, n in allocation(total, floor).items():
        _, _, age_mean, age_sd, _ = ROLES[role]
        roles += [role] * n
        ages += np.clip(rng.normal(age_mean, age_sd, n), 22, 75).tolist()
    role_arr = np.array(roles)
    age = np.array(ages)
    shift = np.array([ROLES[r][1] for r in roles]) + AGE_EFFECT * (age - 45) / 10 + shift_all
    order = rng.permutation(len(roles))  # interleave roles as real sign-ups would
    learners = draw_learners(rng, len(roles), bank, mean=shift[order])
    return {"role": role_arr[order], "age": age[order], "learners": learners}


# ---------------------------------------------------------------------------------------
# Mastery checks (optional "test out" before each module of the path)
# ---------------------------------------------------------------------------------------


def mastery_checks(
    rng: np.random.Generator,
    bank: Any,
    truth: np.ndarray,
    current: np.ndarray,
    target: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Before each module of the path the learner takes its 5-question check at the
    target level (random shipped items of that competence and level, answered from the
    learner's true ability); ≥ 80 % correct passes and the module is skipped.
    Returns (new current levels, number of checks taken) per learner."""
    n, k_n = current.shape
    new = current.copy()
    taken = np.zeros(n, dtype=np.int64)
    by_cl: dict[tuple[int, int], list[int]] = {}
    for i in range(bank.n_items):
        by_cl.setdefault((int(bank.competence[i]), int(bank.level[i])), []).append(i)
    pools = {key: np.array(v) for key, v in by_cl.items()}
    for k in range(k_n):
        need = np.flatnonzero(target[:, k] > current[:, k])
        if need.size == 0:
            continue
        taken[need] += 1
        for s in need:
            pool = pools.get((k, int(target[s, k])))
            if pool is None or pool.size == 0:
                continue
            items = rng.choice(pool, size=min(CHECK_SIZE, pool.size), replace=False)
            z = bank.a[items] * (truth[s, k] - bank.b[items])
            p = bank.c[items] + (1 - bank.c[items]) / (1 + np.exp(-z))
            correct = int((rng.random(items.size) < p).sum())
            if correct / items.size >= CHECK_PASS:
                new[s, k] = max(new[s, k], target[s, k])
    return new, taken


# ---------------------------------------------------------------------------------------
# Consistency check against the platform's services
# ---------------------------------------------------------------------------------------


def check_worker(payload: dict[str, Any]) -> dict[str, Any]:
    """Runs in a child process whose DATABASE_URL names a fresh SQLite file."""
    django_setup()
    from django.core.management import call_command

    from hocvu.content.services import install_curriculum
    from hocvu.framework import services as framework
    from hocvu.framework.models import Competence
    from hocvu.identity.models import User
    from hocvu.learning import services as learning
    from hocvu.psychometrics.cat import CATResult, CompetenceEstimate

    call_command("migrate", verbosity=0)
    version = framework.install_default()
    install_curriculum(version)
    from hocvu.content.services import default_program

    program = default_program()
    assert program is not None
    comp_ids = dict(Competence.objects.filter(version=version).values_list("code", "pk"))
    out: dict[str, Any] = {"linear": learning.linear_minutes(program), "learners": []}
    roles_done: dict[str, int] = {}
    for n, row in enumerate(payload["learners"]):
        user = User.objects.create(
            username=f"sim{n:03d}", full_name=f"Học viên {n}", job_role=row["role"]
        )
        user.set_unusable_password()
        user.save()
        result = CATResult(
            areas=(),
            competences=tuple(
                CompetenceEstimate(
                    index=k,
                    code=code,
                    area_code=code.split(".")[0],
                    n_items=1,
                    theta=theta,
                    se=se,
                    level=1,
                    level_probability=1.0,
                    source="items",
                )
                for k, (code, theta, se) in enumerate(row["estimates"])
            ),
            n_items=0,
            finished=True,
            stop_reason="max_length",
            item_ids=(),
            responses=(),
            exposure_relaxed=0,
        )
        learning.apply_placement(user, version, result)
        steps = learning.learning_path(user, program)
        out["learners"].append(
            {
                "minutes": sum(s.minutes for s in steps),
                "lessons": sum(len(s.lessons) for s in steps),
            }
        )
        if row["role"] not in roles_done:
            role = learning.role_profile(user, version)
            assert role is not None
            targets = {comp_ids[t.competence.code]: t.level for t in role.targets.all()}
            roles_done[row["role"]] = learning.linear_minutes(program, targets)
    out["linear_to_target"] = roles_done
    return out


def run_check(payload: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(
            os.environ,
            HOCVU_VAR_DIR=tmp,
            DATABASE_URL=f"sqlite:///{tmp}/check.sqlite3",
            DJANGO_SETTINGS_MODULE="hocvu.settings",
        )
        code = (
            "import json,sys; from bench.bench_study_time import check_worker; "
            "print('RESULT'+json.dumps(check_worker(json.load(sys.stdin))))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"consistency check failed:\n{out.stderr[-3000:]}")
        line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
        return json.loads(line[len("RESULT") :])  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def stats(x: np.ndarray) -> dict[str, float]:
    return {
        "mean": float(x.mean()),
        "median": float(np.median(x)),
        "p10": float(np.percentile(x, 10)),
        "p90": float(np.percentile(x, 90)),
    }


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def hours(minutes: float) -> str:
    return f"{minutes / 60:.1f} h"


def stricter_levels(theta: np.ndarray, se: np.ndarray, reached: float) -> np.ndarray:
    """The platform's ``level_reached`` rule, vectorized, for a given probability (the
    cuts of the recorded standard, decision 0010)."""
    from hocvu.content.standards import level_cuts
    from hocvu.learning.services import probability_at_least

    out = np.zeros(theta.shape, dtype=np.int64)
    p = np.vectorize(probability_at_least)
    for cut in level_cuts():
        out += p(theta, se, cut) >= reached
    return out


@dataclass
class Simulation:
    roles: np.ndarray
    run: Any
    competence: np.ndarray  # true competence abilities
    true_band: np.ndarray
    target: np.ndarray
    placement_min: np.ndarray
    lessons_min: np.ndarray
    personal: np.ndarray
    to_target: np.ndarray
    weight: np.ndarray


def simulate(
    bank: Any, tables: dict[str, Any], total: int, floor: int, seed: int, shift: float = 0.0
) -> Simulation:
    """Draw the population, run its placement tests and compute every learner's path."""
    from hocvu.assessment.bank import PLACEMENT
    from hocvu.content.services import LEVEL_CUTS

    rng = np.random.default_rng(seed)
    pop = population(rng, total, bank, floor, shift)
    learners: Learners = pop["learners"]
    roles: np.ndarray = pop["role"]
    truth = Truth(a=np.asarray(bank.a), b=np.asarray(bank.b), c=np.asarray(bank.c))
    run = run_sessions(
        bank, learners, truth, config=PLACEMENT, blueprint=placement_blueprint(bank), seed=seed
    )
    minutes = tables["minutes"]
    target = np.stack([tables["targets"][r] for r in roles])
    placement_min = run.n_items * SECONDS_PER_QUESTION / 60
    from hocvu.learning.services import REACHED

    stored = stricter_levels(run.comp_theta, run.comp_se, REACHED)  # what the platform stores
    lessons_min = path_minutes(minutes, stored, target)
    levels = np.arange(5)[None, None, :]
    to_target = ((levels <= target[:, :, None]) * minutes[None, :, :]).sum(axis=(1, 2))
    heads = {r: ROLES[r][0] for r in ROLES}
    weight = np.array([heads[r] / (roles == r).sum() for r in roles])
    return Simulation(
        roles=roles,
        run=run,
        competence=learners.competence,
        true_band=np.searchsorted(np.asarray(LEVEL_CUTS), learners.competence, side="right"),
        target=target,
        placement_min=placement_min,
        lessons_min=lessons_min,
        personal=placement_min + lessons_min,
        to_target=to_target,
        weight=weight / weight.sum(),
    )


def main(argv: list[str] | None = None) -> None:
    argv = list(argv or [])
    quick = "--quick" in argv
    write = not quick or "--write" in argv
    total = 240 if quick else 10_000
    floor = 20 if quick else FLOOR
    n_check = 0 if quick else 50
    t0 = time.perf_counter()
    django_setup()
    from hocvu.learning.services import level_reached

    bank = make_bank(shipped_items())
    comps = bank.competence_codes
    minutes = lesson_minutes(comps)
    counts = lesson_counts(comps)
    targets = role_targets(comps)
    assert set(targets) == set(ROLES), f"role profiles changed: {sorted(targets)}"
    tables = {"minutes": minutes, "targets": targets}
    linear_all = int(minutes.sum())

    print(f"  {total} learners: placement tests ...", flush=True)
    sim = simulate(bank, tables, total, floor, seed=4)
    roles, run, true_band, target = sim.roles, sim.run, sim.true_band, sim.target
    from hocvu.learning.services import REACHED

    current = stricter_levels(run.comp_theta, run.comp_se, REACHED)
    n = len(roles)
    weight = sim.weight
    personal, to_target = sim.personal, sim.to_target
    placement_min = sim.placement_min
    truth_levels = np.minimum(true_band, 4)
    oracle = placement_min + path_minutes(minutes, truth_levels, target)
    checked, n_checks = mastery_checks(
        np.random.default_rng(5), bank, sim.competence, current, target
    )
    with_checks = (
        placement_min
        + path_minutes(minutes, checked, target)
        + n_checks * CHECK_SIZE * SECONDS_PER_QUESTION / 60
    )
    # The looser alternative: the band of the posterior mean.
    strict = stricter_levels(run.comp_theta, run.comp_se, 0.5)
    with_strict = placement_min + path_minutes(minutes, strict, target)
    # Competences stored at or above the target though truly below it: lessons skipped
    # that the learner needed.
    over = ((truth_levels < target) & (current >= target)).sum(axis=1)
    over_strict = ((truth_levels < target) & (strict >= target)).sum(axis=1)

    consistency: dict[str, Any] = {"learners": n_check, "mismatches": [], "linear_matches": True}
    if n_check:
        per_role = -(-n_check // len(ROLES))  # every role's targets are exercised
        sample = np.sort(
            np.concatenate([np.flatnonzero(roles == r)[:per_role] for r in ROLES])[:n_check]
        )
        for s in sample:  # the fast rule uses the platform's level function
            for k in range(len(comps)):
                assert current[s, k] == level_reached(run.comp_theta[s, k], run.comp_se[s, k])
        payload = {
            "learners": [
                {
                    "role": str(roles[s]),
                    "estimates": [
                        [comps[k], float(run.comp_theta[s, k]), float(run.comp_se[s, k])]
                        for k in range(len(comps))
                    ],
                }
                for s in sample
            ]
        }
        print(f"  consistency check on {n_check} learners ...", flush=True)
        tc = time.perf_counter()
        db = run_check(payload)
        fast_lessons = path_minutes(counts, current[sample], target[sample])
        consistency["mismatches"] = [
            int(s)
            for j, s in enumerate(sample)
            if db["learners"][j]["minutes"] != int(sim.lessons_min[s])
            or db["learners"][j]["lessons"] != int(fast_lessons[j])
        ]
        by_role = {r: int(to_target[np.flatnonzero(roles == r)[0]]) for r in ROLES}
        consistency["linear_matches"] = db["linear"] == linear_all and all(
            db["linear_to_target"][r] == by_role[r] for r in db["linear_to_target"]
        )
        consistency["roles_checked"] = sorted(db["linear_to_target"])
        consistency["seconds"] = round(time.perf_counter() - tc, 1)

    sweep = []
    for shift in () if quick else (-1.0, -0.5, 0.5):
        print(f"  sensitivity: every ability shifted by {shift:+.1f} ...", flush=True)
        other = simulate(bank, tables, 2_000, 100, seed=40 + int(10 * shift), shift=shift)
        saved = 1 - other.personal / linear_all
        sweep.append(
            {
                "shift": shift,
                "learners": len(other.roles),
                "weighted_saved_vs_all": float((other.weight * saved).sum()),
                "weighted_saved_vs_target": float(
                    (other.weight * (1 - other.personal / other.to_target)).sum()
                ),
                "min_role_mean": min(float(saved[other.roles == r].mean()) for r in ROLES),
                "share_below_40": float(other.weight[saved < 0.4].sum()),
            }
        )

    saved_all = 1 - personal / linear_all
    saved_target = 1 - personal / to_target
    res: dict[str, Any] = {
        "quick": quick,
        "machine": machine(),
        "learners": n,
        "floor_per_role": floor,
        "seconds_per_question": SECONDS_PER_QUESTION,
        "linear_minutes": linear_all,
        "lessons": int(counts.sum()),
        "roles": {},
        "consistency": consistency,
        "placement": {
            "mean_items": float(run.n_items.mean()),
            "mean_minutes": float(placement_min.mean()),
            "competence_accuracy": float((current == true_band).mean()),
            "competence_over": float((current > true_band).mean()),
            "competence_under": float((current < true_band).mean()),
            "seconds": round(run.seconds, 1),
        },
        "sensitivity": sweep,
    }
    for r in ROLES:
        m = roles == r
        res["roles"][r] = {
            "simulated": int(m.sum()),
            "head_count": ROLES[r][0],
            "note": ROLES[r][4],
            "ability_shift": ROLES[r][1],
            "age_mean": ROLES[r][2],
            "start_level_mean": float(truth_levels[m].mean()),
            "target_mean": float(targets[r].mean()),
            "gaps_mean": float((truth_levels[m] < target[m]).sum(axis=1).mean()),
            "to_target_minutes": int(to_target[m][0]),
            "personal_minutes": stats(personal[m]),
            "saved_vs_all": stats(saved_all[m]),
            "saved_vs_target": stats(saved_target[m]),
            "saved_vs_all_oracle": float((1 - oracle[m] / linear_all).mean()),
            "saved_vs_all_with_checks": float((1 - with_checks[m] / linear_all).mean()),
            "saved_vs_all_strict": float((1 - with_strict[m] / linear_all).mean()),
            "checks_mean": float(n_checks[m].mean()),
            "over_placed_at_target": float(over[m].mean()),
            "over_placed_at_target_strict": float(over_strict[m].mean()),
        }
    res["overall"] = {
        "weighted_saved_vs_all": float((weight * saved_all).sum()),
        "weighted_saved_vs_target": float((weight * saved_target).sum()),
        "weighted_personal_minutes": float((weight * personal).sum()),
        "simulated_mix_saved_vs_all": stats(saved_all),
        "simulated_mix_saved_vs_target": stats(saved_target),
        "weighted_saved_with_checks": float((weight * (1 - with_checks / linear_all)).sum()),
        "weighted_saved_oracle": float((weight * (1 - oracle / linear_all)).sum()),
        "weighted_saved_strict": float((weight * (1 - with_strict / linear_all)).sum()),
        "weighted_over_placed": float((weight * over).sum()),
        "weighted_over_placed_strict": float((weight * over_strict).sum()),
        "share_below_40": float(weight[saved_all < 0.4].sum()),
    }
    res["seconds"] = round(time.perf_counter() - t0, 1)
    md = to_markdown(res)
    if write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "study_time.json").write_text(json.dumps(res, indent=1) + "\n")
        (RESULTS / "study_time.md").write_text(md)
    print(md)
    if consistency["mismatches"] or not consistency["linear_matches"]:
        raise SystemExit(f"fast simulation disagrees with the platform: {consistency}")


def to_markdown(res: dict[str, Any]) -> str:
    from hocvu.learning.services import REACHED

    o = res["overall"]
    c = res["consistency"]
    p = res["placement"]
    lines = [
        "# Study time saved by the personal path",
        "",
        f"Machine: {res['machine']}. Mode: {'quick' if res['quick'] else 'full'}; run took "
        f"{res['seconds']:.0f} s. Reproduce: `python -m bench.bench_study_time` "
        "(add `--quick` for a smoke run).",
        "",
        f"{res['learners']:,} simulated learners of the six role profiles take the real "
        f"placement test (shipped bank, platform engine and rules; {p['mean_items']:.1f} "
        f"questions, {p['mean_minutes']:.1f} min at {res['seconds_per_question']:.0f} s each; "
        f"{pct(p['competence_accuracy'])} of competence levels stored in their true band, "
        f"{pct(p['competence_over'])} above, {pct(p['competence_under'])} below). "
        "Personal time = placement + the lessons of the platform's path rule (per competence, "
        "levels in (stored level, role target], lesson minutes of the shipped curriculum). "
        f"Peers: the whole linear course ({res['lessons']} lessons, "
        f"{res['linear_minutes']:,} min = {hours(res['linear_minutes'])}) and every lesson up to "
        "the role's targets.",
        "",
        "Starting abilities: competence = general + area + competence parts as in the "
        "placement benchmark (five bands by `LEVEL_CUTS`), with the general part shifted by "
        f"role and by age ({AGE_EFFECT:+.2f} per decade above 45). Mix: "
        f"{res['floor_per_role']} learners per role (so every role's percentiles are stable), "
        "the rest in proportion to the head counts below; overall figures are weighted by "
        "those head counts. Head counts, shifts and the age effect are assumptions of this "
        "model, not data.",
        "",
        "| role | head count (assumed) | simulated | mean age | ability shift | true start "
        "level (mean) | target (mean) | competences below target | up-to-target course | "
        "personal time (mean) | saved vs whole course: mean / median / p10 / p90 | "
        "saved vs up-to-target: mean / median / p10 / p90 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for code, r in res["roles"].items():
        a, t = r["saved_vs_all"], r["saved_vs_target"]
        lines.append(
            f"| {code} | {r['head_count']:,} | {r['simulated']:,} | {r['age_mean']:.0f} | "
            f"{r['ability_shift']:+.1f} | {r['start_level_mean']:.2f} | {r['target_mean']:.2f} | "
            f"{r['gaps_mean']:.1f} of 24 | {hours(r['to_target_minutes'])} | "
            f"{hours(r['personal_minutes']['mean'])} | "
            f"{pct(a['mean'])} / {pct(a['median'])} / {pct(a['p10'])} / {pct(a['p90'])} | "
            f"{pct(t['mean'])} / {pct(t['median'])} / {pct(t['p10'])} / {pct(t['p90'])} |"
        )
    sm = o["simulated_mix_saved_vs_all"]
    lines += [
        "",
        f"**Weighted by head count: {pct(o['weighted_saved_vs_all'])} saved against the whole "
        f"course** (goal ≥ 40 %), {pct(o['weighted_saved_vs_target'])} against every lesson up "
        f"to the role's targets; mean personal time {hours(o['weighted_personal_minutes'])}. "
        f"Learners saving less than 40 %: {pct(o['share_below_40'])}. Unweighted "
        f"simulated mix: mean {pct(sm['mean'])}, median {pct(sm['median'])}, p10 "
        f"{pct(sm['p10'])}, p90 {pct(sm['p90'])}.",
        "",
        "| variant (weighted by head count) | saved vs whole course | competences skipped though "
        "truly below target (mean per learner) |",
        "|---|---:|---:|",
        f"| the platform: path from the stored levels (P(reached) ≥ {REACHED}) | "
        f"{pct(o['weighted_saved_vs_all'])} | {o['weighted_over_placed']:.2f} |",
        "| looser rule: the band of the posterior mean (P(reached) ≥ 0.5) | "
        f"{pct(o['weighted_saved_strict'])} | {o['weighted_over_placed_strict']:.2f} |",
        f"| perfect placement (the true levels) | {pct(o['weighted_saved_oracle'])} | 0 |",
        f"| the platform + a {CHECK_SIZE}-question mastery check before each module of the path "
        f"(≥ {CHECK_PASS:.0%} correct: skip the module) | {pct(o['weighted_saved_with_checks'])} | "
        f"{o['weighted_over_placed']:.2f} |",
        "",
        "Per role:",
        "",
        "| role | saved, looser rule (P ≥ 0.5) | saved, perfect placement | saved with mastery "
        "checks | checks taken (mean) | skipped though needed: platform / looser |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for code, r in res["roles"].items():
        lines.append(
            f"| {code} | {pct(r['saved_vs_all_strict'])} | {pct(r['saved_vs_all_oracle'])} | "
            f"{pct(r['saved_vs_all_with_checks'])} | {r['checks_mean']:.1f} | "
            f"{r['over_placed_at_target']:.2f} / {r['over_placed_at_target_strict']:.2f} |"
        )
    if res["sensitivity"]:
        lines += [
            "",
            "Sensitivity to the assumed abilities (every learner shifted; fewer learners per run):",
            "",
            "| shift of every ability | learners | saved vs whole course (weighted) | saved vs "
            "up-to-target | lowest role mean | learners saving < 40 % |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for row in res["sensitivity"]:
            lines.append(
                f"| {row['shift']:+.1f} | {row['learners']:,} | "
                f"{pct(row['weighted_saved_vs_all'])} | {pct(row['weighted_saved_vs_target'])} | "
                f"{pct(row['min_role_mean'])} | {pct(row['share_below_40'])} |"
            )
    lines.append("")
    if c["learners"]:
        lines.append(
            f"Consistency check: for {c['learners']} of the learners the platform's own services "
            "on a temporary SQLite database (`apply_placement` with their engine results, then "
            f"`learning_path`) gave {'exactly the same' if not c['mismatches'] else 'DIFFERENT'} "
            f"minutes and lesson counts as the fast simulation ({len(c['mismatches'])} "
            f"mismatches); `linear_minutes` for the whole course and for the targets of the "
            f"roles in the sample ({', '.join(c['roles_checked'])}) "
            f"{'matches' if c['linear_matches'] else 'DIFFERS'}. The check took "
            f"{c['seconds']:.0f} s (migrations and installing the curriculum included)."
        )
    else:
        lines.append("Consistency check against the platform's services: skipped in quick mode.")
    lines += [
        "",
        "## Reading",
        "",
        "- The saving has two sources: levels the role does not need (the path stops at the "
        "target; the up-to-target course is already well under the whole course) and levels "
        "the learner already has (the path starts above them; the up-to-target column "
        "isolates this part).",
        "- The placement test's minutes are in every personal time. It is imprecise on the "
        "provisional bank (see the placement benchmark) and shrinks towards the population "
        "mean, so some learners are stored at or above a target they have not reached and "
        "skip lessons they needed; others read lessons they did not need. The platform's "
        "stricter rule trades some of the saving for fewer such skips; the mastery check only helps "
        "under-placed learners (it lets them test out), it cannot catch over-placement.",
        "- Scaling: the path is a per-competence sum over a 24 × 4 table of lesson minutes, "
        "linear in learners; the placement tests dominate the run time "
        f"({p['seconds']:.0f} s for {res['learners']:,} tests, a few ms each). On the platform "
        "`learning_path` is a handful of queries per page, independent of the number of "
        "learners.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
