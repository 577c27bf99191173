"""Activation letters as one PDF for a unit: one A4 page per person.

Each page carries the person's name, unit and username, the short activation code and a
QR code of the activation URL, and how to use them. Never the national ID number. The
letters are printed documents in Vietnamese, like the certificate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from hocvu.identity.activation import activation_code, activation_url
from hocvu.identity.models import User

logging.getLogger("fontTools").setLevel(logging.WARNING)

FONTS = Path(__file__).resolve().parent.parent / "web" / "fonts"
PROGRAM_LINE = "Chương trình Bình dân học vụ số – Quốc hội số"
_NAVY = (22, 48, 94)


def _qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """``text`` as a QR code of ``size`` mm drawn as vector squares (quiet zone included)."""
    rows = [list(row) for row in segno.make(text, error="m").matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, "F")


def _line(pdf: FPDF, label: str, value: str, *, big: bool = False) -> None:
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(48, 9 if big else 7, label)
    pdf.set_font("DejaVu", "B", 16 if big else 12)
    pdf.multi_cell(0, 9 if big else 7, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def letters_pdf(people: Sequence[User], tokens: dict[int, str], unit_name: str) -> bytes:
    """One page per person of ``people`` that has a token in ``tokens``."""
    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Thư kích hoạt tài khoản – {unit_name}")
    pdf.set_author("hocvu")
    pdf.set_lang("vi")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(20, 20, 20)
    for person in people:
        token = tokens.get(person.pk)
        if token is None:
            continue
        url = activation_url(token)
        pdf.add_page()
        pdf.set_text_color(*_NAVY)
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(0, 6, PROGRAM_LINE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "B", 20)
        pdf.cell(0, 14, "THƯ KÍCH HOẠT TÀI KHOẢN HỌC TẬP", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
        pdf.ln(4)
        _line(pdf, "Họ và tên:", person.full_name)
        _line(pdf, "Đơn vị:", person.unit.name if person.unit is not None else unit_name)
        if person.position:
            _line(pdf, "Chức vụ:", person.position)
        _line(pdf, "Tên đăng nhập:", person.username, big=True)
        _line(pdf, "Mã kích hoạt:", activation_code(token), big=True)
        pdf.ln(6)
        top = pdf.get_y()
        _qr(pdf, url, 20, top, 60)
        pdf.set_xy(88, top)
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(
            0,
            6,
            "Cách kích hoạt:\n"
            "1. Dùng điện thoại quét mã QR bên cạnh; hoặc\n"
            "2. Mở trang /activate/ của hệ thống, nhập tên đăng nhập và mã kích hoạt.\n"
            "3. Đặt mật khẩu của riêng Anh/Chị (ít nhất 8 ký tự).\n\n"
            "Thư này dùng được một lần và có hạn sử dụng. Không chia sẻ mã kích hoạt "
            "cho người khác. Nếu mất thư, hãy đề nghị quản lý đơn vị cấp thư mới "
            "(thư cũ sẽ hết hiệu lực).",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_y(top + 66)
        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(90)
        pdf.multi_cell(0, 4, url, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if pdf.page_no() == 0:
        pdf.add_page()
        pdf.set_font("DejaVu", "", 12)
        pdf.cell(0, 10, "Không có ai cần kích hoạt tài khoản.")
    return bytes(pdf.output())
