"""The exam's pass mark (decision 0010): what it means and how well it classifies.

Simulated candidates of the role profiles of ``bench_study_time`` take two parallel certification exams
each, as the platform builds and scores them: the role's blueprint
(``exam.blueprint_for_targets`` on the shipped framework's targets), forms drawn from the
shipped secure exam pool with its provisional parameters by ``exam.assemble`` (the second
form excludes every item of the first, as a retake does), answers from the 3PL on each
competence's true ability, and the pass decision of ``pass_mark.decide`` with the
recorded standard. No database is needed.

True status: the exam measures one ability on the standard-relative scale, so a
candidate truly passes when the blueprint-weighted mean of ``theta_k - cut(target_k)``
over the exam's competences is at least 0. Reported: accuracy (decision = true status),
consistency (the two forms agree), false-pass and false-fail rates (shares of all
candidates), Rudner's expected accuracy and consistency from each candidate's estimate
and standard error (a check on the simulation that needs no true abilities, as it would
be computed from real results), and the old rule ("ability at the bottom of the target
level") on the same answers for comparison.

Populations:

* the program's learners as they start (the role head counts, role means and age effect
  of ``bench_study_time``; correlated competences as in ``bench_placement``);
* candidates centred on the pass mark: the same spread, shifted so that each role's mean
  sits exactly on it (half should pass; the hardest case for a pass/fail decision).

Run from the repository root::

    python -m bench.bench_standard            # full run
    python -m bench.bench_standard --quick    # smoke run (prints only)
"""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_placement import django_setup, make_bank, shipped_items
from bench.machine import describe as machine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
FRAMEWORK = ROOT / "hocvu" / "framework" / "data" / "default_framework.toml"


def role_cells() -> dict[str, list[Any]]:
    """Each role's exam blueprint from the shipped framework."""
    from hocvu.certification.exam import blueprint_for_targets

    with FRAMEWORK.open("rb") as handle:
        data = tomllib.load(handle)
    area_of = {c["code"]: a["code"] for a in data["areas"] for c in a["competences"]}
    order = [c["code"] for a in data["areas"] for c in a["competences"]]
    out = {}
    for role in data["roles"]:
        targets = role["targets"]
        rows = [(area_of[c], c, int(targets[c])) for c in order if int(targets.get(c, 0)) > 0]
        out[role["code"]] = blueprint_for_targets(rows)
    return out


def exam_pool() -> dict[tuple[str, int], list[Any]]:
    """The shipped secure exam pool with the provisional parameters it is installed with."""
    from hocvu.certification.exam import PoolItem
    from hocvu.content import linter, services

    pool: dict[tuple[str, int], list[Any]] = {}
    items = linter.items_from_curriculum(services.EXAM.glob("area-*.toml"), prefix="X")
    for item in sorted(items, key=lambda i: i.code):
        a, b, c = services.provisional_parameters(item.level, item.kind, len(item.options))
        pool.setdefault((item.competence, item.level), []).append(
            PoolItem(item.code, item.competence, item.level, a, b, c)
        )
    return pool


def candidates(rng: np.random.Generator, n: int, bank: Any) -> dict[str, Any]:
    from bench.bench_study_time import population

    return population(rng, n, bank, floor=max(1, n // 20))


def run(
    name: str,
    roles: np.ndarray,
    theta: np.ndarray,
    codes: tuple[str, ...],
    cells: dict[str, list[Any]],
    pool: dict[tuple[str, int], list[Any]],
    seed: int,
) -> dict[str, Any]:
    from hocvu.certification import exam, pass_mark
    from hocvu.content.standards import in_force
    from hocvu.psychometrics.estimation import estimate_ability
    from hocvu.psychometrics.irt import prob
    from hocvu.psychometrics.standard_setting import classification_agreement, rudner_indices

    std = in_force()
    index = {c: k for k, c in enumerate(codes)}
    rng = np.random.default_rng([seed, 5])
    truth, first, second, old_first = [], [], [], []
    est_theta, est_se, percent, role_of = [], [], [], []
    targets_cache = {r: exam.target_form(cells[r], pool) for r in cells}
    wall = cpu = 0.0
    for s, role in enumerate(roles):
        role_cells_ = cells[str(role)]
        weights = [(index[c.competence], c.level, c.count) for c in role_cells_]
        total = sum(w for *_, w in weights)
        true_rel = sum(w * (theta[s, k] - std.cut(lv)) for k, lv, w in weights) / total
        truth.append(true_rel >= 0.0)
        decisions = []
        seen: list[str] = []
        for form_no in range(2):
            form = exam.assemble(
                role_cells_, pool, seed * 1_000_003 + 2 * s + form_no,
                exclude=seen, target=targets_cache[str(role)],
            )  # fmt: skip
            seen = list(form.codes)
            by_code = {i.code: i for items in pool.values() for i in items if i.code in seen}
            items = [by_code[c] for c in form.codes]
            p = prob(
                np.array([theta[s, index[i.competence]] for i in items]),
                [i.a for i in items], [i.b for i in items], [i.c for i in items],
            )  # fmt: skip
            responses = (rng.random(len(items)) < p).astype(int).tolist()
            t0, c0 = time.perf_counter(), time.process_time()
            decision = pass_mark.decide(responses, items, std)
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            decisions.append(decision)
            if form_no == 0:
                old = estimate_ability(
                    responses, [i.a for i in items], [i.relative_b for i in items],
                    [i.c for i in items], method="eap", prior_mean=0.0, prior_sd=1.0,
                )  # fmt: skip
                old_first.append(bool(old.theta >= 0.0))
        first.append(decisions[0].passed)
        second.append(decisions[1].passed)
        est_theta.append(decisions[0].theta)
        est_se.append(decisions[0].se)
        percent.append(decisions[0].percent_cut)
        role_of.append(str(role))
    truth_a = np.array(truth)
    sim = classification_agreement(truth_a, first, second)
    rud = rudner_indices(est_theta, est_se, 0.0, passed=first)
    old_rule = classification_agreement(truth_a, old_first)
    n = len(truth)
    per_role = {}
    for role in sorted(set(role_of)):
        mask = np.array([r == role for r in role_of])
        rep = classification_agreement(truth_a[mask], np.array(first)[mask], np.array(second)[mask])
        per_role[role] = {
            "candidates": int(mask.sum()),
            "form_length": int(sum(c.count for c in cells[role])),
            "percent_cut_mean": float(np.mean(np.array(percent)[mask])),
            "true_pass_rate": rep.true_pass_rate,
            "pass_rate": rep.pass_rate,
            "accuracy": rep.accuracy,
            "consistency": rep.consistency,
            "false_pass": rep.false_pass,
        }
    return {
        "name": name,
        "candidates": n,
        "simulated": vars(sim),
        "rudner": vars(rud),
        "old_rule": vars(old_rule),
        "percent_cut": {
            "mean": float(np.mean(percent)),
            "min": float(np.min(percent)),
            "max": float(np.max(percent)),
        },
        "se_mean": float(np.mean(est_se)),
        "decision_ms_wall": 1000 * wall / (2 * n),
        "decision_ms_cpu": 1000 * cpu / (2 * n),
        "per_role": per_role,
    }


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def to_markdown(res: dict[str, Any]) -> str:
    std = res["standard"]
    lines = [
        "# The exam's pass mark: standard setting and classification at the cut",
        "",
        f"Machine: {res['machine']}. Mode: {'quick' if res['quick'] else 'full'}; run took "
        f"{res['seconds']:.0f} s wall, {res['cpu_seconds']:.0f} s CPU. Reproduce: "
        "`python -m bench.bench_standard` (add `--quick` for a smoke run).",
        "",
        f"Standard `{std['id']}` (decision 0010, `hocvu/content/data/standards.toml`): "
        f"{std['method']}, set on {std['decided']} on {std['booklet']} items of both pools "
        "with their provisional parameters. The cut of each level is where its just-qualified "
        "candidate answers the hardest item they must master with probability 2/3:",
        "",
        "| level | cut (θ) | old rule: bottom of the band | difference | share correct at the "
        "cut on the level's items |",
        "|---:|---:|---:|---:|---:|",
    ]
    for level, row in sorted(std["levels"].items()):
        lines.append(
            f"| {level} | {row['cut']:+.3f} | {row['old']:+.1f} | {row['offset']:+.3f} | "
            f"{pct(row['expected_correct'])} |"
        )
    pm = res["populations"][0]["percent_cut"]
    lines += [
        "",
        f"On the candidates' own forms the pass mark means {pm['mean']:.1f} % correct on "
        f"average ({pm['min']:.1f}–{pm['max']:.1f} %), against "
        f"{res['old_percent_cut']:.1f} % for the old rule on the same forms.",
        "",
        "Classification at the pass mark, two parallel forms per candidate (the second "
        "excludes the first's items):",
        "",
        "| candidates | n | truly at the standard | pass rate | accuracy | consistency | "
        "false pass | false fail | Rudner accuracy | Rudner consistency | old rule: pass rate "
        "| old rule: false pass |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for p in res["populations"]:
        s, r, o = p["simulated"], p["rudner"], p["old_rule"]
        lines.append(
            f"| {p['label']} | {p['candidates']} | {pct(s['true_pass_rate'])} | "
            f"{pct(s['pass_rate'])} | **{pct(s['accuracy'])}** | {pct(s['consistency'])} | "
            f"{pct(s['false_pass'])} | {pct(s['false_fail'])} | {pct(r['accuracy'])} | "
            f"{pct(r['consistency'])} | {pct(o['pass_rate'])} | {pct(o['false_pass'])} |"
        )
    lines += [
        "",
        "Per role (candidates centred on the pass mark):",
        "",
        "| role | questions | pass mark, % correct | accuracy | consistency | false pass |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for role, row in res["populations"][-1]["per_role"].items():
        lines.append(
            f"| {role} | {row['form_length']} | {row['percent_cut_mean']:.1f} | "
            f"{pct(row['accuracy'])} | {pct(row['consistency'])} | {pct(row['false_pass'])} |"
        )
    p0 = res["populations"][0]
    lines += [
        "",
        "Reading:",
        "",
        f"- The standard asks more than the old rule: about {pm['mean']:.0f} % correct "
        f"instead of {res['old_percent_cut']:.0f} %. On the same answers the old rule "
        f"passes {pct(p0['old_rule']['pass_rate'])} of the starting learners; "
        f"{pct(p0['old_rule']['false_pass'])} of all of them would pass it while below the "
        "standard.",
        f"- Decisions are {pct(p0['simulated']['accuracy'])} accurate and "
        f"{pct(p0['simulated']['consistency'])} consistent over the starting learners (most are "
        "far from the pass mark); for candidates centred on it, "
        f"{pct(res['populations'][-1]['simulated']['accuracy'])} and "
        f"{pct(res['populations'][-1]['simulated']['consistency'])}. The limit is the form: "
        f"{res['populations'][-1]['se_mean']:.2f} logits of standard error on forms of "
        f"{res['form_lengths']} items "
        "of discrimination 1 (the provisional parameters); calibrated items raise both.",
        "- Rudner's indices, computed from the estimates alone, agree with the simulated "
        "figures within a few points: they can be reported from real results, where true "
        "abilities are unknown.",
        f"- A pass decision (EAP on the form) takes "
        f"{res['populations'][0]['decision_ms_wall']:.2f} ms wall, "
        f"{res['populations'][0]['decision_ms_cpu']:.2f} ms CPU.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(argv or [])
    quick = "--quick" in argv
    write = not quick or "--write" in argv
    t0, c0 = time.perf_counter(), time.process_time()
    django_setup()
    from hocvu.content.standards import in_force
    from hocvu.psychometrics.classification import LEVEL_CUTS

    bank = make_bank(shipped_items())
    cells = role_cells()
    pool = exam_pool()
    std = in_force()
    n = 300 if quick else 4000
    rng = np.random.default_rng(2026)
    pop = candidates(rng, n, bank)
    theta = pop["learners"].competence
    roles = pop["role"]
    codes = tuple(bank.competence_codes)
    index = {c: k for k, c in enumerate(codes)}
    centred = theta.copy()
    for role in set(roles.tolist()):
        mask = roles == role
        cuts = np.zeros(len(codes))
        for cell in cells[role]:
            cuts[index[cell.competence]] = std.cut(cell.level)
        with_target = [index[c.competence] for c in cells[role]]
        shift = cuts[with_target] - theta[mask][:, with_target].mean(axis=0)
        centred[np.ix_(mask, with_target)] += shift
    res: dict[str, Any] = {"quick": quick, "machine": machine(), "populations": []}
    for name, label, th in (
        ("start", "the program's learners as they start", theta),
        ("centred", "candidates centred on the pass mark", centred),
    ):
        print(f"  {label}: {n} candidates", flush=True)
        out = run(name, roles, th, codes, cells, pool, seed=len(res["populations"]) + 1)
        out["label"] = label
        res["populations"].append(out)
        print(f"    {json.dumps(out['simulated'])}", flush=True)
    # The old rule's percent correct at its cut on typical forms of every role.
    from hocvu.psychometrics.irt import prob

    old = []
    for role_cells_ in cells.values():
        total = sum(c.count for c in role_cells_)
        expected = sum(
            c.count
            * float(
                np.mean([prob(0.0, i.a, i.relative_b, i.c) for i in pool[(c.competence, c.level)]])
            )
            for c in role_cells_
        )
        old.append(100 * expected / total)
    res["old_percent_cut"] = float(np.mean(old))
    from hocvu.psychometrics.standard_setting import bookmark_standard

    pages = std.booklet
    again = bookmark_standard(
        [p.item for p in pages], [p.a for p in pages], [p.b for p in pages],
        [p.c for p in pages], [p.level for p in pages], rp=std.rp,
    )  # fmt: skip
    res["standard"] = {
        "id": std.id,
        "method": std.method,
        "decided": std.decided.isoformat(),
        "booklet": len(pages),
        "levels": {
            str(level): {
                "cut": std.cut(level),
                "old": LEVEL_CUTS[level - 1],
                "offset": std.offset(level),
                "expected_correct": again.expected_correct[level][level],
            }
            for level in (1, 2, 3, 4)
        },
    }
    lengths = sorted({sum(c.count for c in cs) for r, cs in cells.items() if r in set(roles)})
    res["form_lengths"] = "–".join(str(x) for x in (lengths[0], lengths[-1]))
    if lengths[0] == lengths[-1]:
        res["form_lengths"] = str(lengths[0])
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["cpu_seconds"] = round(time.process_time() - c0, 1)
    md = to_markdown(res)
    if write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "standard.json").write_text(json.dumps(res, indent=1) + "\n")
        (RESULTS / "standard.md").write_text(md)
    print(md)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
