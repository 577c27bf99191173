"""A linter for the item bank: the patterns that let a test-wise learner guess the key.

Pure functions over :class:`LintItem` (a plain snapshot of an item), so the same checks
run in the test suite on the shipped bank, in the authoring admin on one item or a
selection, and from a script over TOML files. Every :class:`Finding` names the item (or
the group of items) and says how to fix it.

Bank-level checks compare what the bank shows with what chance would give, with an exact
one-sided binomial tail: a pattern is reported only when chance explains it with a
probability below :data:`ALPHA`, so a small area is not flagged for a coin's luck.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Below this chance probability a bank-level pattern is reported.
ALPHA = 0.01
#: Token-set similarity at or above which two stems count as near-duplicates; from
#: DUPLICATE_PAIRED up, they do when the options are as alike too.
DUPLICATE_SIMILARITY = 0.6
DUPLICATE_PAIRED = 0.5
#: Stems shorter than this (in tokens) are not compared: "Which is safest?" repeats.
DUPLICATE_MIN_TOKENS = 6
#: An ordering key order may be shared by at most this many items.
ORDER_REUSE_LIMIT = 2
#: Secure exam items whose stems (or stems and options) are at least this alike are
#: proposed as enemies: lower than DUPLICATE_SIMILARITY, since two exam items that merely
#: overlap on one form already give each other away.
ENEMY_SIMILARITY = 0.4

CHOICE_KINDS = ("single", "scenario")


@dataclass(frozen=True)
class LintItem:
    """What the linter needs to know about an item."""

    code: str
    competence: str
    level: int
    kind: str
    stem: str
    options: tuple[str, ...] = ()
    answer: Any = None
    image: str = ""
    pool: str = "learning"
    topic: str = ""

    @property
    def area(self) -> str:
        return self.competence.split(".", 1)[0]


@dataclass(frozen=True)
class Finding:
    check: str
    codes: tuple[str, ...]
    message: str
    fix: str

    def __str__(self) -> str:
        return f"[{self.check}] {', '.join(self.codes)}: {self.message} Fix: {self.fix}"


@dataclass
class _Tally:
    hits: list[str] = field(default_factory=list)
    total: int = 0
    expected: float = 0.0  # sum of per-item chances


def lint_item_of(item: Any) -> LintItem:
    """A :class:`LintItem` from an ``Item`` row (or anything with the same attributes)."""
    competence = getattr(item, "competence_code", None) or item.competence.code
    return LintItem(
        code=item.code,
        competence=str(competence),
        level=int(item.level),
        kind=str(item.kind),
        stem=item.stem,
        options=tuple(str(o) for o in (item.options or [])),
        answer=item.answer,
        image=item.image or "",
        pool=str(getattr(item, "pool", "learning") or "learning"),
        topic=str(getattr(item, "topic", "") or ""),
    )


# --------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """NFC, lower case, no diacritics (đ → d), punctuation and Markdown to spaces."""
    text = unicodedata.normalize("NFC", text).casefold().replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def tokens(text: str) -> frozenset[str]:
    """The set of folded words: word order and repetition do not matter."""
    return frozenset(fold(text).split())


def similarity(a: str, b: str) -> float:
    """Token-set (Jaccard) similarity of two texts, 0..1."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def _length(text: str) -> int:
    return len(fold(text))


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), exactly."""
    if k <= 0:
        return 1.0
    return min(1.0, sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)))


def _poisson_binomial_tail(k: int, chances: Sequence[float]) -> float:
    """P(X ≥ k) for a sum of independent Bernoulli(p_i) (items differ in option count)."""
    dist = [1.0]
    for p in chances:
        nxt = [0.0] * (len(dist) + 1)
        for i, q in enumerate(dist):
            nxt[i] += q * (1 - p)
            nxt[i + 1] += q * p
        dist = nxt
    return min(1.0, sum(dist[k:]))


# --------------------------------------------------------------------------------------
# Checks on one item
# --------------------------------------------------------------------------------------


def check_item(item: LintItem, *, media: Iterable[str] | None = None) -> list[Finding]:
    """Findings that concern this item alone."""
    found: list[Finding] = []
    n = len(item.options)
    if item.kind == "multiple" and isinstance(item.answer, list):
        wrong = n - len(set(item.answer))
        if wrong <= 1:
            found.append(
                Finding(
                    "multiple-one-wrong",
                    (item.code,),
                    f"{wrong} wrong option(s) of {n}: ticking all but the absurd one scores.",
                    "Add at least one plausible wrong option (a common misconception).",
                )
            )
        if len(set(item.answer)) < 2:
            found.append(
                Finding(
                    "multiple-one-key",
                    (item.code,),
                    "A multiple-response item with a single keyed option.",
                    "Make it a single-choice item, or key more than one option.",
                )
            )
    if (
        item.kind == "ordering"
        and isinstance(item.answer, list)
        and list(item.answer) == sorted(item.answer)
    ):
        found.append(
            Finding(
                "ordering-shown-in-order",
                (item.code,),
                "The options are listed in the keyed order.",
                "List the steps in another order and renumber the key.",
            )
        )
    if item.kind == "scenario":
        names = set(media) if media is not None else None
        if not item.image:
            found.append(
                Finding(
                    "scenario-without-picture",
                    (item.code,),
                    "A scenario item has no picture.",
                    "Draw the screen or message as SVG and set `image`, or make it single.",
                )
            )
        elif names is not None and item.image not in names:
            found.append(
                Finding(
                    "scenario-picture-missing",
                    (item.code,),
                    f"The picture {item.image!r} does not exist.",
                    "Add the SVG to the media folder or fix the file name.",
                )
            )
    if item.kind in CHOICE_KINDS and n >= 3 and isinstance(item.answer, list) and item.answer:
        lengths = [_length(o) for o in item.options]
        key = lengths[item.answer[0]]
        others = [x for i, x in enumerate(lengths) if i != item.answer[0]]
        if key > 1.6 * max(others) and key - max(others) > 25:
            found.append(
                Finding(
                    "key-much-longer",
                    (item.code,),
                    "The key is far longer than every distractor.",
                    "Shorten the key or give the distractors the same precision.",
                )
            )
    return found


# --------------------------------------------------------------------------------------
# Checks over the bank
# --------------------------------------------------------------------------------------


def _rank_from_top(lengths: Sequence[int], index: int) -> int:
    """0 if ``index`` is the strictly longest option, 1 if second-longest, …"""
    return sum(1 for i, x in enumerate(lengths) if i != index and x >= lengths[index])


def check_key_length(items: Sequence[LintItem]) -> list[Finding]:
    """Per area: is the key the longest, or among the two longest, beyond chance?"""
    longest: dict[str, _Tally] = defaultdict(_Tally)
    top_two: dict[str, _Tally] = defaultdict(_Tally)
    chances_1: dict[str, list[float]] = defaultdict(list)
    chances_2: dict[str, list[float]] = defaultdict(list)
    for item in items:
        n = len(item.options)
        if item.kind not in CHOICE_KINDS or n < 3 or not isinstance(item.answer, list):
            continue
        rank = _rank_from_top([_length(o) for o in item.options], item.answer[0])
        chances_1[item.area].append(1 / n)
        chances_2[item.area].append(2 / n)
        longest[item.area].total += 1
        top_two[item.area].total += 1
        if rank == 0:
            longest[item.area].hits.append(item.code)
        if rank <= 1:
            top_two[item.area].hits.append(item.code)
    found: list[Finding] = []
    for area in sorted(longest):
        for name, tally, chances in (
            ("longest", longest[area], chances_1[area]),
            ("longest or second-longest", top_two[area], chances_2[area]),
        ):
            k, n = len(tally.hits), tally.total
            p = _poisson_binomial_tail(k, chances)
            if p < ALPHA:
                found.append(
                    Finding(
                        "key-length-cue",
                        tuple(tally.hits),
                        f"Area {area}: the key is the {name} option in {k} of {n} "
                        f"single-choice items (chance ≈ {sum(chances):.0f}; p = {p:.4f}).",
                        "Rewrite distractors to the key's length and precision, or "
                        "shorten keys, so that length says nothing.",
                    )
                )
    return found


def check_positions(items: Sequence[LintItem]) -> list[Finding]:
    """Per area: does the key sit at one position (A, B, C, …) beyond chance?"""
    by_area: dict[str, list[LintItem]] = defaultdict(list)
    for item in items:
        if item.kind in CHOICE_KINDS and len(item.options) >= 2 and item.answer:
            by_area[item.area].append(item)
    found: list[Finding] = []
    for area, group in sorted(by_area.items()):
        for position in range(max(len(i.options) for i in group)):
            eligible = [i for i in group if len(i.options) > position]
            hits = [i.code for i in eligible if i.answer[0] == position]
            p = _poisson_binomial_tail(len(hits), [1 / len(i.options) for i in eligible])
            if p < ALPHA:
                found.append(
                    Finding(
                        "answer-position",
                        tuple(hits),
                        f"Area {area}: the key is option {chr(65 + position)} in {len(hits)} "
                        f"of {len(eligible)} items (p = {p:.4f}).",
                        "Move some keys to other positions (reorder the options and "
                        "renumber the key).",
                    )
                )
        # Also fewer than chance at some position: a learner avoids it.
    return found


def check_ordering_reuse(items: Sequence[LintItem]) -> list[Finding]:
    """The same key order used by several ordering items is learnable."""
    orders: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for item in items:
        if item.kind == "ordering" and isinstance(item.answer, list):
            orders[tuple(item.answer)].append(item.code)
    return [
        Finding(
            "ordering-key-reused",
            tuple(codes),
            f"{len(codes)} ordering items share the key order {list(order)}.",
            "List the steps of some of them in another order and renumber the keys.",
        )
        for order, codes in sorted(orders.items())
        if len(codes) > ORDER_REUSE_LIMIT
    ]


def check_duplicates(items: Sequence[LintItem]) -> list[Finding]:
    """Pairs of items whose stems say the same thing (diacritics and word order ignored)."""
    found: list[Finding] = []
    prepared = []
    for item in items:
        stem = tokens(item.stem)
        if len(stem) >= DUPLICATE_MIN_TOKENS:
            prepared.append((item, stem, tokens(" ".join(item.options))))
    for (a, sa, oa), (b, sb, ob) in itertools.combinations(prepared, 2):
        stem_sim = len(sa & sb) / len(sa | sb)
        if stem_sim < DUPLICATE_PAIRED:
            continue
        whole_a, whole_b = sa | oa, sb | ob
        option_sim = len(whole_a & whole_b) / len(whole_a | whole_b)
        if stem_sim >= DUPLICATE_SIMILARITY or option_sim >= DUPLICATE_PAIRED:
            found.append(
                Finding(
                    "near-duplicate",
                    (a.code, b.code),
                    f"Stems are {stem_sim:.0%} alike (options {option_sim:.0%}).",
                    "Retire one, or rewrite it about a different situation or skill.",
                )
            )
    return found


def lint(items: Iterable[LintItem], *, media: Iterable[str] | None = None) -> list[Finding]:
    """Every finding for a bank (or a selection of it)."""
    items = list(items)
    names = list(media) if media is not None else None
    found: list[Finding] = []
    for item in items:
        found.extend(check_item(item, media=names))
    found.extend(check_positions(items))
    found.extend(check_key_length(items))
    found.extend(check_ordering_reuse(items))
    found.extend(check_duplicates(items))
    return found


def propose_enemies(
    items: Iterable[LintItem], linked: Iterable[tuple[str, str]] = ()
) -> list[Finding]:
    """Pairs of SECURE EXAM items that may test the same thing and are not enemies yet.

    Two exam items are proposed when their stems are :data:`ENEMY_SIMILARITY` alike (in
    the same competence), or their stems and options together are (anywhere in the
    pool). Items of one topic are enemies already (the exam never puts them on one
    form) and ``linked`` pairs are known: neither is proposed. Not part of :func:`lint`:
    a proposal is a question for an author, not a defect.
    """
    known = {frozenset(pair) for pair in linked}
    prepared = [
        (item, tokens(item.stem), tokens(item.stem + " " + " ".join(item.options)))
        for item in items
        if item.pool == "exam" and len(tokens(item.stem)) >= DUPLICATE_MIN_TOKENS
    ]
    found: list[Finding] = []
    for (a, sa, wa), (b, sb, wb) in itertools.combinations(prepared, 2):
        if frozenset((a.code, b.code)) in known:
            continue
        if a.topic and fold(a.topic) == fold(b.topic):
            continue
        stem_sim = len(sa & sb) / len(sa | sb)
        whole_sim = len(wa & wb) / len(wa | wb)
        if (a.competence == b.competence and stem_sim >= ENEMY_SIMILARITY) or (
            whole_sim >= ENEMY_SIMILARITY
        ):
            found.append(
                Finding(
                    "enemy-proposed",
                    (a.code, b.code),
                    f"Secure exam items alike: stems {stem_sim:.0%}, with options "
                    f"{whole_sim:.0%} (topics {a.topic or '—'} / {b.topic or '—'}).",
                    "If they test the same thing, link them as enemies (never on one "
                    "form) or give them one topic; otherwise rewrite one.",
                )
            )
    return found


def findings_for(code: str, findings: Iterable[Finding]) -> list[Finding]:
    """The findings that name the item ``code``."""
    return [f for f in findings if code in f.codes]


def summary(findings: Iterable[Finding]) -> Counter[str]:
    return Counter(f.check for f in findings)


def items_from_curriculum(paths: Iterable[Any], *, prefix: str = "Q") -> list[LintItem]:
    """The items of curriculum (``Q``) or secure exam (``X``) files, coded as installed."""
    import tomllib

    result: list[LintItem] = []
    for path in sorted(paths):
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        counters: dict[tuple[str, int], int] = {}
        for raw in data.get("items", []):
            comp, level = str(raw["competence"]), int(raw["level"])
            counters[(comp, level)] = counters.get((comp, level), 0) + 1
            result.append(
                LintItem(
                    code=f"{prefix}-{comp}-{level}-{counters[(comp, level)]:02d}",
                    competence=comp,
                    level=level,
                    kind=str(raw["kind"]),
                    stem=str(raw["stem"]),
                    options=tuple(str(o) for o in raw.get("options") or ()),
                    answer=raw.get("answer"),
                    image=str(raw.get("image", "")),
                    pool="exam" if prefix == "X" else "learning",
                    topic=str(raw.get("topic", "")),
                )
            )
    return result


def shipped_bank(curriculum: Any, exam: Any) -> list[LintItem]:
    """Both pools as shipped: the learning items (``Q-``) and the secure exam items (``X-``)."""
    return items_from_curriculum(curriculum.glob("area-*.toml")) + items_from_curriculum(
        exam.glob("area-*.toml"), prefix="X"
    )
