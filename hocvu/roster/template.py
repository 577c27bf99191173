"""The roster template a manager downloads: .xlsx with lists to choose from, or .csv.

The first sheet holds the header row (Vietnamese) and one example row, which the import
recognises and skips. Text columns are formatted as text so that Excel keeps the leading
zeros of ID and phone numbers and does not turn a typed date into a month-first one.
A second sheet explains each column with its English key; a hidden third sheet holds the
lists behind the drop-downs (gender, role, unit).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from hocvu.roster.validation import COLUMNS, EXAMPLE

WIDTHS = {
    "full_name": 28,
    "date_of_birth": 14,
    "gender": 10,
    "national_id": 16,
    "phone": 15,
    "email": 28,
    "unit_code": 18,
    "position": 30,
    "role": 36,
}
TEXT_COLUMNS = {"full_name", "date_of_birth", "national_id", "phone", "email", "unit_code"}
MAX_LISTED_UNITS = 5000

HELP: dict[str, str] = {
    "full_name": "Bắt buộc. Họ và tên đầy đủ, có dấu, ví dụ Nguyễn Văn An.",
    "date_of_birth": "Bắt buộc. Ngày trước, tháng sau: 15/03/1980 (hoặc 1980-03-15).",
    "gender": "Bắt buộc. Nam hoặc Nữ.",
    "national_id": "Bắt buộc. Số căn cước công dân (số định danh cá nhân), đúng 12 chữ số.",
    "phone": "Không bắt buộc. Số di động Việt Nam, ví dụ 0912345678 hoặc +84 912 345 678.",
    "email": "Không bắt buộc. Địa chỉ thư điện tử.",
    "unit_code": "Mã đơn vị (xem trang Danh mục). Để trống: người được thêm vào đơn vị đã chọn.",
    "position": "Không bắt buộc. Chức vụ hiện tại.",
    "role": "Bắt buộc. Vai trò (mã hoặc tên) trong danh sách chọn, quyết định mục tiêu cần đạt.",
}


def example_row(unit_code: str, role_title: str) -> list[str]:
    values = {**EXAMPLE, "unit_code": unit_code, "role": role_title}
    return [values[key] for key, _vi, _en in COLUMNS]


def build_xlsx(
    *, unit_code: str, roles: Sequence[tuple[str, str]], units: Sequence[tuple[str, str]]
) -> bytes:
    """The workbook; ``roles`` and ``units`` are (code, title) pairs offered in drop-downs."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Danh sách"
    header_fill = PatternFill("solid", fgColor="FDE7E5")
    sheet.append([vi for _key, vi, _en in COLUMNS])
    sheet.append(example_row(unit_code, roles[0][1] if roles else ""))
    for index, (key, _vi, _en) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = WIDTHS[key]
        head = sheet.cell(row=1, column=index)
        head.font = Font(bold=True)
        head.fill = header_fill
        head.alignment = Alignment(wrap_text=True, vertical="top")
        if key in TEXT_COLUMNS:
            for row in range(2, 2001):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.cell(row=2, column=1).font = Font(italic=True, color="808080")
    sheet.freeze_panes = "A2"

    lists = book.create_sheet("Danh mục")
    lists.append(["Giới tính", "Vai trò", "Mã vai trò", "Mã đơn vị", "Tên đơn vị"])
    lists["A2"], lists["A3"] = "Nam", "Nữ"
    for offset, (code, title) in enumerate(roles, start=2):
        lists.cell(row=offset, column=2, value=title)
        lists.cell(row=offset, column=3, value=code)
    listed = list(units)[:MAX_LISTED_UNITS]
    for offset, (code, name) in enumerate(listed, start=2):
        lists.cell(row=offset, column=4, value=code)
        lists.cell(row=offset, column=5, value=name)
    lists.sheet_state = "hidden"
    ref = quote_sheetname(lists.title)
    columns = {key: get_column_letter(i) for i, (key, _vi, _en) in enumerate(COLUMNS, start=1)}
    _list(sheet, f"{ref}!$A$2:$A$3", f"{columns['gender']}2:{columns['gender']}200001")
    if roles:
        last = len(roles) + 1
        _list(sheet, f"{ref}!$B$2:$B${last}", f"{columns['role']}2:{columns['role']}200001")
    if listed:
        last = len(listed) + 1
        _list(
            sheet, f"{ref}!$D$2:$D${last}", f"{columns['unit_code']}2:{columns['unit_code']}200001"
        )

    guide = book.create_sheet("Hướng dẫn")
    guide.append(["Cột (tiêu đề)", "Khóa tiếng Anh", "Cách điền"])
    for key, vi, en in COLUMNS:
        guide.append([vi, f"{key} ({en})", HELP[key]])
    guide.append([])
    guide.append(["Dòng 2 của trang Danh sách là dòng ví dụ: thay bằng dữ liệu thật hoặc xóa đi."])
    guide.append(["Tiêu đề cột có thể viết bằng tiếng Việt hoặc tiếng Anh; thứ tự cột tùy ý."])
    guide.append(
        ["Không dùng công thức; không bắt đầu ô bằng =, +, -, @ (trừ dấu + của số điện thoại)."]
    )
    for letter, width in zip("ABC", (18, 28, 90), strict=True):
        guide.column_dimensions[letter].width = width
    for cell in guide[1]:
        cell.font = Font(bold=True)

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _list(sheet: object, source: str, target: str) -> None:
    validation = DataValidation(type="list", formula1=source, allow_blank=True)
    validation.error = "Chọn một giá trị trong danh sách."
    validation.errorTitle = "Giá trị không hợp lệ"
    validation.showErrorMessage = True
    validation.add(target)
    sheet.add_data_validation(validation)  # type: ignore[attr-defined]


def build_csv(*, unit_code: str, roles: Sequence[tuple[str, str]]) -> bytes:
    """UTF-8 with a BOM (what Excel calls "CSV UTF-8"), header and the example row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([vi for _key, vi, _en in COLUMNS])
    writer.writerow(example_row(unit_code, roles[0][1] if roles else ""))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
