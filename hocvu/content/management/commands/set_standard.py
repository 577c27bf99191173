"""Run the standard-setting study (bookmark, RP67) on the item bank and record it.

    manage.py set_standard                 # print the study on the installed bank
    manage.py set_standard --shipped       # the shipped items, provisional parameters
    manage.py set_standard --write --id 2027-06-calibrated --in-force-from 2027-07-01
    manage.py set_standard --check         # has the bank moved since the standard in force?

Decision 0010 explains the method; ``hocvu/content/data/standards.toml`` keeps every
study (never edited, only appended to).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hocvu.content import linter, services, standards
from hocvu.content.models import Item, ItemStatus

Row = tuple[str, float, float, float, int]


def shipped_rows() -> list[Row]:
    """Both shipped pools with the provisional parameters they are installed with."""
    rows = []
    for item in linter.shipped_bank(services.CURRICULUM, services.EXAM):
        a, b, c = services.provisional_parameters(item.level, item.kind, len(item.options))
        rows.append((item.code, a, b, c, item.level))
    return rows


def installed_rows(version_code: str | None) -> list[Row]:
    """The operational items of both pools of a framework version (default: the default
    program's), with their current (calibrated or provisional) parameters."""
    items = Item.objects.filter(status=ItemStatus.OPERATIONAL)
    if version_code:
        try:
            items = items.filter(competence__version__uuid=version_code)
            items.exists()
        except (ValidationError, ValueError) as exc:
            raise CommandError(f"--framework: {exc}") from exc
    else:
        program = services.default_program()
        if program is None:
            raise CommandError("no program installed; name a framework version with --framework")
        items = items.filter(competence__version=program.framework_version)
    return [
        (code, float(a), float(b), float(c), int(level))
        for code, a, b, c, level in items.values_list("code", "a", "b", "c", "level")
    ]


class Command(BaseCommand):
    help = "Set the cut score of every level by the bookmark method (RP67) and record it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shipped", action="store_true", help="the shipped item files")
        parser.add_argument("--framework", help="framework version uuid (installed bank)")
        parser.add_argument("--id", help="id of the new standard (default: decided-date)")
        parser.add_argument("--in-force-from", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--rationale", default="", help="why the study was run")
        parser.add_argument("--write", action="store_true", help="append to the record")
        parser.add_argument("--check", action="store_true", help="compare with the record")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = shipped_rows() if options["shipped"] else installed_rows(options["framework"])
        if not rows:
            raise CommandError("the bank has no operational items")
        if options["check"]:
            self._check(rows)
            return
        try:
            result = standards.run_study(rows)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        today = date.today()
        try:
            raw = options["in_force_from"]
            start = date.fromisoformat(raw) if raw else today
        except ValueError as exc:
            raise CommandError(f"--in-force-from: {exc}") from exc
        ident = options["id"] or today.isoformat()
        try:
            known = {s.id for s in standards.load()}
        except standards.StandardError:
            known = set()  # the first study
        if ident in known:
            raise CommandError(f"a standard with id {ident!r} is already recorded")
        levels = sorted(result.items_per_level.items())
        inputs = (
            ("the shipped" if options["shipped"] else "the installed")
            + f" operational items of both pools, {len(rows)} items ("
            + ", ".join(f"level {lv}: {n}" for lv, n in levels)
            + "); parameters "
            + ("provisional (a = 1, b mid-band, c by kind)" if options["shipped"] else "as stored")
        )
        text = standards.render_entry(
            result,
            rows,
            id=ident,
            decided=today,
            in_force_from=start,
            inputs=inputs,
            rationale=options["rationale"],
        )
        for level, cut in sorted(result.cuts.items()):
            mark = result.bookmarks[level]
            share = result.expected_correct[level][level]
            self.stderr.write(
                f"level {level}: cut {cut:+.3f} (bookmark after page {mark.bookmark} of "
                f"{result.n_items}, {mark.contradicted} judgements contradicted); at the cut "
                f"{share:.0%} of level-{level} items answered correctly on average"
            )
        if options["write"]:
            with standards.STANDARDS.open("a", encoding="utf-8") as handle:
                handle.write("\n" + text)
            standards._load.cache_clear()
            self.stderr.write(f"recorded as {ident!r} in {standards.STANDARDS.name}")
        else:
            self.stdout.write(text)

    def _check(self, rows: list[Row]) -> None:
        std = standards.in_force()
        recorded = {p.item: (p.a, p.b, p.c, p.level) for p in std.booklet}
        now = {code: (a, b, c, level) for code, a, b, c, level in rows}
        added = sorted(set(now) - set(recorded))
        gone = sorted(set(recorded) - set(now))
        changed = sorted(
            code
            for code in set(now) & set(recorded)
            if any(abs(x - y) > 1e-6 for x, y in zip(now[code], recorded[code], strict=True))
        )
        result = standards.run_study(rows)
        self.stdout.write(
            f"standard in force: {std.id} (from {std.in_force_from}); since then "
            f"{len(added)} items added, {len(gone)} gone, {len(changed)} with new parameters"
        )
        for level, cut in sorted(result.cuts.items()):
            self.stdout.write(
                f"  level {level}: recorded {std.cut(level):+.3f}, the bank now gives {cut:+.3f}"
            )
