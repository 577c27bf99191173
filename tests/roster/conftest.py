"""Roster files made the way Excel makes them, and rows that pass every check."""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Số điện thoại",
    "Thư điện tử",
    "Mã đơn vị",
    "Chức vụ",
    "Vai trò",
]


def cccd(year: int, gender: str = "male", province: str = "040", serial: int = 1) -> str:
    digit = (year // 100 - 19) * 2 + (1 if gender == "female" else 0)
    return f"{province}{digit}{year % 100:02d}{serial:06d}"


def person(n: int = 1, **changes: Any) -> list[Any]:
    """A valid row for commune A (HDND-P-A), a woman born in 1985."""
    values = {
        "name": f"Trần Thị Thu {'ABCDEFGHIKLMNOPQRSTUVXY'[n % 23]}",
        "dob": f"{(n % 28) + 1:02d}/0{(n % 9) + 1}/1985",
        "gender": "Nữ",
        "id": cccd(1985, "female", serial=n),
        "phone": "0912345678",
        "email": f"thu{n}@example.vn",
        "unit": "HDND-P-A",
        "position": "Đại biểu HĐND xã",
        "role": "commune_council",
    }
    values.update(changes)
    return [
        values[k]
        for k in ("name", "dob", "gender", "id", "phone", "email", "unit", "position", "role")
    ]


def xlsx(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def text(
    rows: list[list[Any]],
    *,
    encoding: str = "utf-8-sig",
    delimiter: str = ",",
    header: list[str] | None = None,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    for row in rows:
        writer.writerow(row)
    if encoding == "cp1258":
        return cp1258(out.getvalue())
    return out.getvalue().encode(encoding)


TONES = "\u0300\u0301\u0303\u0309\u0323"  # the tone marks cp1258 keeps as combining


def cp1258(value: str) -> bytes:
    """Encode as Windows-1258 does: letters it lacks become base letter + tone mark."""
    out = bytearray()
    for ch in value:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out += base.encode("cp1258")
            out += "".join(c for c in parts if c in TONES).encode("cp1258")
    return bytes(out)
