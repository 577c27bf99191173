"""The bookmark method and the accuracy indices at a cut."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hocvu.psychometrics.estimation import estimate_abilities
from hocvu.psychometrics.irt import prob
from hocvu.psychometrics.standard_setting import (
    RP67,
    bookmark_cut,
    bookmark_standard,
    classification_agreement,
    descriptor_bookmark,
    ordered_item_booklet,
    panel_cut,
    rp_location,
    rudner_indices,
)


def test_rp_location_is_where_the_item_is_answered_with_probability_rp() -> None:
    a = np.array([0.7, 1.0, 1.8, 1.2])
    b = np.array([-1.0, 0.0, 0.5, 2.0])
    c = np.array([0.0, 0.25, 0.2, 0.5])
    loc = rp_location(a, b, c)
    assert np.allclose(prob(loc, a, b, c), RP67)
    # 2PL at RP50 is the difficulty itself.
    assert rp_location(1.3, 0.4, 0.0, rp=0.5) == pytest.approx(0.4)
    # A higher response probability needs more ability.
    assert np.all(rp_location(a, b, c, rp=0.8) > loc)


@pytest.mark.parametrize(
    ("a", "c", "rp"),
    [(1.0, 0.7, RP67), (1.0, -0.1, RP67), (0.0, 0.0, RP67), (-1.0, 0.0, RP67), (1, 0, 1.0)],
)
def test_rp_location_refuses_what_has_no_location(a: float, c: float, rp: float) -> None:
    with pytest.raises(ValueError):
        rp_location(a, 0.0, c, rp=rp)


def test_rp_location_refuses_non_finite_parameters() -> None:
    with pytest.raises(ValueError, match="finite"):
        rp_location([1.0, 1.0], [0.0, math.nan], [0.0, 0.0])


def booklet_of(levels: list[int], locations: list[float]) -> object:
    # 2PL items with a = 1 whose RP67 location is the given one.
    shift = math.log(RP67 / (1 - RP67))
    b = [x - shift for x in locations]
    return ordered_item_booklet(
        [f"i{n}" for n in range(len(levels))], np.ones(len(levels)), b, np.zeros(len(levels)),
        levels,
    )  # fmt: skip


def test_booklet_orders_by_location_and_breaks_ties_by_id() -> None:
    booklet = ordered_item_booklet(
        ["z", "a", "m"], [1.0, 1.0, 1.0], [0.5, 0.5, -1.0], [0.0, 0.0, 0.0], [2, 2, 1]
    )
    assert booklet.ids == ("m", "a", "z")
    assert list(booklet.levels) == [1, 2, 2]
    assert np.all(np.diff(booklet.locations) >= 0)


def test_booklet_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="unique"):
        ordered_item_booklet(["a", "a"], [1, 1], [0, 0], [0, 0], [1, 1])
    with pytest.raises(ValueError, match="one value per item"):
        ordered_item_booklet(["a", "b"], [1], [0, 0], [0, 0], [1, 1])
    with pytest.raises(ValueError, match="levels"):
        ordered_item_booklet(["a"], [1], [0], [0], [0])
    with pytest.raises(ValueError, match="at least one"):
        ordered_item_booklet([], [], [], [], [])


def test_separated_levels_put_the_bookmark_at_the_boundary() -> None:
    booklet = booklet_of([1, 1, 1, 2, 2, 3], [-2.0, -1.5, -1.0, 0.0, 0.2, 1.0])
    one = descriptor_bookmark(booklet, 1)  # type: ignore[arg-type]
    assert (one.bookmark, one.contradicted) == (3, 0)
    assert one.cut == pytest.approx(-1.0)  # the hardest item the JQC must master
    two = descriptor_bookmark(booklet, 2)  # type: ignore[arg-type]
    assert two.bookmark == 5 and two.cut == pytest.approx(0.2)
    top = descriptor_bookmark(booklet, 3)  # type: ignore[arg-type]
    assert top.bookmark == 6 and top.cut == pytest.approx(1.0)


def test_interleaved_levels_take_the_bookmark_with_fewest_contradictions() -> None:
    # Pages: 1 1 2 1 2 2 -> for level 1, after page 2: one level-1 item after (1);
    # after page 4: one level-2 item before (1); ties -> the median (lower middle) one.
    booklet = booklet_of([1, 1, 2, 1, 2, 2], [-1.0, -0.8, -0.5, -0.4, 0.1, 0.3])
    mark = descriptor_bookmark(booklet, 1)  # type: ignore[arg-type]
    assert mark.contradicted == 1
    assert mark.ties == (2, 4)
    assert mark.bookmark == 2 and mark.cut == pytest.approx(-0.8)
    assert mark.above_before + mark.mastered_after == mark.contradicted


def test_bookmark_needs_mastered_items_and_a_page_in_the_booklet() -> None:
    booklet = booklet_of([2, 3], [0.0, 1.0])
    with pytest.raises(ValueError, match="no item"):
        descriptor_bookmark(booklet, 1)  # type: ignore[arg-type]
    for page in (0, 3, True):
        with pytest.raises(ValueError):
            bookmark_cut(booklet, page)  # type: ignore[arg-type]


def test_panel_cut_is_the_median_with_its_standard_error() -> None:
    booklet = booklet_of([1, 1, 2, 2, 3], [-1.0, 0.0, 1.0, 2.0, 3.0])
    cut, se = panel_cut(booklet, [2, 3, 4])  # type: ignore[arg-type]
    assert cut == pytest.approx(1.0)
    assert se == pytest.approx(1.0 / math.sqrt(3))
    one_cut, one_se = panel_cut(booklet, [3])  # type: ignore[arg-type]
    assert one_cut == pytest.approx(1.0) and one_se == 0.0
    with pytest.raises(ValueError):
        panel_cut(booklet, [])  # type: ignore[arg-type]


def provisional_bank() -> tuple[list[str], list[float], list[float], list[float], list[int]]:
    """Items as the platform starts them: a = 1, b in the middle of the level's band
    (cuts -1.5, -0.5, 0.5, 1.5), c by kind (typed 0, four options 0.25, true/false 0.5)."""
    ids, a, b, c, lv = [], [], [], [], []
    for level in (1, 2, 3, 4):
        for n, guess in enumerate((0.0, 0.25, 0.25, 0.5, 0.0, 0.25)):
            ids.append(f"L{level}-{n}")
            a.append(1.0)
            b.append(-2.0 + level)
            c.append(guess)
            lv.append(level)
    return ids, a, b, c, lv


def test_standard_on_provisional_items_is_rp67_on_the_hardest_items_of_each_level() -> None:
    ids, a, b, c, lv = provisional_bank()
    std = bookmark_standard(ids, a, b, c, lv)
    assert list(std.cuts) == [1, 2, 3, 4]
    for level, cut in std.cuts.items():
        # The hardest items of level L are the typed ones (c = 0) with b = L - 2.
        assert cut == pytest.approx(level - 2 + math.log(RP67 / (1 - RP67)))
    # At its cut a candidate answers about 3 in 4 of its level's items, more of easier ones.
    for level in std.cuts:
        own = std.expected_correct[level][level]
        assert 0.67 <= own < 0.85
        if level > 1:
            assert std.expected_correct[level][level - 1] > own
    assert std.items_per_level == {1: 6, 2: 6, 3: 6, 4: 6}
    assert std.n_items == 24 and "bookmark" in std.method


def test_standard_refuses_a_bank_whose_levels_run_backwards() -> None:
    ids = [f"i{n}" for n in range(8)]
    # Level 2 items easier than level 1 items: the cuts would not increase.
    b = [1.0, 1.1, 1.2, 1.3, -1.0, -0.9, -0.8, -0.7]
    with pytest.raises(ValueError, match="increase"):
        bookmark_standard(ids, np.ones(8), b, np.zeros(8), [1, 1, 1, 1, 2, 2, 2, 2])


def test_rudner_indices_at_and_far_from_the_cut() -> None:
    far = rudner_indices([3.0, -3.0], [0.2, 0.2], 0.0)
    assert far.accuracy == pytest.approx(1.0) and far.consistency == pytest.approx(1.0)
    assert far.pass_rate == 0.5
    on = rudner_indices([0.0], [0.3], 0.0)
    assert on.accuracy == pytest.approx(0.5) and on.consistency == pytest.approx(0.5)
    assert on.false_pass == pytest.approx(0.5) and on.false_fail == 0.0
    # A decision against the estimate is mostly wrong.
    against = rudner_indices([1.0], [0.5], 0.0, passed=[False])
    assert against.accuracy == pytest.approx(1 - 0.97725, abs=1e-4)
    with pytest.raises(ValueError):
        rudner_indices([0.0], [0.0], 0.0)
    with pytest.raises(ValueError):
        rudner_indices([0.0, 1.0], [0.3], 0.0)


def test_simulated_agreement_counts() -> None:
    truth = [True, True, False, False]
    first = [True, False, True, False]
    second = [True, False, False, False]
    rep = classification_agreement(truth, first, second)
    assert rep.accuracy == 0.5 and rep.consistency == 0.75
    assert rep.false_pass == 0.25 and rep.false_fail == 0.25
    assert math.isnan(classification_agreement(truth, first).consistency)
    with pytest.raises(ValueError):
        classification_agreement(truth, first[:3])


def test_rudner_accuracy_matches_a_simulation() -> None:
    # 40 items, true abilities N(0, 1), cut 0.5: Rudner's index from EAP estimates is
    # close to the accuracy the simulation observes against the true abilities.
    rng = np.random.default_rng(4)
    n, m = 4000, 40
    a = rng.uniform(0.8, 1.8, m)
    b = rng.normal(0.3, 0.8, m)
    theta = rng.standard_normal(n)
    u = (rng.random((n, m)) < prob(theta[:, None], a, b)).astype(np.int64)
    person, item = np.indices((n, m))
    est = estimate_abilities(person.ravel(), item.ravel(), u.ravel(), a, b, method="eap")
    observed = classification_agreement(theta >= 0.5, est.theta >= 0.5)
    expected = rudner_indices(est.theta, est.se, 0.5)
    assert abs(observed.accuracy - expected.accuracy) < 0.02
    assert 0.85 < observed.accuracy < 0.97
