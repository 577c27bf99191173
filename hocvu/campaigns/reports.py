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


def certificates(unit: Unit) -> dict[int, tuple[str, date | None]]:
    """Each person's valid certificate in the subtree (the latest issued): one query."""
    now = timezone.now()
    rows = (
        Credential.objects.filter(learner__unit__path__startswith=unit.path, revoked_at=None)
        .filter(Q(valid_until=None) | Q(valid_until__gt=now))
        .order_by("learner_id", "issued_at", "id")
        .values_list("learner_id", "id", "issued_at")
    )
    found: dict[int, tuple[str, date | None]] = {}
    for learner_id, credential_id, issued_at in rows.iterator(chunk_size=CHUNK):
        found[learner_id] = (str(credential_id), local_day(issued_at))
    return found


#: One person's row as the documents list it: name, unit, position, role, status,
#: certificate number, certificate date, completion criterion met, last activity.
PersonRow = tuple[str, str, str, str, str, str, date | None, bool, date | None]


def person_rows(unit: Unit, measure: str = Measure.CERTIFIED) -> Iterator[PersonRow]:
    """The counted people of the subtree, by unit then name, as plain tuples: one streamed
    query (plus the certificates, the unit names and the role titles, one query each)."""
    certs = certificates(unit)
    titles = role_titles()
    english = (get_language() or "vi").startswith("en")
    units = {
        pk: (name_en if english and name_en else name)
        for pk, name, name_en in Unit.objects.filter(path__startswith=unit.path).values_list(
            "pk", "name", "name_en"
        )
    }
    roles = {code: (t[1] or t[0] if english else t[0]) for code, t in titles.items()}
    not_activated = _("Not activated")
    labels = [str(LABELS[step]) for step in STEPS]
    reached = 6 + ("activated", "placed", "learning", "at_target", "certified").index(measure)
    rows = (
        PersonStatus.objects.filter(counted=True, unit_path__startswith=unit.path)
        .order_by("unit_path", "name_folded", "pk")
        .values_list(
            "person_id",
            "full_name",
            "unit_id",
            "person__position",
            "job_role",
            "last_activity",
            "activated_on",
            "placed_on",
            "learning_on",
            "at_target_on",
            "certified_on",
        )
    )
    no_cert = ("", None)
    for row in rows.iterator(chunk_size=CHUNK):
        pk, full_name, unit_id, position, job_role, last_activity = row[:6]
        # The furthest step reached, certified first (STEPS order).
        if row[10] is not None:
            status = labels[0]
        elif row[9] is not None:
            status = labels[1]
        elif row[8] is not None:
            status = labels[2]
        elif row[7] is not None:
            status = labels[3]
        elif row[6] is not None:
            status = labels[4]
        else:
            status = not_activated
        cert = certs.get(pk, no_cert)
        yield (
            full_name,
            units.get(unit_id, ""),
            position or "",
            roles.get(job_role, job_role),
            status,
            cert[0],
            cert[1],
            row[reached] is not None,
            last_activity,
        )


def people(unit: Unit, measure: str = Measure.CERTIFIED) -> Iterator[PersonLine]:
    """The same rows as :func:`person_rows`, named."""
    for row in person_rows(unit, measure):
        yield PersonLine(*row)


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


def _skeleton(report: Report) -> tuple[Any, Any]:
    """The workbook (openpyxl, write-only) with its summary sheet and the people sheet's
    header: (workbook, people sheet)."""
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
    return book, sheet


def write_xlsx_openpyxl(report: Report, out: IO[bytes]) -> int:
    """The whole report through openpyxl's write-only cells: the reference the fast writer
    is tested and benchmarked against (about 80 µs of CPU a person: 80 s a million)."""
    book, sheet = _skeleton(report)
    yes, no = _("yes"), _("no")
    count = 0
    for p in person_rows(report.unit, report.measure):
        sheet.append(
            [
                text_cell(sheet, p[0]),
                text_cell(sheet, p[1]),
                text_cell(sheet, p[2]),
                text_cell(sheet, p[3]),
                p[4],
                p[5],
                p[6],
                yes if p[7] else no,
                p[8],
            ]
        )
        count += 1
    book.save(out)
    return count


_EPOCH = date(1899, 12, 30).toordinal()  # Excel's day 0 (its 1900 leap-year bug included)
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _escape(text: str) -> str:
    """Text as a sheet's XML carries it: no control characters, tabs and line breaks as
    spaces, & < > escaped (the PostgreSQL writer does exactly the same in SQL)."""
    if not text.isprintable():
        text = clean(text).replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return text.translate(_XML_ESCAPES)


def _inline(column: str, row: int, escaped: str) -> str:
    """An inline-string cell, or nothing for an empty text."""
    if not escaped:
        return ""
    space = ' xml:space="preserve"' if escaped != escaped.strip(" ") else ""
    return f'<c r="{column}{row}" t="inlineStr"><is><t{space}>{escaped}</t></is></c>'


def write_xlsx(report: Report, out: IO[bytes]) -> int:
    """Write the report as an .xlsx to ``out``; return the number of people rows.

    openpyxl (write-only) makes the workbook: the summary sheet, the styles, the people
    sheet's header and one probe row. The people rows are then written as the sheet's
    XML straight into the zip entry, a chunk at a time, in place of the probe: the same
    cells openpyxl would write (inline strings, dates as day numbers in openpyxl's date
    style), at a tenth of the cost, and the memory stays flat however many people."""
    import io
    import zipfile

    book, sheet = _skeleton(report)
    probe = date(2000, 1, 1)
    sheet.append(["p", "p", "p", "p", "p", "p", probe, "p", probe])
    skeleton = io.BytesIO()
    book.save(skeleton)
    count = 0
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        people_sheet = f"xl/worksheets/sheet{len(book.worksheets)}.xml"
        for info in source.infolist():
            if info.filename != people_sheet:
                target.writestr(info, source.read(info.filename))
                continue
            xml = source.read(info.filename).decode("utf-8")
            before, rest = xml.split("<sheetData>", 1)
            rows, after = rest.split("</sheetData>", 1)
            header = rows[: rows.index("</row>") + len("</row>")]
            date_style = re.search(r'<c r="G2" s="(\d+)"', rows)
            style = f' s="{date_style.group(1)}"' if date_style else ""
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with target.open(entry, "w", force_zip64=True) as stream:
                stream.write(f"{before}<sheetData>{header}".encode())
                count = _write_people(report, stream, style)
                stream.write(f"</sheetData>{after}".encode())
    return count


def _write_people(report: Report, stream: IO[bytes], date_style: str) -> int:
    from django.db import connection

    if connection.vendor == "postgresql":
        return _write_people_postgresql(report, stream, date_style)
    return _write_people_python(report, stream, date_style)


def _write_people_python(report: Report, stream: IO[bytes], date_style: str) -> int:
    """The people rows as sheet XML, built in Python from :func:`person_rows`."""
    yes, no = _escape(_("yes")), _escape(_("no"))
    escaped: dict[str, str] = {}  # unit names and statuses repeat
    epoch = _EPOCH
    buffer: list[str] = []
    n = 1
    for name, unit_name, position, role, status, cert, cert_day, done, last in person_rows(
        report.unit, report.measure
    ):
        n += 1
        unit_xml = escaped.get(unit_name)
        if unit_xml is None:
            unit_xml = escaped[unit_name] = _escape(unit_name)
        status_xml = escaped.get(status)
        if status_xml is None:
            status_xml = escaped[status] = _escape(status)
        cells = [
            f'<row r="{n}">',
            _inline("A", n, _escape(name)),
            _inline("B", n, unit_xml),
            _inline("C", n, _escape(position)),
            _inline("D", n, _escape(role)),
            _inline("E", n, status_xml),
            _inline("F", n, cert),
        ]
        if cert_day is not None:
            cells.append(f'<c r="G{n}"{date_style} t="n"><v>{cert_day.toordinal() - epoch}</v></c>')
        cells.append(_inline("H", n, yes if done else no))
        if last is not None:
            cells.append(f'<c r="I{n}"{date_style} t="n"><v>{last.toordinal() - epoch}</v></c>')
        cells.append("</row>")
        buffer.append("".join(cells))
        if len(buffer) >= 2000:
            stream.write("".join(buffer).encode())
            buffer.clear()
    stream.write("".join(buffer).encode())
    return n - 1


def _sql_escape(expr: str) -> str:
    """SQL for :func:`_escape` of a text expression."""
    illegal = "'[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f]'"  # _ILLEGAL, as a PostgreSQL pattern
    cleaned = f"regexp_replace(coalesce({expr}, ''), {illegal}, '', 'g')"
    spaced = f"translate({cleaned}, E'\\t\\n\\r', '   ')"
    return f"replace(replace(replace({spaced}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


def _sql_inline(column: str, escaped: str) -> str:
    """SQL for :func:`_inline` of an already escaped expression (row number ``rn``)."""
    return (
        f"CASE WHEN {escaped} = '' THEN '' ELSE '<c r=\"{column}' || rn || "
        f"'\" t=\"inlineStr\"><is><t' || CASE WHEN {escaped} <> btrim({escaped}, ' ') "
        f"THEN ' xml:space=\"preserve\"' ELSE '' END || '>' || {escaped} || '</t></is></c>' END"
    )


def _sql_day(column: str, expr: str, date_style: str) -> str:
    style = date_style.replace("'", "''")
    return (
        f"CASE WHEN {expr} IS NULL THEN '' ELSE '<c r=\"{column}' || rn || '\"{style} "
        f"t=\"n\"><v>' || ({expr} - DATE '1899-12-30') || '</v></c>' END"
    )


def _write_people_postgresql(report: Report, stream: IO[bytes], date_style: str) -> int:
    """The same XML as :func:`_write_people_python`, built by PostgreSQL: one query whose
    rows are finished ``<row>`` elements, read through a server-side cursor. Python only
    moves bytes, so a million people cost seconds, not a minute (BENCHMARKS.md)."""
    from django.conf import settings
    from django.db import connections, router

    from hocvu.identity.models import User

    # Raw SQL bypasses the router: ask it, so the export reads from the read replica
    # when the view runs in its scope (hocvu.replicas).
    connection = connections[router.db_for_read(PersonStatus)]

    english = (get_language() or "vi").startswith("en")
    titles = role_titles()
    codes = list(titles)
    names = [(t[1] or t[0]) if english else t[0] for t in titles.values()]
    labels = [_escape(str(LABELS[step])) for step in STEPS]
    q = connection.ops.quote_name
    status_table = q(PersonStatus._meta.db_table)
    user_table = q(User._meta.db_table)
    unit_table = q(Unit._meta.db_table)
    credential_table = q(Credential._meta.db_table)
    measure = {"certified": "certified_on", "at_target": "at_target_on"}.get(
        report.measure, "certified_on"
    )
    status_sql = (
        "CASE WHEN s.certified_on IS NOT NULL THEN %s WHEN s.at_target_on IS NOT NULL THEN %s "
        "WHEN s.learning_on IS NOT NULL THEN %s WHEN s.placed_on IS NOT NULL THEN %s "
        "WHEN s.activated_on IS NOT NULL THEN %s ELSE %s END"
    )
    # Table names come from the models and the fragments are fixed: every value is a parameter.
    sql = f"""
        SELECT '<row r="' || rn || '">'
            || {_sql_inline("A", "x.name")} || {_sql_inline("B", "x.unit")}
            || {_sql_inline("C", "x.position")} || {_sql_inline("D", "x.role")}
            || {_sql_inline("E", "x.status")} || {_sql_inline("F", "x.cert")}
            || {_sql_day("G", "x.cert_day", date_style)}
            || {_sql_inline("H", "x.done")}
            || {_sql_day("I", "x.last", date_style)} || '</row>'
        FROM (
            SELECT row_number() OVER (ORDER BY s.unit_path, s.name_folded, s.person_id) + 1 AS rn,
                {_sql_escape("s.full_name")} AS name,
                {_sql_escape("CASE WHEN %s AND un.name_en <> '' THEN un.name_en ELSE un.name END")}
                    AS unit,
                {_sql_escape("u.position")} AS position,
                {_sql_escape("coalesce(rt.title, s.job_role)")} AS role,
                {status_sql} AS status,
                coalesce(c.id::text, '') AS cert,
                (c.issued_at AT TIME ZONE %s)::date AS cert_day,
                CASE WHEN s.{measure} IS NOT NULL THEN %s ELSE %s END AS done,
                s.last_activity AS last
            FROM {status_table} s
            JOIN {user_table} u ON u.id = s.person_id
            LEFT JOIN {unit_table} un ON un.id = s.unit_id
            LEFT JOIN (
                SELECT unnest(%s::text[]) AS code, unnest(%s::text[]) AS title
            ) rt ON rt.code = s.job_role
            LEFT JOIN (
                SELECT DISTINCT ON (learner_id) learner_id, id, issued_at
                FROM {credential_table}
                WHERE revoked_at IS NULL AND (valid_until IS NULL OR valid_until > now())
                ORDER BY learner_id, issued_at DESC, id DESC
            ) c ON c.learner_id = s.person_id
            WHERE s.counted AND s.unit_path LIKE %s
        ) x
        ORDER BY rn
    """  # noqa: S608  # nosec B608
    params: list[Any] = [
        english,
        *labels,
        _escape(_("Not activated")),
        settings.TIME_ZONE,
        _escape(_("yes")),
        _escape(_("no")),
        codes,
        names,
        connection.ops.prep_for_like_query(report.unit.path) + "%",
    ]
    count = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            stream.write("".join(r[0] for r in rows).encode())
            count += len(rows)
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
