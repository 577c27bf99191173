"""Reading a typed number the way Vietnamese learners type it (``scoring.parse_number``)."""

from __future__ import annotations

import pytest

from hocvu.content.scoring import InvalidAnswer, parse_number, score

READ: list[tuple[str, float]] = [
    # plain numbers, with spaces around
    ("85", 85),
    ("  7 ", 7),
    ("\u00a012\u00a0", 12),
    ("007", 7),
    ("0", 0),
    # percent signs: the number before the sign is the answer
    ("85%", 85),
    ("85 %", 85),
    ("85\u00a0%", 85),
    ("12,5%", 12.5),
    ("-3%", -3),
    # a leading sign: plus, hyphen-minus, minus sign, en dash; a space may follow it
    ("+12", 12),
    ("-12", -12),
    ("\u221212", -12),
    ("\u201312", -12),
    ("- 5", -5),
    ("−3,5", -3.5),
    # the comma is the decimal mark
    ("4,0", 4.0),
    ("4,5", 4.5),
    ("0,25", 0.25),
    ("1,234", 1.234),
    ("3,14159", 3.14159),
    # a single dot not followed by exactly three digits is a decimal point
    ("4.5", 4.5),
    ("1.5", 1.5),
    ("4.25", 4.25),
    ("3.1416", 3.1416),
    ("0.500", 0.5),
    ("0.125", 0.125),
    # dots between groups of three are thousands (Vietnamese), as the questions print them
    ("1.500", 1500),
    ("15.000", 15000),
    ("4.800", 4800),
    ("1.234.567", 1234567),
    ("-1.234.567", -1234567),
    # spaces between groups of three (plain, no-break, thin, narrow no-break)
    ("1 234", 1234),
    ("1 234 567", 1234567),
    ("1\u00a0234\u00a0567", 1234567),
    ("1\u2009234", 1234),
    ("1\u202f234\u202f567", 1234567),
    # both marks: the last one is the decimal mark
    ("1.234,5", 1234.5),
    ("1.234.567,89", 1234567.89),
    ("1,234.5", 1234.5),
    ("1 234,5", 1234.5),
    ("1 234.5", 1234.5),
    # two or more commas can only be thousands
    ("1,234,567", 1234567),
]


@pytest.mark.parametrize(("typed", "value"), READ, ids=[repr(t) for t, _ in READ])
def test_typed_numbers_are_read(typed: str, value: float) -> None:
    assert parse_number(typed) == pytest.approx(value, abs=1e-12)


REFUSED = [
    "",
    "   ",
    "%",
    "+",
    "-",
    "abc",
    "mười hai",
    "12 quyển",
    "1e3",
    "1E3",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1/2",
    ".5",
    ",5",
    "5.",
    "5,",
    "1..2",
    "1,,2",
    "1.23.456",  # groups of three only
    "1.2345.678",
    "12 34",
    "1  234",
    "1.234.5",
    "1,2,3",
    "1.234,567.8",  # a decimal mark twice
    "1,234.567,8",
    "1 234.567",  # a space and a dot both grouping
    "++1",
    "+-1",
    "1-",
    "%85",
    "85%%",
    "1\t234",
    "١٢",  # Arabic-Indic digits
    "１２",  # full-width digits
    "9" * 400,
    "1" + "000" * 6,  # above 10**15
]


@pytest.mark.parametrize("typed", REFUSED, ids=[repr(t)[:30] for t in REFUSED])
def test_other_text_is_refused_with_the_number_code(typed: str) -> None:
    with pytest.raises(InvalidAnswer) as refused:
        parse_number(typed)
    assert refused.value.code == "invalid_number"


def test_a_non_string_is_refused() -> None:
    with pytest.raises(InvalidAnswer):
        parse_number(12)  # type: ignore[arg-type]


def test_the_ambiguous_dot_follows_the_vietnamese_convention() -> None:
    # "1.500" is one thousand five hundred, "1.5" one and a half: exactly three digits
    # after a single dot make a thousands group, any other count a decimal.
    assert parse_number("1.500") == 1500
    assert parse_number("1.5") == 1.5
    assert parse_number("1.50") == 1.5
    assert parse_number("1.5000") == 1.5
    # A leading zero never starts a group of thousands.
    assert parse_number("0.500") == 0.5
    # The comma is always decimal on its own, whatever follows it.
    assert parse_number("1,500") == 1.5


KEY = {"value": 85.0, "tolerance": 0.5}


@pytest.mark.parametrize("typed", ["85", "85%", "85 %", "85,0", "85.0", "+85", "84,6", "85.4"])
def test_scoring_reads_typed_answers_the_same_way(typed: str) -> None:
    assert score("numeric", KEY, 0, {"value": typed}) == 1


@pytest.mark.parametrize("typed", ["0,85", "850", "8.500", "-85"])
def test_a_typed_wrong_number_scores_zero(typed: str) -> None:
    assert score("numeric", KEY, 0, {"value": typed}) == 0


def test_thousands_key_is_met_however_grouped() -> None:
    key = {"value": 3000, "tolerance": 0}
    for typed in ("3000", "3.000", "3 000", "3000,0", "3,000,000"):
        assert score("numeric", key, 0, {"value": typed}) == int(typed != "3,000,000")
