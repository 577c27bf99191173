"""The unit report for the annual emulation and reward review: figures and people.

A report reads the unit's figures from its day rows (``services.dashboard``) and its people
from the ``PersonStatus`` rows of its subtree in ONE streamed query, with each person's
valid certificate from one more query: the number of queries does not depend on the
number of people. No ID number (CCCD) is ever read here: the person columns are chosen
explicitly and the citizen ID is not one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from hocvu.campaigns import services
from hocvu.campaigns.models import MEASURES, Campaign, Measure, PersonStatus
from hocvu.campaigns.progress import local_day
from hocvu.credentials.models import Credential
from hocvu.framework.services import role_titles
from hocvu.mentoring.services import HelpGiven, help_given
from hocvu.organizations.models import Unit

LABELS = {
    "people": pgettext_lazy("progress", "People"),
    "activated": gettext_lazy("Activated"),
    "placed": gettext_lazy("Placed"),
    "learning": gettext_lazy("Learning"),
    "at_target": gettext_lazy("At target"),
    "certified": gettext_lazy("Certified"),
}
#: A person's status is the furthest step reached, in funnel order.
STEPS = ("certified", "at_target", "learning", "placed", "activated")
#: Rows fetched per round trip when streaming people (a server-side cursor on PostgreSQL).
CHUNK = 5000

_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@dataclass(frozen=True)
class TargetLine:
    by_date: date
    share: float
    measure: str
    met: bool


@dataclass
class Report:
    """What the report says about the unit, before its people."""

    unit: Unit
    today: date
    period_start: date
    totals: services.Totals
    campaign: Campaign | None = None
    measure: str = Measure.CERTIFIED
    targets: list[TargetLine] = field(default_factory=list)
    children: list[services.ChildRow] = field(default_factory=list)
    help: HelpGiven | None = None

    @property
    def share(self) -> float:
        return self.totals.share(self.measure)

    def unit_name(self) -> str:
        english = (get_language() or "vi").startswith("en")
        return self.unit.name_en if english and self.unit.name_en else self.unit.name


@dataclass(frozen=True)
class PersonLine:
    """One person's row (no ID number, by construction)."""

    full_name: str
    unit_name: str
    position: str
    role: str
    status: str
    certificate: str
    certificate_date: date | None
    completed: bool
    last_activity: date | None


def build(unit: Unit, campaign: Campaign | None, *, today: date | None = None) -> Report:
    """The unit's figures against ``campaign``'s targets and the help given in its subtree."""
    today = today or local_day()
    board = services.dashboard(unit, campaign, today=today)
    period_start = board.campaign.starts_on if board.campaign else date(today.year, 1, 1)
    share = board.totals.share(board.measure)
    return Report(
        unit=unit,
        today=today,
        period_start=period_start,
        totals=board.totals,
        campaign=board.campaign,
        measure=board.measure,
        targets=[
            TargetLine(t.by_date, float(t.share), t.measure, share >= float(t.share) - 1e-9)
            for t in board.targets
        ],
        children=board.children,
        help=help_given(unit.path, since=period_start),
    )


def status_of(row: dict[str, Any]) -> str:
    for step in STEPS:
        if row[f"{step}_on"] is not None:
            return step
    return "not_activated"


def certificates(unit: Unit) -> dict[int, tuple[str, date]]:
    """Each person's valid certificate in the subtree (the latest issued): one query."""
    now = timezone.now()
    rows = (
        Credential.objects.filter(learner__unit__path__startswith=unit.path, revoked_at=None)
        .filter(Q(valid_until=None) | Q(valid_until__gt=now))
        .order_by("learner_id", "issued_at")
        .values_list("learner_id", "id", "issued_at")
    )
    found: dict[int, tuple[str, date]] = {}
    for learner_id, credential_id, issued_at in rows.iterator(chunk_size=CHUNK):
        found[learner_id] = (str(credential_id), local_day(issued_at))
    return found


def people(unit: Unit, measure: str = Measure.CERTIFIED) -> Iterator[PersonLine]:
    """The counted people of the subtree, by unit then name: one streamed query (plus the
    certificates and the role titles, one query each)."""
    certs = certificates(unit)
    titles = role_titles()
    english = (get_language() or "vi").startswith("en")
    status_labels = {**{k: str(v) for k, v in LABELS.items()}, "not_activated": _("Not activated")}
    reached = f"{measure}_on"
    rows = (
        PersonStatus.objects.filter(counted=True, unit_path__startswith=unit.path)
        .order_by("unit_path", "name_folded", "pk")
        .values_list(
            "person_id",
            "full_name",
            "unit__name",
            "unit__name_en",
            "person__position",
            "job_role",
            "activated_on",
            "placed_on",
            "learning_on",
            "at_target_on",
            "certified_on",
            "last_activity",
        )
    )
    names = ("activated_on", "placed_on", "learning_on", "at_target_on", "certified_on")
    for row in rows.iterator(chunk_size=CHUNK):
        pk, full_name, unit_name, unit_name_en, position, job_role = row[:6]
        dates = dict(zip(names, row[6:11], strict=True))
        title = titles.get(job_role)
        role = (title[1] or title[0] if english else title[0]) if title else job_role
        cert = certs.get(pk)
        yield PersonLine(
            full_name=full_name,
            unit_name=(unit_name_en if english and unit_name_en else unit_name) or "",
            position=position or "",
            role=role,
            status=status_labels[status_of(dates)],
            certificate=cert[0] if cert else "",
            certificate_date=cert[1] if cert else None,
            completed=dates[reached] is not None,
            last_activity=row[11],
        )


def clean(text: str) -> str:
    """Text safe for a spreadsheet cell: no control characters."""
    return _ILLEGAL.sub("", text)


# ---------------------------------------------------------------------------------------
# .xlsx
# ---------------------------------------------------------------------------------------


def figure_rows(report: Report) -> list[tuple[str, Any]]:
    """The unit's figures as (label, value) pairs, in the order both documents show them."""
    rows: list[tuple[str, Any]] = [(str(LABELS[m]), getattr(report.totals, m)) for m in MEASURES]
    measure = str(LABELS[report.measure])
    rows.append(
        (_("Share %(measure)s") % {"measure": measure[:1].lower() + measure[1:]}, report.share)
    )
    return rows


def person_header() -> list[str]:
    return [
        _("Full name"),
        _("Unit"),
        _("Position"),
        _("Role profile"),
        _("Status"),
        _("Certificate number"),
        _("Certificate date"),
        _("Completion criterion met"),
        _("Last activity"),
    ]


def write_xlsx(report: Report, out: IO[bytes]) -> int:
    """Write the report as an .xlsx to ``out`` (openpyxl's write-only mode: rows go to disk
    as they come, memory stays flat); return the number of people rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    summary = book.create_sheet(_("Summary")[:31])
    bold = Font(bold=True)

    def strong(text: str) -> Any:
        cell = WriteOnlyCell(summary, value=clean(text))
        cell.font = bold
        return cell

    summary.column_dimensions["A"].width = 44
    summary.column_dimensions["B"].width = 22
    summary.column_dimensions["C"].width = 14
    summary.append([strong(report_title())])
    summary.append([_("Unit"), report.unit_name(), report.unit.code])
    summary.append([_("Period"), report.period_start, report.today])
    summary.append([_("Date of the report"), report.today])
    if report.campaign is not None:
        summary.append([_("Campaign"), text_cell(summary, report.campaign.title)])
        summary.append([_("Deadline"), report.campaign.deadline])
    summary.append([])
    summary.append([strong(_("Figures"))])
    for label, value in figure_rows(report):
        summary.append([label, value])
    if report.targets:
        summary.append([])
        summary.append([strong(_("Targets")), _("Target"), _("Status")])
        for t in report.targets:
            summary.append([t.by_date, t.share, _("met") if t.met else _("not met")])
    if report.help is not None:
        summary.append([])
        summary.append([strong(_("Help given in mentoring"))])
        summary.append([_("Mentoring sessions"), report.help.sessions])
        summary.append([_("Minutes"), report.help.minutes])
        summary.append([_("People helped"), report.help.people_helped])
    if report.children:
        summary.append([])
        summary.append([strong(_("Units under it")), *(str(LABELS[m]) for m in MEASURES)])
        english = (get_language() or "vi").startswith("en")
        for child in report.children:
            name = child.unit.name_en if english and child.unit.name_en else child.unit.name
            summary.append(
                [text_cell(summary, name), *(getattr(child.totals, m) for m in MEASURES)]
            )

    sheet = book.create_sheet(_("People list")[:31])
    for column, width in zip("ABCDEFGHI", (30, 30, 26, 26, 14, 38, 14, 12, 14), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append(person_header())
    yes, no = _("yes"), _("no")
    count = 0
    append = sheet.append
    for p in people(report.unit, report.measure):
        append(
            [
                text_cell(sheet, p.full_name),
                text_cell(sheet, p.unit_name),
                text_cell(sheet, p.position),
                text_cell(sheet, p.role),
                p.status,
                p.certificate,
                p.certificate_date,
                yes if p.completed else no,
                p.last_activity,
            ]
        )
        count += 1
    book.save(out)
    return count


def text_cell(sheet: Any, text: str) -> Any:
    """A text value as a cell; a text that Excel would read as a formula stays text."""
    if not text:
        return text
    if text[0] == "=" or _ILLEGAL.search(text):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=clean(text))
        cell.data_type = "s"
        return cell
    return text


def report_title() -> str:
    return _("Report on the digital skills movement for the annual emulation and reward review")


# ---------------------------------------------------------------------------------------
# Exports (audited)
# ---------------------------------------------------------------------------------------


def _audit_export(actor: Any, report: Report, fmt: str, rows: int) -> None:
    from hocvu.audit import services as audit

    audit.record(
        "campaigns.export",
        actor=actor,
        obj=report.unit,
        unit_path=report.unit.path,
        data={
            "format": fmt,
            "unit": report.unit.code,
            "rows": rows,
            "people": report.totals.people,
            "campaign": report.campaign.pk if report.campaign else None,
        },
    )


def export_xlsx(unit: Unit, campaign: Campaign | None, *, actor: Any, out: IO[bytes]) -> int:
    """Write the unit's report as .xlsx to ``out`` and record the export; rows written."""
    report = build(unit, campaign)
    rows = write_xlsx(report, out)
    _audit_export(actor, report, "xlsx", rows)
    return rows


def export_pdf(unit: Unit, campaign: Campaign | None, *, actor: Any) -> bytes:
    """The unit's report as PDF bytes; the export is recorded."""
    from hocvu.campaigns.report_pdf import write_pdf

    report = build(unit, campaign)
    data, rows = write_pdf(report)
    _audit_export(actor, report, "pdf", rows)
    return data
