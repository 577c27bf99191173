"""A module as a printable PDF handout, in Vietnamese with the font embedded."""

from __future__ import annotations

import re
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, TextStyle
from fpdf.html import HTML2FPDF

from hocvu.content.models import LessonKind, Module
from hocvu.content.rendering import render_markdown

FONTS = Path(__file__).resolve().parent.parent / "web" / "fonts"

# Vietnamese stacks marks above letters (ễ, ẩ, Ở): body lines at 1.5 times the font size
# keep them clear of the line above. A lesson's own headings stay below its title (14 pt).
LINE_HEIGHT = 1.5
BODY_PT = 10.5
LESSON_TITLE_PT = 14
_NAVY = "#1f3a5f"
HEADING_STYLES = {
    "h1": TextStyle(font_style="B", font_size_pt=13, color=_NAVY, t_margin=4, b_margin=1),
    "h2": TextStyle(font_style="B", font_size_pt=12.5, color=_NAVY, t_margin=4, b_margin=1),
    "h3": TextStyle(font_style="B", font_size_pt=11.5, color=_NAVY, t_margin=3, b_margin=1),
    "h4": TextStyle(font_style="B", font_size_pt=BODY_PT, color=_NAVY, t_margin=3, b_margin=1),
}


class _HandoutHTML(HTML2FPDF):
    TABLE_LINE_HEIGHT = LINE_HEIGHT


class _Handout(FPDF):
    HTML2FPDF_CLASS = _HandoutHTML

    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.title_text = title
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVu", "I", str(FONTS / "DejaVuSans-Oblique.ttf"))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(110)
        self.cell(0, 6, f"{self.title_text} · {self.page_no()}", align="C")


def _html_for_pdf(html: str) -> str:
    # fpdf2's HTML renderer knows a subset of HTML: drop what it cannot place (images
    # are SVG figures for the screen; the handout keeps their alt text).
    html = re.sub(r'<img[^>]*alt="([^"]*)"[^>]*>', r"<i>[Hình: \1]</i>", html)
    html = re.sub(r'<blockquote class="[^"]*">', "<blockquote>", html)
    # Table cells take plain text only.
    html = re.sub(
        r"<(td|th)(\s[^>]*)?>(.*?)</\1>",
        lambda m: (
            f"<{m.group(1)}{m.group(2) or ''}>{re.sub(r'<[^>]+>', '', m.group(3))}</{m.group(1)}>"
        ),
        html,
        flags=re.S,
    )
    # fpdf2 sets lines at the font size unless told: give every text block room.
    return re.sub(
        r"<(p|ul|ol|blockquote)(\s[^>]*)?>",
        lambda m: f'<{m.group(1)}{m.group(2) or ""} line-height="{LINE_HEIGHT}">',
        html,
    )


def module_pdf(module: Module) -> bytes:
    """Every published lesson of the module, level by level, lecture transcripts included."""
    pdf = _Handout(f"{module.code} {module.title}")
    pdf.set_title(module.title)
    pdf.set_author("hocvu")
    pdf.set_lang("vi")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(0, 9, module.title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 11)
    pdf.set_text_color(90)
    pdf.multi_cell(
        0,
        6,
        f"{module.competence.code} {module.competence.title}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0)
    if module.summary:
        pdf.ln(2)
        pdf.multi_cell(0, 6, module.summary, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    lessons = (
        module.lessons.filter(published__isnull=False)
        .select_related("published")
        .order_by("level", "position")
    )
    for lesson in lessons:
        revision = lesson.published
        assert revision is not None
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", LESSON_TITLE_PT)
        pdf.multi_cell(
            0,
            7,
            f"Mức {lesson.level}. {revision.title}",
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_font("DejaVu", "", BODY_PT)
        pdf.write_html(
            _html_for_pdf(str(render_markdown(revision.body))),
            font_family="DejaVu",
            tag_styles={
                "code": FontFace(family="DejaVu"),
                "pre": TextStyle(font_family="DejaVu", t_margin=2),
                **HEADING_STYLES,
            },
        )
        if lesson.kind == LessonKind.LECTURE and revision.transcript:
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(0, 6, "Lời giảng", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 5.5, revision.transcript, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
