"""Checking a roster file for a manager and a unit, without writing anything.

The result is a :class:`Report`: the file's columns, every row cleaned, every problem with
its row (as the spreadsheet numbers it) and column (as the file's header names it), and
each row's status and default decision on possible duplicates (see ``services``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date
from typing import Any

from django.utils import timezone

from hocvu.audit import crypto
from hocvu.framework.services import current_version
from hocvu.identity import access
from hocvu.identity.bulk import PersonData
from hocvu.identity.models import User
from hocvu.identity.services import NATIONAL_ID_CONTEXT
from hocvu.organizations.models import Unit
from hocvu.roster import checks
from hocvu.roster.models import Decision, Level, RowStatus
from hocvu.roster.reading import UnreadableFile, read

PERMISSION = "person.manage"
_CHUNK = 2000

# Column keys, in template order, with the Vietnamese header and the English one.
COLUMNS: list[tuple[str, str, str]] = [
    ("full_name", "Họ và tên", "Full name"),
    ("date_of_birth", "Ngày sinh", "Date of birth"),
    ("gender", "Giới tính", "Gender"),
    ("national_id", "Số CCCD", "Citizen ID"),
    ("phone", "Số điện thoại", "Phone"),
    ("email", "Thư điện tử", "E-mail"),
    ("unit_code", "Mã đơn vị", "Unit code"),
    ("position", "Chức vụ", "Position"),
    ("role", "Vai trò", "Role"),
]
REQUIRED = ("full_name", "date_of_birth", "gender", "national_id", "role")
# Other header spellings seen in Vietnamese rosters, folded by checks.header_key.
ALIASES: dict[str, str] = {
    **{checks.header_key(vi): key for key, vi, _en in COLUMNS},
    **{checks.header_key(en): key for key, _vi, en in COLUMNS},
    **{checks.header_key(key): key for key, _vi, _en in COLUMNS},
    "hoten": "full_name",
    "hotendaydu": "full_name",
    "name": "full_name",
    "ngaythangnamsinh": "date_of_birth",
    "dob": "date_of_birth",
    "birthdate": "date_of_birth",
    "sex": "gender",
    "cccd": "national_id",
    "socancuoccongdan": "national_id",
    "socancuoc": "national_id",
    "sodinhdanh": "national_id",
    "sodinhdanhcanhan": "national_id",
    "citizenidnumber": "national_id",
    "dienthoai": "phone",
    "sdt": "phone",
    "mobile": "phone",
    "phonenumber": "phone",
    "email": "email",
    "diachiemail": "email",
    "unit": "unit_code",
    "chucdanh": "position",
    "vitrivieclam": "role",
    "jobrole": "role",
    "roleprofile": "role",
}
IGNORED_HEADERS = {"stt", "tt", "no", "ghichu", "note", "notes"}

# The template's example row, recognised and skipped if a manager leaves it in.
EXAMPLE = {
    "full_name": "Nguyễn Văn An",
    "date_of_birth": "15/03/1980",
    "gender": "Nam",
    "national_id": "040080012345",
    "phone": "0912345678",
    "email": "nguyenvanan@example.vn",
    "position": "Đại biểu HĐND xã",
}


@dataclass
class Problem:
    row: int
    field: str
    column: str
    level: str
    code: str
    params: dict[str, Any] = default(default_factory=dict)


@dataclass
class Row:
    number: int
    full_name: str = ""
    date_of_birth: date | None = None
    gender: str = ""
    national_id: str = ""
    index: str = ""
    phone: str = ""
    email: str = ""
    unit_code: str = ""
    unit_id: int | None = None
    position: str = ""
    job_role: str = ""
    problems: list[Problem] = default(default_factory=list)
    status: str = RowStatus.OK
    match_id: int | None = None  # a stored person with the same citizen ID
    match_visible: bool = False
    unchanged: bool = False
    choices: tuple[str, ...] = ()
    decision: str = ""

    @property
    def has_error(self) -> bool:
        return any(p.level == Level.ERROR for p in self.problems)

    def data(self) -> PersonData:
        assert self.unit_id is not None
        return PersonData(
            full_name=self.full_name,
            unit_id=self.unit_id,
            national_id=self.national_id,
            date_of_birth=self.date_of_birth,
            gender=self.gender,
            position=self.position,
            job_role=self.job_role,
            email=self.email,
        )


@dataclass
class Report:
    columns: list[tuple[str, str]] = default(default_factory=list)  # (key, file's header)
    rows: list[Row] = default(default_factory=list)
    file_problems: list[Problem] = default(default_factory=list)
    missing: dict[str, int] = default(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(p.level == Level.ERROR for p in self.file_problems) or any(
            r.has_error for r in self.rows
        )

    def problems(self) -> Iterator[Problem]:
        yield from self.file_problems
        for row in self.rows:
            yield from row.problems

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    def column_name(self, key: str) -> str:
        return next((header for k, header in self.columns if k == key), key)


class NotAllowed(Exception):
    """The importer may not manage people in that unit."""


def require(actor: Any, unit: Unit) -> None:
    """Refuse an importer who does not manage people in ``unit``."""
    if not access.can(actor, PERMISSION, unit):
        raise NotAllowed(unit.code)


def validate(data: bytes, *, actor: Any, unit: Unit, today: date | None = None) -> Report:
    """Read and check ``data`` as a roster for ``unit``'s subtree, imported by ``actor``."""
    require(actor, unit)
    report = check_file(data, today=today)
    check_database(report, actor=actor, unit=unit)
    return report


def check_file(data: bytes, *, today: date | None = None) -> Report:
    """Everything that depends on the file alone: columns, cells, agreement of columns."""
    report = Report()
    try:
        rows = iter(read(data).rows)
        if _find_header(rows, report) is not None:
            _check_rows(rows, report, today or timezone.localdate())
    except UnreadableFile as exc:
        report.rows = []
        report.file_problems.append(Problem(0, "", "", Level.ERROR, exc.code, exc.params))
    return report


# Problems found by check_database; everything else comes from the file alone.
DATABASE_CODES = ("unit.", "dup.")


def check_database(report: Report, *, actor: Any, unit: Unit) -> None:
    """Units in scope and duplicates against stored people; sets each row's decision.

    Can run again on the same report (at commit): earlier database findings are dropped.
    """
    if any(p.level == Level.ERROR for p in report.file_problems) or not report.rows:
        return
    for row in report.rows:
        row.problems = [p for p in row.problems if not p.code.startswith(DATABASE_CODES)]
        row.unit_id, row.match_id, row.match_visible, row.unchanged = None, None, False, False
        row.choices, row.decision = (), ""
        if row.status != RowStatus.SKIPPED:
            row.status = RowStatus.OK
    _resolve_units(report, actor, unit)
    _find_duplicates(report, actor)
    for row in report.rows:
        _settle(row)


_ROW_FIELDS = (
    "number",
    "full_name",
    "gender",
    "national_id",
    "index",
    "phone",
    "email",
    "unit_code",
    "position",
    "job_role",
    "status",
)


def dump(report: Report) -> bytes:
    """The file's findings (before check_database) as JSON, to be sealed until commit."""
    rows = []
    for r in report.rows:
        item: dict[str, Any] = {f: getattr(r, f) for f in _ROW_FIELDS}
        item["date_of_birth"] = r.date_of_birth.isoformat() if r.date_of_birth else None
        item["problems"] = [
            [p.field, p.column, p.level, p.code, p.params]
            for p in r.problems
            if not p.code.startswith(DATABASE_CODES)
        ]
        rows.append(item)
    file_problems = [
        [p.row, p.field, p.column, p.level, p.code, p.params] for p in report.file_problems
    ]
    payload = {
        "columns": report.columns,
        "missing": report.missing,
        "rows": rows,
        "file_problems": file_problems,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def load(data: bytes) -> Report:
    payload = json.loads(data)
    report = Report(
        columns=[(k, h) for k, h in payload["columns"]],
        missing=payload["missing"],
        file_problems=[Problem(*p) for p in payload["file_problems"]],
    )
    for item in payload["rows"]:
        born = item.pop("date_of_birth")
        problems = item.pop("problems")
        row = Row(**item)
        row.date_of_birth = date.fromisoformat(born) if born else None
        row.problems = [Problem(row.number, *p) for p in problems]
        report.rows.append(row)
    return report


def _find_header(rows: Iterator[tuple[int, list[Any]]], report: Report) -> int | None:
    """Take the first row naming at least three known columns (title rows above are skipped)."""
    for number, cells in rows:
        keys = [ALIASES.get(checks.header_key(checks.as_text(c))) for c in cells]
        if sum(1 for k in keys if k) >= 3:
            _map_columns(number, cells, keys, report)
            return number
        if number >= 10:
            break
    report.file_problems.append(Problem(1, "", "", Level.ERROR, "file.no_header"))
    return None


def _map_columns(number: int, cells: list[Any], keys: list[str | None], report: Report) -> None:
    seen: dict[str, str] = {}
    report.columns = []
    for cell, key in zip(cells, keys, strict=True):
        header = checks.as_text(cell).strip()
        if key is None:
            if header and checks.header_key(header) not in IGNORED_HEADERS:
                report.file_problems.append(
                    Problem(
                        number, "", header, Level.WARNING, "file.unknown_column", {"column": header}
                    )
                )
            report.columns.append(("", header))
            continue
        if key in seen:
            report.file_problems.append(
                Problem(
                    number,
                    key,
                    header,
                    Level.ERROR,
                    "file.duplicate_column",
                    {"first": seen[key], "second": header},
                )
            )
            report.columns.append(("", header))
            continue
        seen[key] = header
        report.columns.append((key, header))
    for key in REQUIRED:
        if key not in seen:
            name = next(vi for k, vi, _en in COLUMNS if k == key)
            report.file_problems.append(
                Problem(number, key, name, Level.ERROR, "file.missing_column", {"column": name})
            )


@dataclass
class _Context:
    roles: dict[str, str]  # folded code or title -> code
    today: date


def _roles() -> dict[str, str]:
    version = current_version()
    if version is None:
        return {}
    lookup: dict[str, str] = {}
    for code, title, title_en in version.role_profiles.values_list("code", "title", "title_en"):
        for name in (code, title, title_en):
            if name:
                lookup[checks.fold(name)] = code
    return lookup


def _check_rows(rows: Iterator[tuple[int, list[Any]]], report: Report, today: date) -> None:
    if any(p.level == Level.ERROR for p in report.file_problems):
        return
    context = _Context(roles=_roles(), today=today)
    positions = [(i, key, header) for i, (key, header) in enumerate(report.columns) if key]
    missing: Counter[str] = Counter()
    for number, cells in rows:
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue  # an empty row, as Excel leaves them
        raw = {key: (cells[i] if i < len(cells) else None, header) for i, key, header in positions}
        row = _check_row(number, raw, context)
        for key, (value, _header) in raw.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                missing[key] += 1
        report.rows.append(row)
    report.missing = dict(missing)
    if not report.rows:
        report.file_problems.append(Problem(0, "", "", Level.ERROR, "file.no_rows"))


def _check_row(number: int, raw: Mapping[str, tuple[Any, str]], ctx: _Context) -> Row:
    row = Row(number)

    def add(key: str, issues: Iterable[checks.Issue]) -> None:
        header = raw[key][1] if key in raw else key
        for level, code, params in issues:
            row.problems.append(Problem(number, key, header, level, code, params))

    values: dict[str, Any] = {}
    for key, (value, _header) in raw.items():
        issue = checks.precheck(value, phone=key == "phone")
        if issue is not None:
            add(key, [issue])
        else:
            values[key] = value
    if "full_name" in values:
        row.full_name, issues = checks.check_name(values["full_name"])
        add("full_name", issues)
    if "date_of_birth" in values:
        row.date_of_birth, issues = checks.check_date(values["date_of_birth"], ctx.today)
        add("date_of_birth", issues)
    if "gender" in values:
        row.gender, issues = checks.check_gender(values["gender"])
        add("gender", issues)
    if "national_id" in values:
        row.national_id, issues = checks.check_national_id(values["national_id"])
        add("national_id", issues)
        if row.national_id:
            add(
                "national_id",
                checks.national_id_agreement(row.national_id, row.gender, row.date_of_birth),
            )
            row.index = crypto.blind_index(row.national_id, NATIONAL_ID_CONTEXT)
    if "phone" in values:
        row.phone, issues = checks.check_phone(values["phone"])
        add("phone", issues)
    if "email" in values:
        row.email, issues = checks.check_email(values["email"])
        add("email", issues)
    if "position" in values:
        row.position, issues = checks.check_text(values["position"], "position")
        add("position", issues)
    if "unit_code" in values:
        row.unit_code, issues = checks.check_text(values["unit_code"], "unit_code")
        add("unit_code", issues)
    if "role" in values:
        text, issues = checks.check_text(values["role"], "role")
        add("role", issues)
        if not text and not issues:
            add("role", [(Level.ERROR, "required", {})])
        elif text:
            row.job_role = ctx.roles.get(checks.fold(text), "")
            if not row.job_role:
                add("role", [(Level.ERROR, "role.unknown", {})])
    if row.full_name == EXAMPLE["full_name"] and row.national_id == EXAMPLE["national_id"]:
        row.problems = [Problem(number, "", "", Level.WARNING, "example.skipped")]
        row.status = RowStatus.SKIPPED
    return row


def _resolve_units(report: Report, actor: Any, unit: Unit) -> None:
    """Unit codes must name units in ``unit``'s subtree that the importer manages."""
    codes = {r.unit_code for r in report.rows if r.unit_code}
    allowed = access.units_for(actor, PERMISSION).filter(path__startswith=unit.path)
    found: dict[str, int] = {}
    for chunk in chunks(sorted(codes | {c.upper() for c in codes})):
        found.update(allowed.filter(code__in=chunk).values_list("code", "pk"))
    header = report.column_name("unit_code")
    for row in report.rows:
        if row.status == RowStatus.SKIPPED:
            continue
        if not row.unit_code:
            if not any(p.field == "unit_code" for p in row.problems):
                row.unit_id, row.unit_code = unit.pk, unit.code
                row.problems.append(
                    Problem(
                        row.number,
                        "unit_code",
                        header,
                        Level.WARNING,
                        "unit.default",
                        {"code": unit.code},
                    )
                )
            continue
        pk = found.get(row.unit_code) or found.get(row.unit_code.upper())
        if pk is None:
            row.problems.append(
                Problem(
                    row.number,
                    "unit_code",
                    header,
                    Level.ERROR,
                    "unit.unknown",
                    {"code": row.unit_code[:64]},
                )
            )
        else:
            row.unit_id = pk
            row.unit_code = row.unit_code if row.unit_code in found else row.unit_code.upper()


def _find_duplicates(report: Report, actor: Any) -> None:
    rows = [r for r in report.rows if r.status != RowStatus.SKIPPED and r.index]
    id_header = report.column_name("national_id")
    name_header = report.column_name("full_name")
    scope = access.scope_paths(actor, PERMISSION)

    def visible(path: str | None) -> bool:
        return path is not None and any(path.startswith(p) for p in scope)

    # Inside the file.
    first_by_id: dict[str, int] = {}
    first_by_name: dict[tuple[str, date | None], int] = {}
    for row in rows:
        if row.index in first_by_id:
            row.problems.append(
                Problem(
                    row.number,
                    "national_id",
                    id_header,
                    Level.DUPLICATE,
                    "dup.file_id",
                    {"row": first_by_id[row.index]},
                )
            )
            row.choices = (Decision.SKIP,)
            continue
        first_by_id[row.index] = row.number
        if row.date_of_birth and row.full_name:
            key = (checks.fold(row.full_name), row.date_of_birth)
            if key in first_by_name:
                row.problems.append(
                    Problem(
                        row.number,
                        "full_name",
                        name_header,
                        Level.DUPLICATE,
                        "dup.file_name",
                        {"row": first_by_name[key]},
                    )
                )
                row.choices = (Decision.SKIP, Decision.CREATE)
            else:
                first_by_name[key] = row.number

    # Against the database: the same citizen ID (through the blind index).
    stored: dict[str, tuple[Any, ...]] = {}
    fields = (
        "national_id_index",
        "pk",
        "full_name",
        "date_of_birth",
        "gender",
        "unit_id",
        "unit__path",
        "unit__name",
        "position",
        "job_role",
        "email",
        "contact__phone",
    )
    for chunk in chunks([r.index for r in rows]):
        for values in User.objects.filter(national_id_index__in=chunk).values_list(*fields):
            stored[values[0]] = values
    for row in rows:
        if row.choices == (Decision.SKIP,) or row.index not in stored:
            continue
        (_i, pk, name, born, gender, unit_id, path, unit_name, position, job_role, email, phone) = (
            stored[row.index]
        )
        row.match_id = pk
        if not visible(path):
            row.problems.append(
                Problem(row.number, "national_id", id_header, Level.DUPLICATE, "dup.db_id_outside")
            )
            row.choices = (Decision.SKIP,)
            continue
        row.match_visible = True
        row.choices = (Decision.UPDATE, Decision.SKIP)
        same = (name, born, gender, unit_id, position, job_role, email, phone or "") == (
            row.full_name,
            row.date_of_birth,
            row.gender,
            row.unit_id,
            row.position,
            row.job_role,
            row.email,
            row.phone,
        )
        if same:
            row.unchanged = True
            row.choices = ()
        else:
            row.problems.append(
                Problem(
                    row.number,
                    "national_id",
                    id_header,
                    Level.DUPLICATE,
                    "dup.db_id",
                    {"name": name, "unit": unit_name or ""},
                )
            )

    # Against the database: the same name and date of birth under another citizen ID.
    pending = [r for r in rows if r.match_id is None and r.date_of_birth and not r.choices]
    births = sorted({r.date_of_birth for r in pending if r.date_of_birth})
    by_name: dict[tuple[str, date | None], tuple[str, str | None, str]] = {}
    for chunk in chunks(births):
        query = User.objects.filter(date_of_birth__in=chunk).values_list(
            "full_name", "date_of_birth", "unit__path", "unit__name"
        )
        for name, born, path, unit_name in query.iterator(chunk_size=5000):
            found = (checks.fold(name), born)
            if found not in by_name or visible(path):
                by_name[found] = (name, path, unit_name or "")
    for row in pending:
        assert row.date_of_birth is not None
        hit = by_name.get((checks.fold(row.full_name), row.date_of_birth))
        if hit is None:
            continue
        name, path, unit_name = hit
        if visible(path):
            problem = Problem(
                row.number,
                "full_name",
                name_header,
                Level.DUPLICATE,
                "dup.db_name",
                {"name": name, "unit": unit_name},
            )
        else:
            problem = Problem(
                row.number, "full_name", name_header, Level.DUPLICATE, "dup.db_name_outside"
            )
        row.problems.append(problem)
        row.choices = (Decision.SKIP, Decision.CREATE)


def _settle(row: Row) -> None:
    """The row's status and default decision from its problems."""
    if row.status == RowStatus.SKIPPED:
        row.decision = Decision.SKIP
        return
    levels = {p.level for p in row.problems}
    if Level.ERROR in levels:
        row.status, row.choices, row.decision = RowStatus.ERROR, (), ""
    elif Level.DUPLICATE in levels:
        row.status = RowStatus.DUPLICATE
        row.decision = Decision.UPDATE if Decision.UPDATE in row.choices else Decision.SKIP
    elif row.unchanged:
        row.status, row.decision = RowStatus.UNCHANGED, ""
    else:
        row.status = RowStatus.WARNING if Level.WARNING in levels else RowStatus.OK
        row.decision = Decision.CREATE


def chunks(values: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
