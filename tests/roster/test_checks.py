"""Checking cells: citizen IDs, dates, names, phones, e-mail, formulas, CSV injection."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from hocvu.roster import checks
from hocvu.roster.reading import FORMULA
from tests.roster.conftest import cccd

TODAY = date(2026, 12, 4)


def codes(issues: list[checks.Issue]) -> list[tuple[str, str]]:
    return [(level, code) for level, code, _params in issues]


# -- citizen ID ---------------------------------------------------------------------------


def test_the_province_list_is_the_circulars_63_codes() -> None:
    codes_ = checks.province_codes()
    assert len(codes_) == 63
    assert codes_["001"] == "Hà Nội" and codes_["079"] == "Hồ Chí Minh"
    assert codes_["040"] == "Nghệ An" and codes_["096"] == "Cà Mau"
    assert "003" not in codes_ and "097" not in codes_


@pytest.mark.parametrize(
    ("value", "expected", "problems"),
    [
        ("040185000001", "040185000001", []),
        ("040 185 000 001", "040185000001", []),
        ("040.185.000.001", "040185000001", []),
        (40185000001, "040185000001", [("warning", "cccd.padded")]),  # a number cell
        ("40185000001", "", [("error", "cccd.format")]),  # text keeps what was typed
        ("0401850000012", "", [("error", "cccd.format")]),
        ("04018500000A", "", [("error", "cccd.format")]),
        ("０４０１８５０００００１", "", [("error", "cccd.format")]),  # full-width digits
        ("003185000001", "", [("error", "cccd.province")]),
        ("099185000001", "", [("error", "cccd.province")]),
        ("", "", [("error", "required")]),
    ],
)
def test_citizen_id_format_and_province(value: Any, expected: str, problems: list[Any]) -> None:
    clean, issues = checks.check_national_id(value)
    assert (clean, codes(issues)) == (expected, problems)


@pytest.mark.parametrize(
    ("year", "gender"),
    [(1950, "male"), (1999, "female"), (2000, "male"), (2008, "female")],
)
def test_the_fourth_digit_agrees_with_century_and_gender(year: int, gender: str) -> None:
    number = cccd(year, gender)
    assert number[3] == str(
        {(19, "male"): 0, (19, "female"): 1, (20, "male"): 2, (20, "female"): 3}[
            (year // 100, gender)
        ]
    )
    assert checks.national_id_agreement(number, gender, date(year, 6, 1)) == []


def test_a_wrong_gender_digit_is_an_error() -> None:
    issues = checks.national_id_agreement(cccd(1985, "female"), "male", date(1985, 1, 1))
    assert issues == [("error", "cccd.gender", {"id_gender": "female", "gender": "male"})]


def test_a_wrong_year_is_an_error() -> None:
    issues = checks.national_id_agreement(cccd(1985, "male"), "male", date(1986, 1, 1))
    assert issues == [("error", "cccd.year", {"id_year": 1985, "year": 1986})]


def test_a_wrong_century_is_an_error() -> None:
    # Digit 2 means a man born in 2000-2099: "85" is 2085, not 1985.
    issues = checks.national_id_agreement("040285000001", "male", date(1985, 1, 1))
    assert codes(issues) == [("error", "cccd.year")]


def test_gender_other_is_not_compared() -> None:
    assert checks.national_id_agreement(cccd(1985, "female"), "other", date(1985, 1, 1)) == []


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "warned"),
    [
        ("05/03/1980", date(1980, 3, 5), False),
        ("5/3/1980", date(1980, 3, 5), True),
        ("05-03-1980", date(1980, 3, 5), True),
        ("05.03.1980", date(1980, 3, 5), True),
        ("1980-03-05", date(1980, 3, 5), True),
        ("1980-03-05 00:00:00", date(1980, 3, 5), True),
        (datetime(1980, 3, 5), date(1980, 3, 5), False),  # an Excel date cell
        (date(1980, 3, 5), date(1980, 3, 5), False),
        (29285, date(1980, 3, 5), True),  # an Excel serial number
        ("29285", date(1980, 3, 5), True),
        ("13/12/1980", date(1980, 12, 13), False),  # day first, never month first
    ],
)
def test_dates_are_read_day_first(value: Any, expected: date, warned: bool) -> None:
    parsed, issues = checks.check_date(value, TODAY)
    assert parsed == expected
    assert codes(issues) == ([("warning", "normalised")] if warned else [])
    if warned:
        assert issues[0][2] == {"value": expected.strftime("%d/%m/%Y")}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("31/02/1980", "date.invalid"),
        ("12/31/1980", "date.invalid"),  # month-first is not accepted
        ("05/03/80", "date.short_year"),
        ("hôm qua", "date.invalid"),
        ("", "required"),
        ("05/03/2020", "date.range"),  # 6 years old
        ("05/03/1900", "date.range"),
        ("05/03/2030", "date.range"),  # in the future
    ],
)
def test_impossible_dates_are_errors(value: str, code: str) -> None:
    parsed, issues = checks.check_date(value, TODAY)
    assert parsed is None and codes(issues) == [("error", code)]


def test_the_age_limits_are_inclusive() -> None:
    assert checks.check_date("04/12/2010", TODAY)[0] == date(2010, 12, 4)  # 16 today
    assert checks.check_date("05/12/2010", TODAY)[0] is None  # 15 until tomorrow


# -- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "warned"),
    [
        ("Nguyễn Văn An", "Nguyễn Văn An", False),
        ("  Nguyễn   Văn  An ", "Nguyễn Văn An", True),
        ("NGUYỄN VĂN AN", "Nguyễn Văn An", True),
        ("nguyễn văn an", "Nguyễn Văn An", True),
        ("đặng thị mai", "Đặng Thị Mai", True),
        ("Nguyễn văn An", "Nguyễn văn An", False),  # mixed case is the person's own choice
        ("Nguye\u0302\u0303n Va\u0306n An", "Nguyễn Văn An", True),  # decomposed (NFD)
        ("H'Hen Niê", "H'Hen Niê", False),
    ],
)
def test_names_are_normalised(value: str, expected: str, warned: bool) -> None:
    clean, issues = checks.check_name(value)
    assert clean == expected
    assert codes(issues) == ([("warning", "normalised")] if warned else [])


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Nguyễn Văn 2", "name.digits"),
        ("Nguyễn <b>An</b>", "name.chars"),
        ("", "required"),
        ("A" * 101, "cell.too_long"),
    ],
)
def test_bad_names_are_errors(value: str, code: str) -> None:
    assert codes(checks.check_name(value)[1]) == [("error", code)]


@pytest.mark.parametrize(
    "value",
    ["Nguyễn\x00An", "Nguyễn\u202eAn", "Nguyễn\u200bAn", "Nguyễn\x07An", "Nguyễn\u2066An"],
)
def test_control_and_bidi_characters_are_refused(value: str) -> None:
    assert checks.precheck(value) == ("error", "cell.control", {})


# -- phones and e-mail --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected", "warned"),
    [
        ("0912345678", "0912345678", False),
        ("0912 345 678", "0912345678", True),
        ("0912.345.678", "0912345678", True),
        ("091-234-5678", "0912345678", True),
        ("+84 912 345 678", "0912345678", True),
        ("+84912345678", "0912345678", True),
        ("84912345678", "0912345678", True),
        ("0084912345678", "0912345678", True),
        (912345678, "0912345678", True),  # a number cell lost its leading zero
        ("0326123456", "0326123456", False),  # Viettel 032 (ex 0162)
        ("0708123456", "0708123456", False),  # MobiFone 070
        ("0591234567", "0591234567", False),  # Gmobile 059
        ("", "", False),
    ],
)
def test_mobile_numbers_are_normalised(value: Any, expected: str, warned: bool) -> None:
    clean, issues = checks.check_phone(value)
    assert clean == expected
    assert codes(issues) == ([("warning", "normalised")] if warned else [])


@pytest.mark.parametrize(
    "value",
    ["02438256686", "01628123456", "0912345", "0952345678", "0212345678", "số điện thoại"],
)
def test_other_numbers_are_not_mobiles(value: str) -> None:
    assert codes(checks.check_phone(value)[1]) == [("error", "phone.invalid")]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("an@example.vn", True),
        ("", True),
        ("an@", False),
        ("an example@x.vn", False),
        ("a" * 250 + "@x.vn", False),
    ],
)
def test_email_uses_djangos_validator(value: str, ok: bool) -> None:
    issues = checks.check_email(value)[1]
    assert (issues == []) is ok


# -- formulas and CSV injection -----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1", ' =HYPERLINK("x")']
)
def test_values_that_spreadsheets_run_are_refused(value: str) -> None:
    level, code, _params = checks.precheck(value) or ("", "", {})
    assert (level, code) == ("error", "cell.injection")


def test_a_leading_plus_is_a_phone_prefix_in_the_phone_column() -> None:
    assert checks.precheck("+84912345678", phone=True) is None
    assert checks.precheck("=84912345678", phone=True) is not None
    assert checks.precheck("@84912345678", phone=True) is not None


def test_formula_cells_are_refused() -> None:
    assert checks.precheck(FORMULA) == ("error", "cell.formula", {})


def test_long_cells_are_refused_before_anything_else() -> None:
    assert checks.precheck("x" * 1001) == ("error", "cell.too_long", {"limit": 1000})


def test_folding_drops_diacritics_and_d_bar() -> None:
    assert checks.fold("  ĐẶNG   Thị  Mai ") == checks.fold("dang thi mai") == "dang thi mai"
    assert checks.header_key("Số CCCD") == "socccd"
