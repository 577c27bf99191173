"""Checking one roster cell at a time: Vietnamese names, dates, citizen IDs, phones.

Each ``check_*`` takes the raw cell value and returns the clean value and the problems
found, as ``(level, code, params)``; nothing here touches the database.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from hocvu.roster.reading import FORMULA, MAX_CELL_CHARS, CellValue, Formula

Issue = tuple[str, str, dict[str, Any]]  # (level, code, params)

ERROR, WARNING = "error", "warning"
MIN_AGE, MAX_AGE = 16, 100
NAME_MAX = 100
LIMITS = {"position": 255, "email": 254, "unit_code": 64, "role": 255}

DATA = Path(__file__).parent / "data"

# Characters spreadsheet programs treat as the start of a formula ("CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PHONE_STARTS = tuple(s for s in FORMULA_STARTS if s != "+")  # +84 is a phone number

# Mobile prefixes after the 2018 move to 10 digits: Viettel 032-039, 086, 096-098;
# VinaPhone 081-085, 088, 091, 094; MobiFone 070, 076-079, 089, 090, 093; Vietnamobile
# 052, 056, 058, 092; Gmobile 059, 099; Reddi 055; Itelecom 087.
MOBILE = re.compile(r"^0(?:3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-46-9])\d{7}$")

_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_NOT_NAME = re.compile(r"[^\w '’.\-]|_")  # \w: letters (and digits, refused above)
_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_SERIAL = re.compile(r"^\d{4,5}$")
_EXCEL_EPOCH = date(1899, 12, 30)

GENDERS = {
    "nam": "male",
    "male": "male",
    "m": "male",
    "nu": "female",
    "female": "female",
    "f": "female",
    "khac": "other",
    "other": "other",
}


@cache
def province_codes() -> dict[str, str]:
    with (DATA / "province_codes.toml").open("rb") as handle:
        codes: dict[str, str] = tomllib.load(handle)["codes"]
    return codes


_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """Lower case without diacritics (đ becomes d), single spaces: for matching names."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return _SPACES.sub(" ", _MARKS.sub("", decomposed)).strip().casefold()


def header_key(text: str) -> str:
    """A header folded to letters and digits only: "Số CCCD" -> "socccd"."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def as_text(value: CellValue | Formula) -> str:
    """A cell as the text a person typed (numbers without a spurious ".0")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return unicodedata.normalize("NFC", str(value))


def _clean_text(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@cache
def _control_pattern() -> re.Pattern[str]:
    """Every Cc (NUL, other controls) and Cf (bidi overrides, zero-width) character."""
    ranges: list[tuple[int, int]] = []
    for code in range(0x110000):
        if unicodedata.category(chr(code)) in ("Cc", "Cf"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    parts = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return re.compile(f"[{parts}]")


def _controls(text: str) -> bool:
    return text.isprintable() is False and _control_pattern().search(text) is not None


def precheck(value: CellValue | Formula, *, phone: bool = False) -> Issue | None:
    """Problems any cell can have: a formula, excessive length, controls, a formula start."""
    if value is FORMULA or isinstance(value, Formula):
        return (ERROR, "cell.formula", {})
    if not isinstance(value, str):
        return None
    if len(value) > MAX_CELL_CHARS:
        return (ERROR, "cell.too_long", {"limit": MAX_CELL_CHARS})
    stripped = value.strip(" ")
    if stripped.startswith(_PHONE_STARTS if phone else FORMULA_STARTS):
        return (ERROR, "cell.injection", {"char": stripped[0].strip() or "TAB"})
    if _controls(value.replace("\t", " ").replace("\n", " ").replace("\r", " ")):
        return (ERROR, "cell.control", {})
    return None


def check_name(value: CellValue | Formula) -> tuple[str, list[Issue]]:
    text = _clean_text(as_text(value))
    if not text:
        return "", [(ERROR, "required", {})]
    if len(text) > NAME_MAX:
        return "", [(ERROR, "cell.too_long", {"limit": NAME_MAX})]
    if _DIGIT.search(text):
        return "", [(ERROR, "name.digits", {})]
    if _NOT_NAME.search(text) and any(
        not (ch.isalpha() or ch in " '’.-" or unicodedata.combining(ch)) for ch in text
    ):
        return "", [(ERROR, "name.chars", {})]
    issues: list[Issue] = []
    if text.islower() or text.isupper():
        text = " ".join(
            "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
            for word in text.split(" ")
        )
    original = value if isinstance(value, str) else ""
    if text != original:
        issues.append((WARNING, "normalised", {"value": text}))
    return text, issues


def excel_serial(number: float) -> date | None:
    if not 1 <= number < 2958466:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(number))


def check_date(value: CellValue | Formula, today: date) -> tuple[date | None, list[Issue]]:
    """Day-first dates, ISO dates, Excel date cells and Excel serial numbers."""
    issues: list[Issue] = []
    parsed: date | None = None
    shown = ""
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = excel_serial(float(value))
        shown = "serial"
    else:
        text = _clean_text(as_text(value))
        if not text:
            return None, [(ERROR, "required", {})]
        shown = text
        try:
            if m := _DMY.match(text):
                day, month, year = (int(g) for g in m.groups())
                if len(m.group(3)) == 2:
                    return None, [(ERROR, "date.short_year", {})]
                parsed = date(year, month, day)
            elif m := _ISO.match(text):
                year, month, day = (int(g) for g in m.groups())
                parsed = date(year, month, day)
            elif _SERIAL.match(text):
                parsed = excel_serial(float(text))
        except ValueError:
            parsed = None
    if parsed is None:
        return None, [(ERROR, "date.invalid", {})]
    age = today.year - parsed.year - ((today.month, today.day) < (parsed.month, parsed.day))
    if not MIN_AGE <= age <= MAX_AGE:
        return None, [(ERROR, "date.range", {"age": age, "min": MIN_AGE, "max": MAX_AGE})]
    normal = parsed.strftime("%d/%m/%Y")
    if shown and shown != normal:
        issues.append((WARNING, "normalised", {"value": normal}))
    return parsed, issues


def check_gender(value: CellValue | Formula) -> tuple[str, list[Issue]]:
    text = header_key(as_text(value))
    if not text:
        return "", [(ERROR, "required", {})]
    gender = GENDERS.get(text)
    if gender is None:
        return "", [(ERROR, "gender.invalid", {})]
    return gender, []


def check_national_id(value: CellValue | Formula) -> tuple[str, list[Issue]]:
    """Twelve digits and a known province code (agreement with other columns: below)."""
    issues: list[Issue] = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A number cell: Excel dropped the leading zeros (001... became 1...).
        if isinstance(value, float) and not value.is_integer():
            return "", [(ERROR, "cccd.format", {})]
        digits = str(int(value))
        if len(digits) < 12:
            digits = digits.zfill(12)
            issues.append((WARNING, "cccd.padded", {}))
    else:
        digits = re.sub(r"[\s.\-]", "", as_text(value))
    if not digits:
        return "", [(ERROR, "required", {})]
    if not (len(digits) == 12 and digits.isascii() and digits.isdigit()):
        return "", [(ERROR, "cccd.format", {})]
    if digits[:3] not in province_codes():
        return "", [(ERROR, "cccd.province", {})]
    return digits, issues


def national_id_agreement(national_id: str, gender: str, born: date | None) -> list[Issue]:
    """Digit 4 (century and gender) and digits 5-6 (year) against the other columns."""
    code = int(national_id[3])
    id_gender = "female" if code % 2 else "male"
    id_year = 1900 + 100 * (code // 2) + int(national_id[4:6])
    issues: list[Issue] = []
    if gender in ("male", "female") and gender != id_gender:
        issues.append((ERROR, "cccd.gender", {"id_gender": id_gender, "gender": gender}))
    if born is not None and born.year != id_year:
        issues.append((ERROR, "cccd.year", {"id_year": id_year, "year": born.year}))
    return issues


def check_phone(value: CellValue | Formula) -> tuple[str, list[Issue]]:
    if value is None or value == "":
        return "", []
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value)) if float(value).is_integer() else ""
        if len(digits) == 9:  # a number cell lost its leading zero
            digits = "0" + digits
        original = ""
    else:
        original = as_text(value).strip()
        digits = re.sub(r"[\s.\-()]", "", original)
        if digits.startswith("+84"):
            digits = "0" + digits[3:]
        elif digits.startswith("0084"):
            digits = "0" + digits[4:]
        elif digits.startswith("84") and len(digits) == 11:
            digits = "0" + digits[2:]
        elif len(digits) == 9 and digits.isdigit() and not digits.startswith("0"):
            digits = "0" + digits
    if not digits:
        return "", []
    if not MOBILE.match(digits):
        return "", [(ERROR, "phone.invalid", {})]
    issues: list[Issue] = []
    if digits != original:
        issues.append((WARNING, "normalised", {"value": digits}))
    return digits, issues


def check_email(value: CellValue | Formula) -> tuple[str, list[Issue]]:
    text = as_text(value).strip()
    if not text:
        return "", []
    if len(text) > LIMITS["email"]:
        return "", [(ERROR, "cell.too_long", {"limit": LIMITS["email"]})]
    try:
        validate_email(text)
    except ValidationError:
        return "", [(ERROR, "email.invalid", {})]
    return text, []


def check_text(value: CellValue | Formula, field: str) -> tuple[str, list[Issue]]:
    text = _clean_text(as_text(value))
    if len(text) > LIMITS[field]:
        return "", [(ERROR, "cell.too_long", {"limit": LIMITS[field]})]
    return text, []
