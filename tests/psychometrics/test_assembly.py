"""Form assembly: the same choices as the certification exam's own heuristic, blueprint
and exclusions respected, forms balanced at the cut, bad input refused."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from hocvu.psychometrics import irt
from hocvu.psychometrics.assembly import (
    AssembledForm,
    FormTarget,
    InfeasibleForm,
    assemble_form,
    deviation,
    form_target,
)

# --------------------------------------------------------------------------------------
# The reference: the exam's heuristic as it was written in hocvu/certification/exam.py
# (commit e50037c), with its own response function and information, minus Django.
# --------------------------------------------------------------------------------------

TCC_TOLERANCE = 0.5
INFO_TOLERANCE = 0.10
MAX_SWAPS = 60


@dataclass(frozen=True)
class RefItem:
    code: str
    a: float
    b: float  # already relative to the cut's scale
    c: float

    def p_at(self, theta: float) -> float:
        return self.c + (1.0 - self.c) / (1.0 + math.exp(-self.a * (theta - self.b)))

    def info_at(self, theta: float) -> float:
        p = min(max(self.p_at(theta), 1e-12), 1 - 1e-12)
        return self.a**2 * ((1 - p) / p) * ((p - self.c) / (1 - self.c)) ** 2


def ref_target(cells: list[list[RefItem]], counts: list[int], cut: float) -> tuple[float, float]:
    tcc = info = 0.0
    for items, n in zip(cells, counts, strict=True):
        tcc += n * sum(i.p_at(cut) for i in items) / len(items)
        info += n * sum(i.info_at(cut) for i in items) / len(items)
    return tcc, info


def ref_deviation(tcc: float, info: float, target: tuple[float, float]) -> float:
    return max(
        abs(tcc - target[0]) / TCC_TOLERANCE,
        abs(info - target[1]) / (INFO_TOLERANCE * target[1]) if target[1] > 0 else 0.0,
    )


def ref_assemble(
    cells: list[list[RefItem]],
    counts: list[int],
    seed: int,
    exclude: set[str],
    cut: float = 0.0,
    max_swaps: int = MAX_SWAPS,
) -> tuple[list[str], float, float, int, list[str]]:
    target = ref_target(cells, counts, cut)
    rng = random.Random(seed)
    seen = set(exclude)
    chosen: list[list[RefItem]] = []
    spare: list[list[RefItem]] = []
    reused: list[str] = []
    for cell_items, n in zip(cells, counts, strict=True):
        items = list(cell_items)
        fresh = [i for i in items if i.code not in seen]
        eligible = fresh if len(fresh) >= n else items
        picked = rng.sample(eligible, n)
        if eligible is items:
            reused += [i.code for i in picked if i.code in seen]
        chosen.append(picked)
        spare.append([i for i in eligible if i not in picked])
    p = {i.code: i.p_at(cut) for cell_items in cells for i in cell_items}
    inf = {i.code: i.info_at(cut) for cell_items in cells for i in cell_items}
    tcc = sum(p[i.code] for picked in chosen for i in picked)
    info = sum(inf[i.code] for picked in chosen for i in picked)
    swaps = 0
    current = ref_deviation(tcc, info, target)
    while current > 1.0 and swaps < max_swaps:
        best: tuple[float, int, int, int] | None = None
        for k in range(len(cells)):
            for out_pos, out in enumerate(chosen[k]):
                for in_pos, new in enumerate(spare[k]):
                    dev = ref_deviation(
                        tcc - p[out.code] + p[new.code],
                        info - inf[out.code] + inf[new.code],
                        target,
                    )
                    if dev < current - 1e-12 and (best is None or dev < best[0]):
                        best = (dev, k, out_pos, in_pos)
        if best is None:
            break
        current, k, out_pos, in_pos = best
        out, new = chosen[k][out_pos], spare[k][in_pos]
        chosen[k][out_pos], spare[k][in_pos] = new, out
        tcc += p[new.code] - p[out.code]
        info += inf[new.code] - inf[out.code]
        swaps += 1
    codes = [i.code for picked in chosen for i in picked]
    rng.shuffle(codes)
    return codes, tcc, info, swaps, reused


# --------------------------------------------------------------------------------------
# Seeded pools
# --------------------------------------------------------------------------------------


@dataclass
class Pool:
    cells: list[list[RefItem]]
    counts: list[int]

    @property
    def items(self) -> list[RefItem]:
        return [i for cell in self.cells for i in cell]

    def arrays(self) -> tuple[list[float], list[float], list[float], list[int]]:
        items = self.items
        cell = [k for k, members in enumerate(self.cells) for _ in members]
        return [i.a for i in items], [i.b for i in items], [i.c for i in items], cell

    def run(self, seed: int, exclude: set[str], max_swaps: int = MAX_SWAPS) -> AssembledForm:
        a, b, c, cell = self.arrays()
        return assemble_form(
            a,
            b,
            c,
            cell,
            self.counts,
            seed,
            exclude=np.array([i.code in exclude for i in self.items], dtype=bool),
            tcc_tolerance=TCC_TOLERANCE,
            info_tolerance=INFO_TOLERANCE,
            max_swaps=max_swaps,
        )

    def codes(self, indices: np.ndarray) -> list[str]:
        items = self.items
        return [items[j].code for j in indices.tolist()]


def random_pool(rng: random.Random) -> Pool:
    """Continuous parameters (varied a, b, c), 2-8 cells of 1-3 questions, few spares."""
    cells, counts = [], []
    for k in range(rng.randint(2, 8)):
        n = rng.randint(1, 3)
        counts.append(n)
        cells.append(
            [
                RefItem(f"i{k}-{m}", rng.uniform(0.4, 2.2), rng.uniform(-3, 3), rng.uniform(0, 0.4))
                for m in range(rng.randint(n + 1, n + 6))
            ]
        )
    return Pool(cells, counts)


def provisional_pool(rng: random.Random) -> Pool:
    """Like the shipped bank before calibration: a = 1, difficulty 0.5 above the level's
    cut, guessing 0 (typed), 0.25 (four options) or 0.5 (true/false): many items are
    exactly alike, so many exchanges tie exactly."""
    cells, counts = [], []
    for k in range(24):
        n = 1 + (k % 6 == 0)
        counts.append(n)
        cells.append(
            [
                RefItem(f"p{k}-{m}", 1.0, 0.5, rng.choice([0.0, 0.25, 0.5]))
                for m in range(rng.randint(3, 8))
            ]
        )
    return Pool(cells, counts)


def compare(pool: Pool, seeds: range, rng: random.Random) -> tuple[int, int]:
    """Assemble with both implementations; return (identical, exactly tied) counts and
    fail on anything else."""
    identical = tied = 0
    target = ref_target(pool.cells, pool.counts, 0.0)
    for seed in seeds:
        everything = [i.code for i in pool.items]
        exclude = (
            set(rng.sample(everything, rng.randint(0, len(everything)))) if seed % 2 else set()
        )
        max_swaps = 0 if seed % 5 == 0 else MAX_SWAPS
        codes, tcc, info, swaps, reused = ref_assemble(
            pool.cells, pool.counts, seed, exclude, max_swaps=max_swaps
        )
        form = pool.run(seed, exclude, max_swaps)
        assert form.swaps == swaps
        assert pool.codes(form.reused) == reused
        if pool.codes(form.items) == codes:
            identical += 1
            assert form.tcc == pytest.approx(tcc, rel=1e-12, abs=1e-12)
            assert form.info == pytest.approx(info, rel=1e-12, abs=1e-12)
        else:
            # Two exchanges equally good in exact arithmetic, told apart only by the last
            # bit of P (the two response functions round differently): equally balanced.
            tied += 1
            assert ref_deviation(form.tcc, form.info, target) == pytest.approx(
                ref_deviation(tcc, info, target), abs=1e-9
            )
    return identical, tied


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


def test_same_choices_as_the_exam_heuristic_on_varied_pools() -> None:
    rng = random.Random(2026)
    identical = tied = 0
    for trial in range(300):
        i, t = compare(random_pool(rng), range(trial * 7, trial * 7 + 7), rng)
        identical += i
        tied += t
    assert identical + tied == 2100
    assert tied <= 5  # ties need a coincidence in continuous parameters


def test_same_choices_as_the_exam_heuristic_on_a_provisional_bank() -> None:
    rng = random.Random(7)
    pool = provisional_pool(rng)
    a, b, c, cell = pool.arrays()
    target = form_target(a, b, c, cell, pool.counts)
    ref_tcc, ref_info = ref_target(pool.cells, pool.counts, 0.0)
    assert target.tcc == pytest.approx(ref_tcc, rel=1e-13)
    assert target.info == pytest.approx(ref_info, rel=1e-13)
    assert target.length == sum(pool.counts) == 28
    identical, tied = compare(pool, range(1000), rng)
    assert identical + tied == 1000
    assert identical >= 990


def test_values_at_the_cut_come_from_irt() -> None:
    rng = random.Random(3)
    pool = random_pool(rng)
    a, b, c, cell = pool.arrays()
    form = assemble_form(a, b, c, cell, pool.counts, seed=11, cut=0.3)
    chosen = form.items
    a_, b_, c_ = (np.asarray(v)[chosen] for v in (a, b, c))
    assert form.tcc == pytest.approx(float(irt.prob(0.3, a_, b_, c_).sum()), rel=1e-12)
    assert form.info == pytest.approx(float(irt.information(0.3, a_, b_, c_).sum()), rel=1e-12)
    # The target is the blueprint's average form: counts times the cell means.
    target = form_target(a, b, c, cell, pool.counts, cut=0.3)
    cells = np.asarray(cell)
    p = irt.prob(0.3, np.asarray(a), np.asarray(b), np.asarray(c))
    expected = sum(n * p[cells == k].mean() for k, n in enumerate(pool.counts))
    assert target.tcc == pytest.approx(expected, rel=1e-12)


def test_blueprint_exclusions_and_balance() -> None:
    rng = random.Random(5)
    pool = provisional_pool(rng)
    a, b, c, cell = pool.arrays()
    cells = np.asarray(cell)
    target = form_target(a, b, c, cell, pool.counts)
    seen = np.zeros(len(a), dtype=bool)
    seen[::3] = True
    forms = [
        assemble_form(a, b, c, cell, pool.counts, seed, exclude=seen, target=target)
        for seed in range(200)
    ]
    for form in forms:
        assert len(set(form.items.tolist())) == form.items.size == target.length
        assert Counter(cells[form.items].tolist()) == dict(enumerate(pool.counts))
        # Seen items only where their cell had too few others, and then reported.
        for k, n in enumerate(pool.counts):
            fresh = int((~seen[cells == k]).sum())
            used_seen = [j for j in form.items.tolist() if cells[j] == k and seen[j]]
            assert (not used_seen) if fresh >= n else set(used_seen) <= set(form.reused.tolist())
        assert deviation(form.tcc, form.info, target) <= 1.0
    # Same seed, same form; different seeds, different forms.
    again = assemble_form(a, b, c, cell, pool.counts, 3, exclude=seen, target=target)
    assert again.items.tolist() == forms[3].items.tolist()
    assert len({tuple(sorted(f.items.tolist())) for f in forms}) > 150


def test_without_reuse_a_seen_item_is_never_drawn() -> None:
    rng = random.Random(5)
    pool = provisional_pool(rng)
    a, b, c, cell = pool.arrays()
    cells = np.asarray(cell)
    seen = np.zeros(len(a), dtype=bool)
    # Leave every cell exactly as many unseen items as it asks for, where it can.
    for k, n in enumerate(pool.counts):
        members = np.flatnonzero(cells == k)
        seen[members[n:]] = True
    for seed in range(50):
        form = assemble_form(a, b, c, cell, pool.counts, seed, exclude=seen, reuse=False)
        assert not seen[form.items].any() and form.reused.size == 0
    # One more seen item in a cell that asks for one: no form, and the cell is named.
    k = next(k for k, n in enumerate(pool.counts) if n >= 1)
    seen[np.flatnonzero(cells == k)] = True
    with pytest.raises(InfeasibleForm, match=f"cell {k} has 0 unseen") as caught:
        assemble_form(a, b, c, cell, pool.counts, 1, exclude=seen, reuse=False)
    assert caught.value.cell == k


def test_enemies_never_share_a_form() -> None:
    rng = random.Random(11)
    pool = provisional_pool(rng)
    a, b, c, cell = pool.arrays()
    cells = np.asarray(cell)
    n_items = len(a)
    # Pair every item with a random other one: a dense enemy graph, across cells too.
    pairs = [(j, rng.randrange(n_items)) for j in range(n_items)]
    target = form_target(a, b, c, cell, pool.counts)
    for seed in range(100):
        form = assemble_form(a, b, c, cell, pool.counts, seed, enemies=pairs, target=target)
        on_form = set(form.items.tolist())
        assert not any(x in on_form and y in on_form and x != y for x, y in pairs)
        assert Counter(cells[form.items].tolist()) == dict(enumerate(pool.counts))


def test_enemies_that_leave_a_cell_short_raise_infeasible() -> None:
    # Two cells of two items each, one item from each; every item is an enemy of both
    # items of the other cell: no form exists.
    args = {"a": [1.0] * 4, "b": [0.0] * 4, "c": [0.0] * 4, "cell": [0, 0, 1, 1]}
    pairs = [(0, 2), (0, 3), (1, 2), (1, 3)]
    with pytest.raises(InfeasibleForm, match="enemies"):
        assemble_form(**args, counts=[1, 1], seed=3, enemies=pairs)  # type: ignore[arg-type]
    # One pair fewer: a form exists, and it is always the one allowed.
    for seed in range(20):
        form = assemble_form(**args, counts=[1, 1], seed=seed, enemies=pairs[:3])  # type: ignore[arg-type]
        assert sorted(form.items.tolist()) == [1, 3]
    with pytest.raises(ValueError, match="pairs of indices"):
        assemble_form(**args, counts=[1, 1], seed=3, enemies=[(0, 9)])  # type: ignore[arg-type]


def test_swaps_bring_random_draws_within_tolerance() -> None:
    rng = random.Random(9)
    pool = provisional_pool(rng)
    a, b, c, cell = pool.arrays()
    target = form_target(a, b, c, cell, pool.counts)
    raw = [assemble_form(a, b, c, cell, pool.counts, s, max_swaps=0) for s in range(300)]
    balanced = [assemble_form(a, b, c, cell, pool.counts, s) for s in range(300)]
    assert sum(deviation(f.tcc, f.info, target) > 1.0 for f in raw) > 0
    assert all(deviation(f.tcc, f.info, target) <= 1.0 for f in balanced)
    assert all(f.swaps == 0 for f in raw)


def test_deviation_is_in_units_of_the_tolerances() -> None:
    target = FormTarget(tcc=10.0, info=4.0, length=20)
    assert deviation(10.5, 4.0, target) == pytest.approx(1.0)
    assert deviation(10.0, 3.6, target) == pytest.approx(1.0)
    assert deviation(10.25, 4.8, target) == pytest.approx(2.0)
    assert deviation(11.0, 0.0, FormTarget(10.0, 0.0, 1)) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"a": [1.0, 1.0], "b": [0.0]}, "same length"),
        ({"a": [1.0, -1.0]}, "positive"),
        ({"c": [0.0, 1.0]}, r"\[0, 1\)"),
        ({"b": [0.0, np.nan]}, "finite"),
        ({"cell": [0, 2]}, "cell must hold"),
        ({"cell": [0.0, 1.0]}, "cell must hold"),
        ({"counts": [1, -1]}, "non-negative"),
        ({"counts": [2, 1]}, "cell 0 has 1 items"),
        ({"exclude": [True]}, "exclude"),
        ({"tcc_tolerance": 0.0}, "positive"),
        ({"max_swaps": -1}, "max_swaps"),
        ({"cut": math.inf}, "cut"),
    ],
)
def test_bad_input_raises_clear_value_error(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "a": [1.0, 1.2],
        "b": [0.0, 0.5],
        "c": [0.2, 0.0],
        "cell": [0, 1],
        "counts": [1, 1],
        "seed": 1,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        assemble_form(**args)  # type: ignore[arg-type]


def test_an_empty_blueprint_gives_an_empty_form() -> None:
    form = assemble_form([], [], [], [], [], seed=1, exclude=[])
    assert form.items.size == 0 and form.reused.size == 0
    assert (form.tcc, form.info, form.swaps) == (0.0, 0.0, 0)
