"""Draw a reproducible, stratified sample of the shipped content for a subject review.

    manage.py sample_review --seed 20261205 --items 30 --lessons 10
    manage.py sample_review --seed 20261205 --show      # with stems, keys and lesson texts

The same seed and the same shipped files give the same sample. The rule
(docs/content-review.md):

* Items come from both pools as :func:`hocvu.content.linter.shipped_bank` codes them
  (learning ``Q-``, secure exam ``X-``). Slots are dealt round-robin over the areas (in
  an order shuffled by the seed), and each area's levels follow one seeded permutation
  shifted by the area's place, so every round covers the four levels and no level
  repeats in an area before all four have come. The exam pool gets its share of the slots
  by size (384 of 1152 items: 10 of 30), spread over the areas as evenly as possible; each
  slot then takes one item at random, without repetition, from its pool, area and level.
* Lessons (one per competence and level in the curriculum files) are dealt over the
  areas and levels the same way, from a fresh generator with the same seed (adding items
  does not move the lesson sample); each slot takes a random lesson of its area and level.
"""

from __future__ import annotations

import random
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hocvu.content import linter, services

LEVELS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Unit:
    """A sampled item or lesson: its code, where it lives and (for --show) its text."""

    code: str
    area: str
    level: int
    pool: str
    source: str
    raw: dict[str, Any]


def _items(curriculum: Path, exam: Path) -> list[Unit]:
    """Every shipped item with the code the linter (and the installer) gives it."""
    coded = linter.shipped_bank(curriculum, exam)
    raws: list[tuple[str, dict[str, Any]]] = []
    for folder in (curriculum, exam):
        for path in sorted(folder.glob("area-*.toml")):
            with open(path, "rb") as handle:
                raws.extend((path.name, raw) for raw in tomllib.load(handle).get("items", []))
    if len(raws) != len(coded):
        raise CommandError("the item files changed while they were read")
    units = []
    for item, (name, raw) in zip(coded, raws, strict=True):
        if (str(raw["competence"]), int(raw["level"])) != (item.competence, item.level):
            raise CommandError(f"{item.code}: files and codes disagree")
        where = "exam" if item.pool == "exam" else "curriculum"
        units.append(Unit(item.code, item.area, item.level, item.pool, f"{where}/{name}", raw))
    return units


def _lessons(curriculum: Path) -> list[Unit]:
    units = []
    for path in sorted(curriculum.glob("area-*.toml")):
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        for module in data.get("modules", []):
            competence = str(module["competence"])
            for lesson in module.get("lessons", []):
                level = int(lesson["level"])
                units.append(
                    Unit(
                        f"{module['code']} L{level}",
                        competence.split(".", 1)[0],
                        level,
                        "lesson",
                        f"curriculum/{path.name}",
                        lesson,
                    )
                )
    return units


def _slots(rng: random.Random, areas: list[str], n: int) -> list[tuple[str, int]]:
    """``n`` (area, level) slots: round-robin over shuffled areas, levels in a Latin square."""
    order = list(areas)
    rng.shuffle(order)
    levels = list(LEVELS)
    rng.shuffle(levels)
    slots = []
    for k in range(n):
        rnd, place = divmod(k, len(order))
        slots.append((order[place], levels[(rnd + place) % len(levels)]))
    return slots


def _exam_slots(rng: random.Random, slots: list[tuple[str, int]], n_exam: int) -> set[int]:
    """Which slot indices draw from the exam pool: ``n_exam`` of them, spread over areas."""
    by_area: dict[str, list[int]] = defaultdict(list)
    for index, (area, _level) in enumerate(slots):
        by_area[area].append(index)
    areas = sorted(by_area)
    rng.shuffle(areas)
    chosen: set[int] = set()
    # Deal the exam slots one area at a time, as a dealer deals cards.
    queues = {area: rng.sample(by_area[area], len(by_area[area])) for area in areas}
    while len(chosen) < n_exam:
        progressed = False
        for area in areas:
            if len(chosen) < n_exam and queues[area]:
                chosen.add(queues[area].pop())
                progressed = True
        if not progressed:
            break
    return chosen


def draw(
    seed: int, n_items: int, n_lessons: int, *, curriculum: Path, exam: Path
) -> tuple[list[Unit], list[Unit]]:
    """The sample for ``seed``: (items, lessons), each in the order they were drawn."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret  # nosec B311
    items = _items(curriculum, exam)
    strata: dict[tuple[str, str, int], list[Unit]] = defaultdict(list)
    for unit in items:
        strata[(unit.pool, unit.area, unit.level)].append(unit)
    areas = sorted({u.area for u in items})
    slots = _slots(rng, areas, n_items)
    n_exam = round(n_items * sum(u.pool == "exam" for u in items) / max(len(items), 1))
    exam_slots = _exam_slots(rng, slots, n_exam)
    picked: list[Unit] = []
    for index, (area, level) in enumerate(slots):
        pool = "exam" if index in exam_slots else "learning"
        left = [u for u in strata[(pool, area, level)] if u not in picked]
        if not left:
            raise CommandError(f"no {pool} item left for area {area}, level {level}")
        picked.append(rng.choice(left))

    # A fresh generator: the lesson sample does not move when items are added.
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret  # nosec B311
    lessons = _lessons(curriculum)
    by_place: dict[tuple[str, int], list[Unit]] = defaultdict(list)
    for unit in lessons:
        by_place[(unit.area, unit.level)].append(unit)
    chosen: list[Unit] = []
    for area, level in _slots(rng, sorted({u.area for u in lessons}), n_lessons):
        left = [u for u in by_place[(area, level)] if u not in chosen]
        if not left:
            raise CommandError(f"no lesson left for area {area}, level {level}")
        chosen.append(rng.choice(left))
    return picked, chosen


def _show_item(raw: dict[str, Any]) -> list[str]:
    lines = [f"    [{raw['kind']}] {raw['stem']}"]
    if raw.get("image"):
        lines.append(f"    image: {raw['image']}")
    for index, option in enumerate(raw.get("options") or []):
        lines.append(f"      {chr(65 + index)}. {option}")
    key = raw.get("answer", raw.get("accepted"))
    if raw.get("tolerance") is not None:
        key = f"{key} ± {raw['tolerance']}"
    lines.append(f"    key: {key}")
    if raw.get("accepted"):
        lines.append(f"    accepted: {raw['accepted']}")
    lines.append(f"    explanation: {raw['explanation']}")
    if raw.get("cites"):
        lines.append(f"    cites: {', '.join(raw['cites'])}")
    return lines


class Command(BaseCommand):
    help = "Draw a reproducible stratified sample of items (both pools) and lessons to review."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, required=True, help="record it with the review")
        parser.add_argument("--items", type=int, default=30)
        parser.add_argument("--lessons", type=int, default=10)
        parser.add_argument("--show", action="store_true", help="print the texts and keys")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["items"] < 0 or options["lessons"] < 0:
            raise CommandError("--items and --lessons must not be negative")
        items, lessons = draw(
            options["seed"],
            options["items"],
            options["lessons"],
            curriculum=services.CURRICULUM,
            exam=services.EXAM,
        )
        show = options["show"]
        self.stdout.write(f"seed {options['seed']}: {len(items)} items, {len(lessons)} lessons")
        for unit in items:
            self.stdout.write(f"{unit.code}  ({unit.pool}, {unit.source})")
            if show:
                self.stdout.write("\n".join(_show_item(unit.raw)))
        for unit in lessons:
            self.stdout.write(f"{unit.code}  {unit.raw['title']}  ({unit.source})")
            if show:
                self.stdout.write(unit.raw["body"])
                if unit.raw.get("transcript"):
                    self.stdout.write("--- transcript ---\n" + unit.raw["transcript"])
