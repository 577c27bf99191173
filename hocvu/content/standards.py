"""The recorded standard: where on the ability scale each framework level is reached.

The cut scores come from a standard-setting study (the bookmark method at RP67 on the
item parameters, :mod:`hocvu.psychometrics.standard_setting`; decision 0010) and are
kept as a versioned decision record, ``data/standards.toml``: one entry per study with
its method, date, the date it applies from, the inputs (the whole ordered item booklet:
every item with its parameters, level, RP location and page) and the cut of every level.
Every "is this level reached?" decision on the platform reads the cuts from here: the
certification exam's pass mark (:mod:`hocvu.certification.pass_mark`), placement's
classification of each competence against the role's target
(:mod:`hocvu.assessment.bank`), and the levels stored for a learner
(:func:`hocvu.learning.services.level_reached`).

A new study appends a new entry (``manage.py set_standard --write``); entries are never
edited, and an exam is scored by the standard in force when it started.
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hocvu.psychometrics.classification import LEVEL_CUTS
from hocvu.psychometrics.standard_setting import StandardResult, bookmark_standard

STANDARDS = Path(__file__).parent / "data" / "standards.toml"

__all__ = [
    "STANDARDS",
    "BookletPage",
    "Standard",
    "StandardError",
    "in_force",
    "level_cuts",
    "load",
    "render_entry",
    "run_study",
]


class StandardError(ValueError):
    """The decision record is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class BookletPage:
    page: int
    item: str
    level: int
    a: float
    b: float
    c: float
    location: float


@dataclass(frozen=True)
class Standard:
    """One standard-setting decision."""

    id: str
    decided: date
    in_force_from: date
    method: str
    rp: float
    cuts: Mapping[int, float]
    inputs: str
    booklet: tuple[BookletPage, ...]
    bookmarks: Mapping[int, int]
    rationale: str = ""

    def cut(self, level: int) -> float:
        """The ability at which ``level`` is reached."""
        try:
            return self.cuts[int(level)]
        except KeyError:
            raise StandardError(f"standard {self.id} has no cut for level {level}") from None

    def offset(self, level: int) -> float:
        """The cut of ``level`` relative to the lower end of its band in ``LEVEL_CUTS``
        (the scale the item bank is written on): where a level is reached on the
        target-relative scale of the exam."""
        return self.cut(level) - LEVEL_CUTS[int(level) - 1]

    @property
    def level_cuts(self) -> tuple[float, ...]:
        """The cuts of levels 1..4, in order (the shape of ``LEVEL_CUTS``)."""
        return tuple(self.cut(level) for level in range(1, len(LEVEL_CUTS) + 1))


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise StandardError(f"{where} must be a date")


def _parse(raw: Mapping[str, Any], pos: int) -> Standard:
    where = f"standards[{pos}]"
    try:
        cuts = {int(k): float(v) for k, v in raw["cuts"].items()}
        pages = tuple(
            BookletPage(
                page=int(p["page"]),
                item=str(p["item"]),
                level=int(p["level"]),
                a=float(p["a"]),
                b=float(p["b"]),
                c=float(p["c"]),
                location=float(p["location"]),
            )
            for p in raw.get("booklet", [])
        )
        std = Standard(
            id=str(raw["id"]),
            decided=_as_date(raw["decided"], f"{where}.decided"),
            in_force_from=_as_date(raw["in_force_from"], f"{where}.in_force_from"),
            method=str(raw["method"]),
            rp=float(raw["rp"]),
            cuts=cuts,
            inputs=str(raw.get("inputs", "")),
            booklet=pages,
            bookmarks={int(k): int(v) for k, v in raw.get("bookmarks", {}).items()},
            rationale=str(raw.get("rationale", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StandardError(f"{where}: {exc}") from exc
    levels = sorted(std.cuts)
    if levels != list(range(1, len(LEVEL_CUTS) + 1)):
        raise StandardError(f"{where}: cuts for levels 1..{len(LEVEL_CUTS)} are required")
    values = [std.cuts[level] for level in levels]
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise StandardError(f"{where}: cuts must increase with the level")
    return std


def load(path: Path | None = None) -> tuple[Standard, ...]:
    """Every recorded standard, oldest first (by the date it applies from)."""
    return _load(path or STANDARDS)


@functools.cache
def _load(path: Path) -> tuple[Standard, ...]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StandardError(f"{path.name}: {exc}") from exc
    out = [_parse(raw, pos) for pos, raw in enumerate(data.get("standards", []))]
    if not out:
        raise StandardError(f"{path.name} records no standard")
    ids = [s.id for s in out]
    if len(set(ids)) != len(ids):
        raise StandardError(f"{path.name}: standard ids must be unique")
    return tuple(sorted(out, key=lambda s: (s.in_force_from, s.decided, s.id)))


def in_force(at: date | datetime | None = None, *, path: Path | None = None) -> Standard:
    """The standard that applies on ``at`` (default today): the latest whose
    ``in_force_from`` is not after it; before the first one, the first one."""
    day = at.date() if isinstance(at, datetime) else at or date.today()
    recorded = load(path)
    current = recorded[0]
    for std in recorded:
        if std.in_force_from <= day:
            current = std
    return current


def level_cuts(at: date | datetime | None = None) -> tuple[float, ...]:
    """The cut of every level (1..4) by the standard in force."""
    return in_force(at).level_cuts


# ---------------------------------------------------------------------------------------
# Running a study and writing its record
# ---------------------------------------------------------------------------------------


def run_study(
    items: Iterable[tuple[str, float, float, float, int]], *, rp: float = 0.67
) -> StandardResult:
    """The bookmark study on ``(code, a, b, c, level)`` items."""
    rows = sorted(items)
    if not rows:
        raise StandardError("no items to set a standard on")
    codes, a, b, c, levels = zip(*rows, strict=True)
    return bookmark_standard(codes, a, b, c, levels, rp=rp)


def _f(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".") if x != int(x) else f"{x:.1f}"


def render_entry(
    result: StandardResult,
    items: Sequence[tuple[str, float, float, float, int]],
    *,
    id: str,
    decided: date,
    in_force_from: date,
    inputs: str,
    rationale: str = "",
) -> str:
    """The TOML text of one ``[[standards]]`` entry (appended to the record)."""
    from hocvu.psychometrics.standard_setting import ordered_item_booklet

    rows = sorted(items)
    codes, a, b, c, levels = zip(*rows, strict=True)
    booklet = ordered_item_booklet(codes, a, b, c, levels, rp=result.rp)
    params = {code: (aa, bb, cc) for code, aa, bb, cc, _ in rows}
    lines = [
        "[[standards]]",
        f'id = "{id}"',
        f"decided = {decided.isoformat()}",
        f"in_force_from = {in_force_from.isoformat()}",
        f'method = "{result.method}"',
        f"rp = {_f(result.rp)}",
        f'inputs = "{inputs}"',
    ]
    if rationale:
        lines.append(f'rationale = """{rationale}"""')
    lines.append(
        "cuts = { " + ", ".join(f'"{k}" = {v:.4f}' for k, v in sorted(result.cuts.items())) + " }"
    )
    lines.append(
        "bookmarks = { "
        + ", ".join(f'"{k}" = {m.bookmark}' for k, m in sorted(result.bookmarks.items()))
        + " }"
    )
    lines.append(
        "contradicted = { "
        + ", ".join(f'"{k}" = {m.contradicted}' for k, m in sorted(result.bookmarks.items()))
        + " }"
    )
    lines.append("booklet = [")
    for page, (code, loc, level) in enumerate(
        zip(booklet.ids, booklet.locations, booklet.levels, strict=True), start=1
    ):
        aa, bb, cc = params[code]
        lines.append(
            f'  {{ page = {page}, item = "{code}", level = {int(level)}, a = {_f(aa)}, '
            f"b = {_f(bb)}, c = {_f(cc)}, location = {float(loc):.4f} }},"
        )
    lines.append("]")
    return "\n".join(lines) + "\n"
