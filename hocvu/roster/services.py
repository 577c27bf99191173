"""Roster imports: validate a file, keep its preview, commit it all or nothing.

``validate`` reads and checks a file for a manager and a unit without writing anything.
``stage`` keeps the result for the preview page (the checked rows sealed until commit).
``commit`` checks the kept findings against the database again (it may have changed since
the preview), applies the manager's decisions on possible duplicates and stores every row in
one transaction, or nothing. Everything is in bulk: 100,000 rows are a few dozen queries.

Decisions on possible duplicates:

- same citizen ID as a person already stored whom the manager may manage: that person is
  updated (or the row skipped); when nothing differs the row is simply "unchanged", so
  uploading the same file again creates nobody twice;
- same citizen ID as a person in a unit the manager does not manage: the row is skipped
  (the manager learns only that such a person exists);
- same citizen ID as an earlier row of the file: the later row is skipped;
- same name (without diacritics) and date of birth as an earlier row or a stored person,
  with another citizen ID: the manager chooses "create anyway" or "skip" (skip by default).
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from hocvu.audit import crypto
from hocvu.audit import services as audit
from hocvu.identity import access
from hocvu.identity.bulk import bulk_create_people, bulk_place_learners, bulk_update_people
from hocvu.identity.models import Role, User
from hocvu.organizations.models import Unit
from hocvu.roster.models import (
    Contact,
    Decision,
    ImportStatus,
    Level,
    RosterImport,
    RosterProblem,
    RosterRow,
    RowStatus,
)
from hocvu.roster.validation import (
    COLUMNS,
    EXAMPLE,
    PERMISSION,
    NotAllowed,
    Problem,
    Report,
    check_database,
    check_file,
    chunks,
    dump,
    load,
    require,
    validate,
)

__all__ = ["COLUMNS", "EXAMPLE", "PERMISSION", "NotAllowed", "Report", "validate"]

PAYLOAD_CONTEXT = "roster_rosterimport.payload"
PREVIEW_LIFETIME = timedelta(days=7)
_CHUNK = 2000


# -- keeping a preview --------------------------------------------------------------------


def imports_for(user: Any) -> QuerySet[RosterImport]:
    """The imports whose unit lies in the subtrees where ``user`` manages people."""
    units = access.units_for(user, PERMISSION)
    return RosterImport.objects.filter(unit__in=units).select_related("unit", "created_by")


def import_for(user: Any, import_id: int) -> RosterImport:
    """One import, or 404 outside the caller's scope (its existence does not leak)."""
    try:
        return imports_for(user).get(pk=import_id)
    except (RosterImport.DoesNotExist, ValueError, TypeError):
        raise Http404("import not found") from None


def already_imported(user: Any, sha256: str) -> RosterImport | None:
    return (
        imports_for(user)
        .filter(sha256=sha256, status=ImportStatus.COMMITTED)
        .order_by("-committed_at")
        .first()
    )


def _seal(data: bytes) -> str:
    packed = base64.b64encode(zlib.compress(data, 1)).decode("ascii")
    return crypto.encrypt(packed, PAYLOAD_CONTEXT)


def _unseal(payload: str) -> bytes:
    return zlib.decompress(base64.b64decode(crypto.decrypt(payload, PAYLOAD_CONTEXT)))


@transaction.atomic
def stage(data: bytes, file_name: str, *, actor: Any, unit: Unit) -> RosterImport:
    """Validate ``data`` and keep the preview; if it can be committed, keep what the file
    says (checked, ID numbers included) sealed until the commit."""
    require(actor, unit)
    expire_previews()
    report = check_file(data)
    findings = dump(report)
    check_database(report, actor=actor, unit=unit)
    sha = hashlib.sha256(data).hexdigest()
    earlier = already_imported(actor, sha)
    if earlier is not None and earlier.committed_at is not None:
        report.file_problems.append(
            Problem(
                0,
                "",
                "",
                Level.WARNING,
                "file.already_imported",
                {"date": timezone.localtime(earlier.committed_at).strftime("%d/%m/%Y %H:%M")},
            )
        )
    roster_import = RosterImport.objects.create(
        unit=unit,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        file_name=file_name[:255],
        sha256=sha,
        size=len(data),
        status=ImportStatus.INVALID if report.has_errors else ImportStatus.PREVIEW,
        payload="" if report.has_errors else _seal(findings),
    )
    _store_report(roster_import, report)
    return roster_import


def _store_report(roster_import: RosterImport, report: Report) -> None:
    roster_import.rows.all().delete()
    roster_import.problems.all().delete()
    roster_import.columns = [list(c) for c in report.columns]
    roster_import.total_rows = len(report.rows)
    roster_import.error_rows = report.count(RowStatus.ERROR)
    roster_import.duplicate_rows = report.count(RowStatus.DUPLICATE)
    roster_import.warning_rows = sum(
        1 for r in report.rows if any(p.level == Level.WARNING for p in r.problems)
    )
    roster_import.missing = report.missing
    roster_import.save()
    pk = roster_import.pk
    _insert(
        RosterRow,
        [
            "roster_import_id",
            "row",
            "status",
            "full_name",
            "date_of_birth",
            "gender",
            "national_id_masked",
            "phone",
            "email",
            "unit_code",
            "position",
            "job_role",
            "match_id",
            "choices",
            "decision",
        ],
        (
            (
                pk,
                r.number,
                r.status,
                r.full_name,
                r.date_of_birth.isoformat() if r.date_of_birth else None,
                r.gender,
                crypto.mask(r.national_id) if r.national_id else "",
                r.phone,
                r.email,
                r.unit_code,
                r.position,
                r.job_role,
                r.match_id if r.match_visible else None,
                ",".join(r.choices),
                r.decision,
            )
            for r in report.rows
        ),
    )
    _insert(
        RosterProblem,
        ["roster_import_id", "row", "column", "field", "level", "code", "params"],
        (
            (pk, p.row, p.column[:255], p.field, p.level, p.code, json.dumps(p.params))
            for p in report.problems()
        ),
    )


def _insert(model: Any, fields: list[str], values: Iterable[tuple[Any, ...]]) -> None:
    """Insert plain rows in batches (executemany), without a model instance per row.

    Preview rows and problems are many, simple and written once; building and compiling
    a model instance for each cost more than the whole database work. ``fields`` are
    attribute names whose values are already what the database stores. (Multi-row
    INSERTs were tried: twice as slow on PostgreSQL as psycopg's pipelined executemany.)
    """
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(f.removesuffix("_id")).column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608
    batch: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for row in values:
            batch.append(row)
            if len(batch) == _CHUNK:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def expire_previews() -> int:
    """Forget the files of previews nobody committed within a week."""
    cutoff = timezone.now() - PREVIEW_LIFETIME
    return RosterImport.objects.filter(status=ImportStatus.PREVIEW, created_at__lt=cutoff).update(
        status=ImportStatus.EXPIRED, payload=""
    )


@transaction.atomic
def decide(roster_import: RosterImport, decisions: Mapping[int, str]) -> int:
    """Record the manager's choice for rows needing one; choices not offered are ignored."""
    rows = roster_import.rows.filter(row__in=list(decisions), status=RowStatus.DUPLICATE)
    changed = []
    for row in rows:
        choice = decisions[row.row]
        if choice in row.choice_list() and choice != row.decision:
            row.decision = choice
            changed.append(row)
    RosterRow.objects.bulk_update(changed, ["decision"], batch_size=_CHUNK)
    return len(changed)


# -- committing ---------------------------------------------------------------------------


@dataclass
class Outcome:
    committed: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    report: Report | None = None


class CommitRefused(Exception):
    """The import cannot be committed (wrong state, or errors found on re-validation)."""


def commit(roster_import: RosterImport, *, actor: Any) -> Outcome:
    """Store every row of a previewed import (all or nothing) and audit it once."""
    try:
        with transaction.atomic():
            locked = RosterImport.objects.select_for_update().get(pk=roster_import.pk)
            if locked.status == ImportStatus.COMMITTED:
                return Outcome(
                    True,
                    locked.created_count,
                    locked.updated_count,
                    locked.unchanged_count,
                    locked.skipped_count,
                )
            if locked.status != ImportStatus.PREVIEW or not locked.payload:
                raise CommitRefused(locked.status)
            # What the file says was checked at the preview and cannot have changed; units
            # and stored people can have: check those again inside this transaction.
            require(actor, locked.unit)
            report = load(_unseal(locked.payload))
            check_database(report, actor=actor, unit=locked.unit)
            if report.has_errors:
                locked.status = ImportStatus.INVALID
                locked.payload = ""
                _store_report(locked, report)
                return Outcome(False, report=report)
            chosen = dict(
                locked.rows.filter(status=RowStatus.DUPLICATE).values_list("row", "decision")
            )
            for row in report.rows:
                if row.status == RowStatus.DUPLICATE and chosen.get(row.number) in row.choices:
                    row.decision = chosen[row.number]
            return apply(report, actor=actor, roster_import=locked)
    except IntegrityError as exc:
        # Someone stored one of these people between our check and our insert.
        raise CommitRefused("conflict") from exc


@transaction.atomic
def apply(
    report: Report,
    *,
    actor: Any,
    roster_import: RosterImport | None = None,
    unit: Unit | None = None,
) -> Outcome:
    """Store a validated report without errors; ``roster_import`` records it (or is made)."""
    if report.has_errors:
        raise CommitRefused("errors")
    creates = [r for r in report.rows if r.decision == Decision.CREATE]
    updates = [r for r in report.rows if r.decision == Decision.UPDATE and r.match_visible]
    unchanged = [r for r in report.rows if r.status == RowStatus.UNCHANGED]
    skipped = len(report.rows) - len(creates) - len(updates) - len(unchanged)

    taken: set[str] = set()
    names = [_username(r.index) for r in creates]
    for chunk in chunks(names):
        taken.update(User.objects.filter(username__in=chunk).values_list("username", flat=True))
    people = []
    for row, name in zip(creates, names, strict=True):
        username, suffix = name, 1
        while username in taken:
            suffix += 1
            username = f"{name}{suffix}"
        taken.add(username)
        people.append((username, row.data()))
    created = bulk_create_people(people, role=Role.LEARNER)

    bulk_update_people([(r.match_id, r.data()) for r in updates if r.match_id is not None])
    # An updated person learns in the unit the roster gives: their learner role moves there.
    bulk_place_learners([(r.match_id, r.unit_id) for r in updates if r.match_id and r.unit_id])

    phones = {user.pk: row.phone for user, row in zip(created, creates, strict=True)}
    phones.update({r.match_id: r.phone for r in updates if r.match_id})
    _store_phones(phones, new=[user.pk for user in created])

    if roster_import is None:
        assert unit is not None
        roster_import = RosterImport.objects.create(
            unit=unit, created_by=actor, file_name="", sha256="", status=ImportStatus.PREVIEW
        )
        _store_report(roster_import, report)
    roster_import.status = ImportStatus.COMMITTED
    roster_import.committed_at = timezone.now()
    roster_import.payload = ""
    roster_import.created_count = len(created)
    roster_import.updated_count = len(updates)
    roster_import.unchanged_count = len(unchanged)
    roster_import.skipped_count = skipped
    roster_import.save()
    audit.record(
        "roster.import",
        actor=actor,
        obj=roster_import,
        unit_path=roster_import.unit.path,
        data={
            "file_sha256": roster_import.sha256,
            "rows": len(report.rows),
            "created": len(created),
            "updated": len(updates),
            "unchanged": len(unchanged),
            "skipped": skipped,
        },
    )
    return Outcome(True, len(created), len(updates), len(unchanged), skipped, report)


def _username(index: str) -> str:
    # Derived from the blind index: stable across imports, reveals nothing of the number.
    return f"hv{index[:14]}"


def _store_phones(phones: Mapping[int, str], *, new: Iterable[int] = ()) -> None:
    """Set each person's phone; ``new`` people (just created) have no contact row yet."""
    fresh = set(new)
    ids = [pid for pid in phones if pid not in fresh]
    existing: dict[int, Contact] = {}
    for chunk in chunks(ids):
        existing.update((c.person_id, c) for c in Contact.objects.filter(person_id__in=chunk))
    changed = []
    for person_id, phone in phones.items():
        contact = existing.get(person_id)
        if contact is not None and contact.phone != phone:
            contact.phone = phone
            changed.append(contact)
    Contact.objects.bulk_update(changed, ["phone"], batch_size=_CHUNK)
    Contact.objects.bulk_create(
        [Contact(person_id=pid, phone=p) for pid, p in phones.items() if pid not in existing and p],
        batch_size=_CHUNK,
    )


def import_file(
    data: bytes, file_name: str, *, actor: Any, unit: Unit, on_duplicate: str = Decision.SKIP
) -> Outcome:
    """Validate and, when there is no error, store a file in one go (the command's path)."""
    report = validate(data, actor=actor, unit=unit)
    if report.has_errors:
        return Outcome(False, report=report)
    for row in report.rows:
        if row.status == RowStatus.DUPLICATE and on_duplicate in row.choices:
            row.decision = on_duplicate
    with transaction.atomic():
        roster_import = RosterImport.objects.create(
            unit=unit,
            created_by=actor,
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            status=ImportStatus.PREVIEW,
        )
        _store_report(roster_import, report)
        return apply(report, actor=actor, roster_import=roster_import)
