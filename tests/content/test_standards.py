"""The recorded standard (decision 0010): parsed, re-derivable from its own inputs, dated."""

from __future__ import annotations

import io
import itertools
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from hocvu.content import standards
from hocvu.psychometrics.classification import LEVEL_CUTS
from hocvu.psychometrics.standard_setting import bookmark_standard, rp_location


def test_the_shipped_record_is_a_valid_standard_in_force() -> None:
    std = standards.in_force()
    assert std.method.startswith("bookmark, RP67")
    assert std.rp == pytest.approx(0.67)
    cuts = std.level_cuts
    assert len(cuts) == len(LEVEL_CUTS)
    assert all(b > a for a, b in itertools.pairwise(cuts))
    # Reaching a level asks more than the bottom of its band: the old pass rule.
    assert all(std.offset(level) > 0 for level in (1, 2, 3, 4))
    assert standards.level_cuts() == cuts
    assert std.booklet and std.inputs


def test_the_record_is_re_derived_from_its_own_booklet() -> None:
    # The record keeps every input; running the method on them gives the recorded cuts
    # and bookmarks, so neither the code nor the record can drift from the other.
    for std in standards.load():
        pages = std.booklet
        assert [p.page for p in pages] == list(range(1, len(pages) + 1))
        a = np.array([p.a for p in pages])
        b = np.array([p.b for p in pages])
        c = np.array([p.c for p in pages])
        assert np.allclose(rp_location(a, b, c, rp=std.rp), [p.location for p in pages], atol=1e-4)
        assert all(x.location <= y.location for x, y in itertools.pairwise(pages))
        again = bookmark_standard(
            [p.item for p in pages], a, b, c, [p.level for p in pages], rp=std.rp
        )
        assert {k: round(v, 4) for k, v in again.cuts.items()} == pytest.approx(dict(std.cuts))
        assert {k: m.bookmark for k, m in again.bookmarks.items()} == dict(std.bookmarks)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "standards.toml"
    path.write_text(body, encoding="utf-8")
    return path


ENTRY = """
[[standards]]
id = "{id}"
decided = {decided}
in_force_from = {start}
method = "bookmark, RP67, descriptor judgements"
rp = 0.67
cuts = {cuts}
"""


def test_the_standard_in_force_follows_the_dates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ENTRY.format(
            id="old", decided="2026-01-01", start="2026-01-01",
            cuts='{ "1" = -1.0, "2" = 0.0, "3" = 1.0, "4" = 2.0 }',
        )
        + ENTRY.format(
            id="new", decided="2026-06-01", start="2026-07-01",
            cuts='{ "1" = -0.5, "2" = 0.5, "3" = 1.5, "4" = 2.5 }',
        ),
    )  # fmt: skip
    assert standards.in_force(date(2026, 6, 30), path=path).id == "old"
    assert standards.in_force(date(2026, 7, 1), path=path).id == "new"
    assert standards.in_force(date(2025, 1, 1), path=path).id == "old"  # before any: the first
    assert standards.in_force(date(2026, 8, 1), path=path).cut(3) == 1.5


@pytest.mark.parametrize(
    ("cuts", "message"),
    [
        ('{ "1" = -1.0, "2" = 0.0, "3" = 1.0 }', "levels 1..4"),
        ('{ "1" = -1.0, "2" = 0.0, "3" = -0.5, "4" = 2.0 }', "increase"),
        ('{ "1" = -1.0, "2" = "x", "3" = 1.0, "4" = 2.0 }', "standards"),
    ],
)
def test_a_malformed_record_is_refused(tmp_path: Path, cuts: str, message: str) -> None:
    path = write(
        tmp_path, ENTRY.format(id="x", decided="2026-01-01", start="2026-01-01", cuts=cuts)
    )
    with pytest.raises(standards.StandardError, match=message):
        standards.load(path)


def test_an_empty_or_ambiguous_record_is_refused(tmp_path: Path) -> None:
    with pytest.raises(standards.StandardError, match="no standard"):
        standards.load(write(tmp_path, "# nothing yet\n"))
    twice = ENTRY.format(
        id="same", decided="2026-01-01", start="2026-01-01",
        cuts='{ "1" = -1.0, "2" = 0.0, "3" = 1.0, "4" = 2.0 }',
    )  # fmt: skip
    (tmp_path / "b").mkdir()
    with pytest.raises(standards.StandardError, match="unique"):
        standards.load(write(tmp_path / "b", twice + twice))


def test_set_standard_prints_and_records_a_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("set_standard", "--shipped", stdout=out, stderr=err)
    text = out.getvalue()
    assert text.startswith("[[standards]]") and "booklet = [" in text
    assert "level 2: cut" in err.getvalue()
    record = tmp_path / "standards.toml"
    record.write_text(Path(standards.STANDARDS).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(standards, "STANDARDS", record)
    call_command(
        "set_standard", "--shipped", "--write", "--id", "test-study",
        "--in-force-from", "2099-01-01", stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    try:
        recorded = {s.id: s for s in standards.load(record)}
        assert "test-study" in recorded
        assert recorded["test-study"].in_force_from == date(2099, 1, 1)
        assert standards.in_force(date(2099, 1, 2), path=record).id == "test-study"
        # The same id twice is refused and the record stays as it was.
        before = record.read_text(encoding="utf-8")
        with pytest.raises(Exception, match="already recorded"):
            call_command("set_standard", "--shipped", "--write", "--id", "test-study")
        assert record.read_text(encoding="utf-8") == before
    finally:
        standards._load.cache_clear()


def test_set_standard_check_compares_the_bank_with_the_record() -> None:
    out = io.StringIO()
    call_command("set_standard", "--shipped", "--check", stdout=out)
    text = out.getvalue()
    assert "standard in force" in text and "level 4: recorded" in text
