"""Reading an uploaded roster: .xlsx, or text as Excel writes it, defensively.

Excel saves text in three ways managers meet: "CSV UTF-8" (UTF-8 with a BOM, commas or,
in a Vietnamese locale, semicolons), "Unicode Text" (UTF-16 with a BOM, tabs) and plain
"CSV" in the Windows code page, which for Vietnamese is Windows-1258 (cp1258). cp1258
writes most toned vowels as a base letter plus a combining tone mark, so all text is
normalised to NFC. Hostile input is bounded before it is parsed: file size, the unpacked
size of an .xlsx (a zip), rows, columns and cell length. Formula cells are reported,
never evaluated.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 1000

CellValue = str | int | float | bool | datetime | date | time | None


class Formula:
    """Stands for a cell whose content is a formula (its text is never kept)."""

    def __repr__(self) -> str:
        return "<formula>"


FORMULA = Formula()


class UnreadableFile(Exception):
    """The file cannot be read; ``code`` names the message (see messages.py)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Table:
    """Rows as the spreadsheet numbers them (the first row is 1), cells left to right."""

    kind: str  # "xlsx" or "csv"
    rows: Iterator[tuple[int, list[CellValue | Formula]]]


def read(data: bytes) -> Table:
    """Open ``data`` as a workbook or as delimited text, whatever its file name says."""
    if not data:
        raise UnreadableFile("file.empty")
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile("file.too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
    if data.startswith(b"PK\x03\x04"):
        return Table("xlsx", _xlsx_rows(data))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("file.xls")
    return Table("csv", _csv_rows(decode(data)))


# -- xlsx -------------------------------------------------------------------------------


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableFile("file.bad_xlsx") from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise UnreadableFile("file.bomb", limit=MAX_UNPACKED_BYTES // (1024 * 1024))
    # zipfile stops at each entry's declared size (and fails its CRC beyond it), so the
    # declared sizes bound what unpacking can produce.
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise UnreadableFile("file.bomb", limit=MAX_UNPACKED_BYTES // (1024 * 1024))
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names:
        raise UnreadableFile("file.bad_xlsx")


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[CellValue | Formula]]]:
    _check_zip(data)
    import openpyxl  # only when a workbook arrives: it is a large import

    try:
        # read_only streams the sheet; data_only=False so that formulas are seen as formulas
        # (their cached results are never trusted or stored). openpyxl parses with
        # defusedxml when it is installed (it is: requirements/base.txt).
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged package
        raise UnreadableFile("file.bad_xlsx") from exc
    return _sheet_rows(book)


def _sheet_rows(book: Any) -> Iterator[tuple[int, list[CellValue | Formula]]]:
    try:
        sheet = book.worksheets[0]
        expected = 1
        for cells in sheet.iter_rows():
            number = next((c.row for c in cells if getattr(c, "row", None)), expected)
            expected = number + 1
            if number > MAX_ROWS + 1:
                raise UnreadableFile("file.too_many_rows", limit=MAX_ROWS)
            values: list[CellValue | Formula] = []
            for cell in cells:
                column = getattr(cell, "column", None) or len(values) + 1
                if column > MAX_COLUMNS:
                    if cell.value not in (None, ""):
                        raise UnreadableFile("file.too_many_columns", limit=MAX_COLUMNS)
                    continue
                while len(values) < column - 1:
                    values.append(None)
                if getattr(cell, "data_type", None) == "f" or _is_formula_object(cell.value):
                    values.append(FORMULA)
                else:
                    values.append(cell.value)
            yield number, values
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile("file.bad_xlsx") from exc
    finally:
        book.close()


def _is_formula_object(value: Any) -> bool:
    # ArrayFormula / DataTableFormula objects, or a string formula in a lenient writer's file.
    return type(value).__name__ in {"ArrayFormula", "DataTableFormula"}


# -- text -------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Decode text as Excel writes it: UTF-8 (BOM or not), UTF-16 with BOM, else cp1258."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        elif _looks_utf16(data):
            text = data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("file.encoding") from exc
    sample = text[:8192]
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in sample):
        raise UnreadableFile("file.not_spreadsheet")
    return unicodedata.normalize("NFC", text)


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: ASCII-heavy text has a zero in every other byte."""
    head = data[:512]
    if len(head) < 4:
        return False
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) // 2
    return max(even, odd) > 0.4 * half and min(even, odd) < 0.05 * half


DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first non-empty line into the most fields."""
    for line in text.splitlines()[:20]:
        if line.strip():
            counts = {d: line.count(d) for d in DELIMITERS}
            best = max(DELIMITERS, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _csv_rows(text: str) -> Iterator[tuple[int, list[CellValue | Formula]]]:
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    try:
        for record in reader:
            number += 1
            if number > MAX_ROWS + 1:
                raise UnreadableFile("file.too_many_rows", limit=MAX_ROWS)
            if len(record) > MAX_COLUMNS and any(v.strip() for v in record[MAX_COLUMNS:]):
                raise UnreadableFile("file.too_many_columns", limit=MAX_COLUMNS)
            yield number, list(record[:MAX_COLUMNS])
    except csv.Error as exc:  # e.g. a field beyond csv.field_size_limit()
        raise UnreadableFile("file.not_spreadsheet") from exc
