"""Files as Excel writes them, and files written to hurt."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from hocvu.identity.models import User
from hocvu.roster import reading, services
from hocvu.roster.models import ImportStatus
from tests.conftest import World
from tests.roster.conftest import HEADER, person, text, xlsx

pytestmark = pytest.mark.django_db

ROWS = [person(1, name="Đặng Thị Ngọc Ánh"), person(2, name="Nguyễn Thị Hường")]


def file_codes(report: services.Report) -> list[str]:
    return [p.code for p in report.file_problems]


def check(world: World, data: bytes) -> services.Report:
    return services.validate(data, actor=world.manager_a, unit=world.commune_a)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8-sig", ","),  # Excel: CSV UTF-8
        ("utf-8-sig", ";"),  # the same in a locale whose list separator is ";"
        ("utf-8", ","),  # written by another program, no BOM
        ("utf-16", "\t"),  # Excel: Unicode Text (BOM, tabs)
        ("utf-16-le", "\t"),  # without the BOM
        ("cp1258", ","),  # Excel: CSV in the Vietnamese Windows code page
    ],
)
def test_every_text_format_excel_writes_reads_the_same(
    world: World, encoding: str, delimiter: str
) -> None:
    data = text(ROWS, encoding=encoding, delimiter=delimiter)
    report = check(world, data)
    assert not report.has_errors, list(report.problems())
    assert [r.full_name for r in report.rows] == ["Đặng Thị Ngọc Ánh", "Nguyễn Thị Hường"]
    assert all(unicodedata.is_normalized("NFC", r.full_name) for r in report.rows)
    assert [r.number for r in report.rows] == [2, 3]


def test_cp1258_uses_combining_tone_marks_and_is_normalised(world: World) -> None:
    data = text(ROWS, encoding="cp1258")
    assert b"Ngo\xf2c" in data  # o + combining dot below (0xF2 in cp1258)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    decomposed = data.decode("cp1258")
    assert not unicodedata.is_normalized("NFC", decomposed)
    report = check(world, data)
    assert report.rows[0].full_name == "Đặng Thị Ngọc Ánh"
    # No "normalised" warning: the name as the person wrote it did not change.
    assert not [p for p in report.rows[0].problems if p.field == "full_name"]


def test_an_xlsx_with_real_date_and_number_cells(world: World) -> None:
    from datetime import datetime

    row = person(1)
    row[1] = datetime(1985, 2, 2)
    row[3] = int(row[3])  # Excel turned the ID into a number and dropped the leading 0
    row[4] = 912345678
    report = check(world, xlsx([row]))
    assert not report.has_errors, list(report.problems())
    assert report.rows[0].national_id == person(1)[3]
    assert report.rows[0].phone == "0912345678"
    assert {p.code for p in report.rows[0].problems} == {"cccd.padded", "normalised"}


def test_formula_cells_are_reported_never_evaluated(world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(HEADER)
    sheet.append(person(1))
    sheet.append(person(2))
    sheet["A3"] = '=CONCATENATE("Trần ","Văn An")'
    sheet["D2"] = "=040185000001+0"
    out = io.BytesIO()
    book.save(out)
    report = check(world, out.getvalue())
    assert [(p.row, p.column, p.code) for p in report.problems() if p.level == "error"] == [
        (2, "Số CCCD", "cell.formula"),
        (3, "Họ và tên", "cell.formula"),
    ]


def test_csv_injection_in_text_fields_is_refused(world: World) -> None:
    rows = [
        person(1, position='=HYPERLINK("http://evil","x")'),
        person(2, position="@SUM(1+1)"),
        person(3, email="-2+3@x.vn"),
        person(4, phone="+84912345678"),  # a phone may start with +
    ]
    report = check(world, text(rows))
    errors = [(p.row, p.column, p.code) for p in report.problems() if p.level == "error"]
    assert errors == [
        (2, "Chức vụ", "cell.injection"),
        (3, "Chức vụ", "cell.injection"),
        (4, "Thư điện tử", "cell.injection"),
    ]


def test_headers_in_english_any_order_with_a_title_row_above(world: World) -> None:
    header = ["Role", "Citizen ID", "Full name", "Gender", "Date of birth", "STT"]
    rows = [[r[8], r[3], r[0], "Female", r[1], i] for i, r in enumerate(ROWS, 1)]
    data = text([header, *rows], header=["DANH SÁCH ĐẠI BIỂU HĐND XÃ A", "", ""])
    report = check(world, data)
    assert not report.has_errors, list(report.problems())
    assert [r.number for r in report.rows] == [3, 4]  # the title row is row 1
    assert report.column_name("national_id") == "Citizen ID"


def test_a_missing_required_column_is_one_clear_error(world: World) -> None:
    header = [h for h in HEADER if h != "Số CCCD"]
    rows = [[v for i, v in enumerate(person(1)) if i != 3]]
    report = check(world, text(rows, header=header))
    assert file_codes(report) == ["file.missing_column"]
    assert report.file_problems[0].params == {"column": "Số CCCD"}


def test_unknown_columns_are_ignored_with_a_warning(world: World) -> None:
    rows = [[*person(1), "x"]]
    report = check(world, text(rows, header=[*HEADER, "Sở thích"]))
    assert not report.has_errors
    assert file_codes(report) == ["file.unknown_column"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "file.empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "file.not_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "file.xls"),
        (b"PK\x03\x04 this is not a zip", "file.bad_xlsx"),
        (b"\x81\x8d\x8f\x90\x9d" * 20, "file.encoding"),  # undefined in cp1258
        ("Xin chào, đây là một lá thư".encode(), "file.no_header"),
    ],
)
def test_unreadable_files_get_one_clear_error(world: World, data: bytes, code: str) -> None:
    report = check(world, data)
    assert file_codes(report) == [code]
    assert report.rows == []


def test_a_zip_that_is_not_a_workbook(world: World) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    assert file_codes(check(world, out.getvalue())) == ["file.bad_xlsx"]


def test_a_zip_bomb_is_refused_before_it_is_opened(world: World, monkeypatch: Any) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 100 * 1024  # 20 MB in a few kilobytes
    monkeypatch.setattr(reading, "MAX_UNPACKED_BYTES", 10 * 1024 * 1024)
    opened = []
    monkeypatch.setattr(reading, "_first_sheet", lambda *a: opened.append(1))
    assert file_codes(check(world, data)) == ["file.bomb"]
    assert opened == []


def test_too_many_rows_are_refused(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(reading, "MAX_ROWS", 50)
    report = check(world, text([person(n) for n in range(1, 60)]))
    assert file_codes(report) == ["file.too_many_rows"]
    report = check(world, xlsx([person(n) for n in range(1, 60)]))
    assert file_codes(report) == ["file.too_many_rows"]


def test_a_file_over_the_size_limit_is_refused(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 1000)
    assert file_codes(check(world, text([person(n) for n in range(1, 30)]))) == ["file.too_large"]


def test_a_huge_cell_is_refused(world: World) -> None:
    report = check(world, text([person(1, position="x" * 5000)]))
    assert [(p.row, p.code) for p in report.problems()] == [(2, "cell.too_long")]


def test_a_hostile_file_changes_nothing(world: World) -> None:
    before = User.objects.count()
    imp = services.stage(
        b"\x00\x01\x02garbage", "x.xlsx", actor=world.manager_a, unit=world.commune_a
    )
    assert imp.status == ImportStatus.INVALID
    assert User.objects.count() == before


def _rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info.filename)))
    return out.getvalue()


def test_xml_entities_are_refused(world: World) -> None:
    data = xlsx([person(1)])
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    bomb = _rezip(data, {"xl/worksheets/sheet1.xml": laughs})
    assert file_codes(check(world, bomb)) == ["file.bad_xlsx"]


def test_inline_strings_as_streaming_writers_produce(world: World) -> None:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    report = check(world, out.getvalue())
    assert not report.has_errors, list(report.problems())
    assert [r.full_name for r in report.rows] == ["Đặng Thị Ngọc Ánh", "Nguyễn Thị Hường"]


def test_a_date_cell_with_a_custom_format_and_a_text_cell(world: World) -> None:
    from datetime import datetime

    book = openpyxl.Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(HEADER)
    sheet.append(person(1))
    sheet.append(person(2))
    sheet["B2"] = datetime(1985, 2, 2)
    sheet["B2"].number_format = "dd/mm/yyyy"
    sheet["B3"] = 31048  # a bare serial number, General format: 01/01/1985
    out = io.BytesIO()
    book.save(out)
    report = check(world, out.getvalue())
    assert [r.date_of_birth for r in report.rows] == [
        datetime(1985, 2, 2).date(),
        datetime(1985, 1, 1).date(),
    ]
    assert [p.code for p in report.rows[1].problems] == ["normalised"]


def test_rows_keep_the_numbers_excel_shows_across_gaps(world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.append(HEADER)
    for col, value in enumerate(person(1), start=1):
        sheet.cell(row=5, column=col, value=value)
    for col, value in enumerate(person(2, gender="Nam"), start=1):
        sheet.cell(row=9, column=col, value=value)
    out = io.BytesIO()
    book.save(out)
    report = check(world, out.getvalue())
    assert [r.number for r in report.rows] == [5, 9]
    assert [(p.row, p.column) for p in report.problems() if p.level == "error"] == [(9, "Số CCCD")]
