"""The unit report as a PDF: the document a unit brings to its annual emulation and reward
review (A4 landscape, the bundled DejaVu fonts, so every Vietnamese letter prints).

It carries the national heading, the title, the unit, the date and the period, the unit's
figures against its campaign's targets, the help given in mentoring (counts, never
scores), the units under it, the people (up to :data:`PEOPLE_LIMIT`; a larger subtree's
list is in the .xlsx) and a signature block. No ID number is ever printed.
"""

from __future__ import annotations

import logging
from datetime import date

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from hocvu.campaigns.models import MEASURES
from hocvu.campaigns.reports import LABELS, Report, figure_rows, people, person_header, report_title
from hocvu.content.pdf import FONTS

# fontTools reports every table it subsets at INFO level: noise.
logging.getLogger("fontTools").setLevel(logging.WARNING)

#: Above this many people the PDF lists the units under the unit, and the .xlsx the people.
PEOPLE_LIMIT = 1000


def day_text(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def long_date(day: date) -> str:
    """``ngày 05 tháng 12 năm 2026`` (a zero before days below 10 and months 1 and 2, as
    administrative documents write it: Decree 30/2020/NĐ-CP)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return _("day %(day)s month %(month)s year %(year)s") % {
        "day": f"{day.day:02d}",
        "month": month,
        "year": day.year,
    }


def percent(share: float) -> str:
    return f"{share * 100:.1f}%".replace(".0%", "%")


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="L", format="A4")
        self.footer_text = footer_text
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVu", "I", str(FONTS / "DejaVuSans-Oblique.ttf"))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)


def _line(pdf: FPDF, text: str, *, size: float = 10, style: str = "", align: str = "L") -> None:
    pdf.set_font("DejaVu", style, size)
    pdf.multi_cell(0, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    _line(pdf, text, size=11, style="B")
    pdf.ln(1)


def _table(pdf: FPDF, rows: list[list[str]], widths: tuple[float, ...], size: float = 8) -> None:
    pdf.set_font("DejaVu", "", size)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        line_height=size * 0.55,
        text_align="LEFT",
        first_row_as_headings=True,
    ) as table:
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(value)


def write_pdf(report: Report) -> tuple[bytes, int]:
    """The report as PDF bytes, and the number of people rows it lists."""
    unit_name = report.unit_name()
    pdf = _Document(f"{unit_name} · {day_text(report.today)}")
    pdf.set_title(report_title())
    pdf.set_author("hocvu")
    pdf.set_lang("vi")
    pdf.alias_nb_pages()
    pdf.add_page()

    # The national heading: the unit on the left, the motto on the right.
    top = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(120, 5, unit_name.upper(), align="C")
    left_bottom = pdf.get_y()
    pdf.set_xy(150, top)
    pdf.multi_cell(
        132, 5, _("SOCIALIST REPUBLIC OF VIETNAM"), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
    )
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(
        132, 5, _("Independence - Freedom - Happiness"), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT
    )
    pdf.set_font("DejaVu", "I", 10)
    pdf.multi_cell(132, 6, long_date(report.today), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 4)

    _line(pdf, report_title().upper(), size=13, style="B", align="C")
    _line(
        pdf,
        _("Period: from %(start)s to %(end)s")
        % {"start": day_text(report.period_start), "end": day_text(report.today)},
        align="C",
    )
    if report.campaign is not None:
        _line(
            pdf,
            _("Campaign: %(title)s (deadline %(deadline)s)")
            % {"title": report.campaign.title, "deadline": day_text(report.campaign.deadline)},
            align="C",
        )
    _line(pdf, f"{_('Unit')}: {unit_name} ({report.unit.code})", align="C")

    _heading(pdf, "I. " + _("Figures"))
    people_count = report.totals.people
    rows = [[_("Step"), str(LABELS["people"]), _("Share")]]
    for label, value in figure_rows(report)[:-1]:
        share = value / people_count if people_count else 0.0
        rows.append([label, str(value), percent(share)])
    _table(pdf, rows, (80, 40, 40), size=9)

    _heading(pdf, "II. " + _("Targets"))
    if report.targets:
        _line(
            pdf,
            _("Share %(measure)s today: %(share)s")
            % {"measure": str(LABELS[report.measure]).lower(), "share": percent(report.share)},
        )
        pdf.ln(1)
        rows = [[_("Target date"), _("Target"), _("Status")]]
        rows += [
            [day_text(t.by_date), percent(t.share), _("met") if t.met else _("not met")]
            for t in report.targets
        ]
        _table(pdf, rows, (50, 40, 70), size=9)
    else:
        _line(pdf, _("No campaign covers this unit."))

    _heading(pdf, "III. " + _("Help given in mentoring"))
    help_given = report.help
    if help_given is not None:
        rows = [
            [_("Mentoring sessions"), _("Minutes"), _("People helped")],
            [str(help_given.sessions), str(help_given.minutes), str(help_given.people_helped)],
        ]
        _table(pdf, rows, (55, 55, 55), size=9)

    section = 4
    if report.children:
        _heading(pdf, "IV. " + _("Units under it"))
        head = [_("Unit"), *(str(LABELS[m]) for m in MEASURES), _("Share")]
        rows = [head]
        for child in report.children:
            name = report_unit_name(child.unit)
            values = [str(getattr(child.totals, m)) for m in MEASURES]
            rows.append([name, *values, percent(child.totals.share(report.measure))])
        _table(pdf, rows, (82, 25, 25, 25, 25, 25, 25, 25), size=8)
        section = 5

    numeral = "V" if section == 5 else "IV"
    _heading(pdf, f"{numeral}. " + _("People list"))
    listed = 0
    if people_count > PEOPLE_LIMIT:
        _line(
            pdf,
            _(
                "%(count)s people: the list of every person, with their status and "
                "certificate, is in the spreadsheet (.xlsx) of this report."
            )
            % {"count": f"{people_count:,}".replace(",", ".")},
        )
    else:
        rows = [person_header()]
        yes, no = _("yes"), _("no")
        for p in people(report.unit, report.measure):
            rows.append(
                [
                    p.full_name,
                    p.unit_name,
                    p.position,
                    p.role,
                    p.status,
                    p.certificate,
                    day_text(p.certificate_date),
                    yes if p.completed else no,
                    day_text(p.last_activity),
                ]
            )
            listed += 1
        _table(pdf, rows, (36, 34, 30, 30, 22, 40, 22, 18, 20), size=7)

    # Signature block.
    pdf.ln(8)
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    top = pdf.get_y()
    for x, title, hint in (
        (15, _("PREPARED BY"), _("(Signature, full name)")),
        (160, _("HEAD OF THE UNIT"), _("(Signature, full name, seal)")),
    ):
        pdf.set_xy(x, top)
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(120, 5, title, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "I", 9)
        pdf.multi_cell(120, 5, hint, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return bytes(pdf.output()), listed


def report_unit_name(unit: object) -> str:
    from django.utils.translation import get_language

    english = (get_language() or "vi").startswith("en")
    name_en = getattr(unit, "name_en", "")
    return str(name_en if english and name_en else getattr(unit, "name", ""))
