"""Reading an uploaded roster: .xlsx, or text as Excel writes it, defensively.

Excel saves text in three ways managers meet: "CSV UTF-8" (UTF-8 with a BOM, commas or,
in a Vietnamese locale, semicolons), "Unicode Text" (UTF-16 with a BOM, tabs) and plain
"CSV" in the Windows code page, which for Vietnamese is Windows-1258 (cp1258). cp1258
writes most toned vowels as a base letter plus a combining tone mark, so all text is
normalised to NFC. Hostile input is bounded before it is parsed: file size, the unpacked
size of an .xlsx (a zip), rows, columns and cell length. Formula cells are reported,
never evaluated. Workbooks are parsed with expat as a stream (see ``_sheet_rows``).
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from xml.parsers.expat import ExpatError, ParserCreate

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
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        sheet, date1904 = _first_sheet(archive)
        strings = _shared_strings(archive)
        dates = _date_styles(archive)
    except (KeyError, ValueError, ExpatError, zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFile("file.bad_xlsx") from exc
    return _sheet_rows(archive, sheet, strings, dates, date1904)


# The workbook is read with expat directly, streaming, rather than through openpyxl's
# read-only mode, which builds an object per cell: on 100,000 rows this is ~5x faster and
# keeps memory flat. Only what a roster needs is understood: the first sheet, shared and
# inline strings, numbers, booleans, dates (by the cell's number format) and formulas,
# which are recognised and never evaluated. No XML here may declare a DTD or entities.

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
# Sheet element names as expat reports them (namespace}name) -> local name, for the hot loop.
_SHEET_TAGS = {
    f"{ns}}}{name}": name for ns in (_MAIN, _STRICT) for name in ("row", "c", "v", "f", "is", "t")
}
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _parser() -> Any:
    parser = ParserCreate(namespace_separator="}")

    def refuse(*_args: Any) -> None:
        raise ValueError("DTDs and entities are not allowed in a workbook")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _parse_small(archive: zipfile.ZipFile, name: str) -> list[tuple[str, dict[str, str]]]:
    """The start tags (local name, attributes with local names) of a small XML part."""
    info = archive.getinfo(name)
    if info.file_size > 16 * 1024 * 1024:
        raise ValueError(f"{name} is too large")
    tags: list[tuple[str, dict[str, str]]] = []
    parser = _parser()
    parser.StartElementHandler = lambda tag, attrs: tags.append(
        (
            _local(tag),
            {
                _local(k) if not k.startswith(_REL) else "r:" + _local(k): v
                for k, v in attrs.items()
            },
        )
    )
    parser.Parse(archive.read(name), True)
    return tags


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, bool]:
    """The path of the workbook's first sheet, and whether dates count from 1904."""
    tags = _parse_small(archive, "xl/workbook.xml")
    date1904 = any(
        tag == "workbookPr" and attrs.get("date1904") in ("1", "true") for tag, attrs in tags
    )
    rel_id = next(attrs["r:id"] for tag, attrs in tags if tag == "sheet")
    rels = _parse_small(archive, "xl/_rels/workbook.xml.rels")
    target = next(a["Target"] for tag, a in rels if tag == "Relationship" and a["Id"] == rel_id)
    path = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return posixpath.normpath(path), date1904


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings: list[str] = []
    parts: list[str] = []
    state = {"in_t": False, "depth_rph": 0}

    def start(tag: str, _attrs: Any) -> None:
        name = _local(tag)
        if name == "si":
            parts.clear()
        elif name == "t":
            state["in_t"] = True
        elif name in ("rPh", "phoneticPr"):  # phonetic guides are not the text
            state["depth_rph"] += 1

    def end(tag: str) -> None:
        name = _local(tag)
        if name == "si":
            if len(strings) >= MAX_ROWS * MAX_COLUMNS:
                raise ValueError("too many shared strings")
            strings.append("".join(parts))
        elif name == "t":
            state["in_t"] = False
        elif name in ("rPh", "phoneticPr"):
            state["depth_rph"] -= 1

    def text(data: str) -> None:
        if state["in_t"] and not state["depth_rph"]:
            parts.append(data)

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    with archive.open("xl/sharedStrings.xml") as handle:
        parser.ParseFile(handle)
    return strings


def _date_styles(archive: zipfile.ZipFile) -> frozenset[int]:
    """Indexes of the cell styles whose number format shows a date."""
    if "xl/styles.xml" not in archive.namelist():
        return frozenset()
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    custom: dict[int, str] = {}
    styles: list[int] = []
    in_xfs = False
    for tag, attrs in _parse_small(archive, "xl/styles.xml"):
        if tag == "numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            in_xfs = True
        elif tag == "cellStyles":
            in_xfs = False
        elif tag == "xf" and in_xfs:
            styles.append(int(attrs.get("numFmtId", "0")))
    dates = set()
    for index, fmt in enumerate(styles):
        code = custom.get(fmt) or BUILTIN_FORMATS.get(fmt, "")
        if code and is_date_format(code):
            dates.add(index)
    return frozenset(dates)


def _column(ref: str) -> int:
    number = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            number = number * 26 + ord(ch) - 64
        else:
            break
    return number


def _sheet_rows(
    archive: zipfile.ZipFile,
    path: str,
    strings: list[str],
    dates: frozenset[int],
    date1904: bool,
) -> Iterator[tuple[int, list[CellValue | Formula]]]:
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    done: list[tuple[int, list[CellValue | Formula]]] = []
    row: list[CellValue | Formula] = []
    text: list[str] = []
    cell: dict[str, Any] = {}
    state = {"row": 0, "collect": False, "in_is": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = _SHEET_TAGS.get(tag)
        if name == "c":
            cell.clear()
            cell["t"] = attrs.get("t", "n")
            cell["s"] = attrs.get("s", "0")
            cell["col"] = _column(attrs.get("r", "")) or len(row) + 1
            text.clear()
        elif name == "v" or (name == "t" and state["in_is"]):
            state["collect"] = True
        elif name == "is":
            state["in_is"] = True
        elif name == "f":
            cell["formula"] = True
        elif name == "row":
            number = attrs.get("r")
            state["row"] = int(number) if number else state["row"] + 1
            if state["row"] > MAX_ROWS + 1:
                raise UnreadableFile("file.too_many_rows", limit=MAX_ROWS)
            row.clear()

    def end(tag: str) -> None:
        name = _SHEET_TAGS.get(tag)
        if name in ("v", "t"):
            state["collect"] = False
        elif name == "is":
            state["in_is"] = False
        elif name == "c":
            column = cell["col"]
            value = _value(cell, "".join(text))
            if column > MAX_COLUMNS:
                if value not in (None, ""):
                    raise UnreadableFile("file.too_many_columns", limit=MAX_COLUMNS)
                return
            while len(row) < column - 1:
                row.append(None)
            if len(row) == column - 1:
                row.append(value)
        elif name == "row":
            done.append((state["row"], list(row)))

    def characters(data: str) -> None:
        if state["collect"]:
            text.append(data)

    def _value(c: dict[str, Any], raw: str) -> CellValue | Formula:
        if c.get("formula"):
            return FORMULA
        kind = c["t"]
        if kind == "s":
            return strings[int(raw)] if raw else None
        if kind in ("inlineStr", "str", "e"):
            return raw
        if kind == "b":
            return raw == "1"
        if not raw:
            return None
        number = float(raw)
        if int(c["s"] or 0) in dates:
            return from_excel(number, epoch)  # type: ignore[no-any-return]
        return int(number) if number.is_integer() and "E" not in raw.upper() else number

    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = characters
    parser.buffer_text = True
    try:
        with archive.open(path) as handle:
            while chunk := handle.read(1 << 20):
                parser.Parse(chunk, False)
                yield from done
                done.clear()
            parser.Parse(b"", True)
            yield from done
    except UnreadableFile:
        raise
    except (
        ExpatError,
        ValueError,
        IndexError,
        KeyError,
        OverflowError,
        zipfile.BadZipFile,
        OSError,
    ) as exc:
        raise UnreadableFile("file.bad_xlsx") from exc
    finally:
        archive.close()


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
