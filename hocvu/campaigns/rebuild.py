"""Recomputing progress from the source tables (``manage.py rebuild_progress``).

For repair, and for tests that compare the incremental tables with a fresh computation.
Two stages:

1. :func:`rebuild_statuses` recomputes every :class:`PersonStatus` from people, attempts,
   lesson progress, study days, proficiencies and certificates;
2. :func:`rebuild_unit_days` recomputes :class:`UnitDay` from the statuses, with each
   person counted under their present unit from the day each step was reached, and each
   certificate counted over the days it was valid (issue to revocation).

What a rebuild cannot know, it does not invent: a person who moved is counted under their
new unit for their whole history (the incremental tables move them on the day of the
move), and a competence that once reached its target and later fell back leaves no trace.
The totals of the last day always agree; the history agrees when nobody moved and no
proficiency fell back. The population generator fills the tables directly and its people
have no source records, so stage 2 alone (``--aggregates-only``) applies to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max, Min

from hocvu.campaigns import progress
from hocvu.campaigns.models import MEASURES, PersonStatus, UnitDay
from hocvu.organizations.models import Unit

BATCH = 5000


def _activation_days() -> dict[int, date]:
    """Day each person used their activation letter, when the activation app keeps it."""
    try:
        model = apps.get_model("identity", "ActivationToken")
    except LookupError:
        return {}
    names = {f.name for f in model._meta.get_fields()}
    person = "user" if "user" in names else "person" if "person" in names else ""
    if not person or "used_at" not in names:
        return {}
    rows = model.objects.filter(used_at__isnull=False).values(person).annotate(at=Min("used_at"))
    return {r[person]: progress.local_day(r["at"]) for r in rows}


def _by_learner(rows: Iterable[tuple[int, Any]]) -> dict[int, date]:
    return {learner: progress.local_day(at) for learner, at in rows if at is not None}


def compute_statuses() -> Iterator[PersonStatus]:
    """A fresh status for every person, from the source tables (no writes)."""
    from hocvu.assessment.models import Attempt
    from hocvu.credentials.models import Credential
    from hocvu.learning.models import LessonProgress, Proficiency, StudyDay

    user_model = get_user_model()
    activation = _activation_days()
    placed = _by_learner(
        Attempt.objects.filter(kind="placement", status="finished", finished_at__isnull=False)
        .values("learner")
        .annotate(at=Min("finished_at"))
        .values_list("learner", "at")
    )
    learning = _by_learner(
        LessonProgress.objects.values("learner")
        .annotate(at=Min("first_opened_at"))
        .values_list("learner", "at")
    )
    last: dict[int, date] = {}
    for rows in (
        StudyDay.objects.values("learner").annotate(at=Max("day")).values_list("learner", "at"),
        LessonProgress.objects.values("learner")
        .annotate(at=Max("last_opened_at"))
        .values_list("learner", "at"),
        Attempt.objects.filter(status="finished", finished_at__isnull=False)
        .values("learner")
        .annotate(at=Max("finished_at"))
        .values_list("learner", "at"),
    ):
        for learner, day in _by_learner(rows).items():
            last[learner] = max(day, last.get(learner, day))
    credentials: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for learner, issued, revoked in Credential.objects.values_list(
        "learner_id", "issued_at", "revoked_at"
    ):
        credentials[learner].append((issued, revoked))
    levels: dict[int, dict[int, tuple[int, datetime]]] = defaultdict(dict)
    for learner, comp, level, when in Proficiency.objects.values_list(
        "learner_id", "competence_id", "level", "updated_at"
    ):
        levels[learner][comp] = (level, when)
    version = progress.current_version_id()
    targets: dict[str, dict[int, int]] = {}
    users = user_model.objects.select_related("unit").order_by("pk")
    for user in users.iterator(chunk_size=BATCH):
        status = PersonStatus(person_id=user.pk, job_role=user.job_role)
        progress.describe_person(status, user)
        if user.has_usable_password():
            status.activated_on = activation.get(user.pk, progress.local_day(user.date_joined))
        status.placed_on = placed.get(user.pk)
        status.learning_on = learning.get(user.pk)
        status.last_activity = last.get(user.pk)
        if user.job_role not in targets:
            targets[user.job_role] = progress.targets_for(user.job_role, version)
        status.gaps, status.at_target_on = progress.gaps_and_target_day(
            targets[user.job_role], levels.get(user.pk, {})
        )
        status.certified_on = progress.certified_day(credentials.get(user.pk, []))
        status._intervals = credentials.get(user.pk, [])  # type: ignore[attr-defined]
        yield status


@transaction.atomic
def rebuild_statuses() -> list[tuple[str, dict[str, list[tuple[date, int]]]]]:
    """Replace every status row; return each counted person's dated changes for stage 2."""
    PersonStatus.objects.all().delete()
    changes: list[tuple[str, dict[str, list[tuple[date, int]]]]] = []
    batch: list[PersonStatus] = []
    for status in compute_statuses():
        batch.append(status)
        if status.counted:
            changes.append((status.unit_path, _changes(status, status._intervals)))  # type: ignore[attr-defined]
        if len(batch) >= BATCH:
            PersonStatus.objects.bulk_create(batch)
            batch = []
    PersonStatus.objects.bulk_create(batch)
    return changes


def _changes(
    status: PersonStatus, intervals: list[tuple[datetime, datetime | None]] | None = None
) -> dict[str, list[tuple[date, int]]]:
    """The person's +1/-1 per measure and day. Certificates count while valid."""
    out: dict[str, list[tuple[date, int]]] = {}
    for m, day in (
        ("people", status.since),
        ("activated", status.activated_on),
        ("placed", status.placed_on),
        ("learning", status.learning_on),
        ("at_target", status.at_target_on),
    ):
        if day is not None:
            out[m] = [(day, 1)]
    if intervals is None:
        if status.certified_on is not None:
            out["certified"] = [(status.certified_on, 1)]
    else:
        out["certified"] = _certified_steps(intervals)
    return out


def _certified_steps(intervals: list[tuple[datetime, datetime | None]]) -> list[tuple[date, int]]:
    """+1/-1 steps of 'holds a valid certificate' over days, as events produce them.

    Issue adds from its day; a revocation leaving no valid certificate removes from its
    day (events are replayed in time order, as they happened)."""
    events: list[tuple[datetime, int]] = []
    for issued, revoked in intervals:
        events.append((issued, 1))
        if revoked is not None:
            events.append((revoked, -1))
    events.sort()
    held, steps = 0, []
    for at, step in events:
        before = held > 0
        held += step
        if before != (held > 0):
            steps.append((progress.local_day(at), 1 if held > 0 else -1))
    return steps


def rebuild_unit_days(changes: Iterable[tuple[str, dict[str, list[tuple[date, int]]]]]) -> int:
    """Replace every UnitDay row from per-person dated changes; the number of rows."""
    units = dict(Unit.objects.values_list("path", "pk"))
    index = {m: i for i, m in enumerate(MEASURES)}
    deltas: dict[int, dict[date, list[int]]] = defaultdict(dict)
    for path, per_measure in changes:
        ids = [units[p] for p in progress.ancestor_paths(path) if p in units]
        for m, steps in per_measure.items():
            for day, n in steps:
                for unit_id in ids:
                    row = deltas[unit_id].get(day)
                    if row is None:
                        row = deltas[unit_id][day] = [0] * len(MEASURES)
                    row[index[m]] += n
    with transaction.atomic():
        UnitDay.objects.all().delete()
        batch: list[UnitDay] = []
        written = 0
        for unit_id, by_day in deltas.items():
            running = [0] * len(MEASURES)
            for day in sorted(by_day):
                running = [a + b for a, b in zip(running, by_day[day], strict=True)]
                batch.append(
                    UnitDay(unit_id=unit_id, day=day, **dict(zip(MEASURES, running, strict=True)))
                )
                if len(batch) >= BATCH:
                    UnitDay.objects.bulk_create(batch)
                    written += len(batch)
                    batch = []
        UnitDay.objects.bulk_create(batch)
        written += len(batch)
    return written


def statuses_as_changes() -> Iterator[tuple[str, dict[str, list[tuple[date, int]]]]]:
    """Stage 2's input from the status rows alone (for generated populations)."""
    rows = PersonStatus.objects.filter(counted=True).order_by("pk")
    for status in rows.iterator(chunk_size=BATCH):
        yield status.unit_path, _changes(status)


def rebuild(*, aggregates_only: bool = False) -> dict[str, int]:
    """Both stages (or stage 2 only); counts for the command's report."""
    rows = rebuild_unit_days_fast() if aggregates_only else rebuild_unit_days(rebuild_statuses())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE campaigns_personstatus; ANALYZE campaigns_unitday")
    return {"people": PersonStatus.objects.filter(counted=True).count(), "unit_days": rows}


def snapshot() -> dict[tuple[int, date], tuple[int, ...]]:
    """Every UnitDay row as a dict, for comparing two computations."""
    return {(r.unit_id, r.day): tuple(r.totals().values()) for r in UnitDay.objects.order_by("pk")}


def latest_totals() -> dict[int, tuple[int, ...]]:
    """Each unit's totals on its last row."""
    out: dict[int, tuple[int, ...]] = {}
    for r in UnitDay.objects.order_by("unit_id", "day"):
        out[r.unit_id] = tuple(r.totals().values())
    return {u: t for u, t in out.items() if any(t)}


def copy_rows(table: str, columns: list[str], rows: Any) -> None:
    """PostgreSQL COPY of many rows (ten times faster than INSERT batches)."""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def rebuild_unit_days_fast() -> int:
    """Stage 2 from the status rows with NumPy (the generator's and ``--aggregates-only``).

    Same result as ``rebuild_unit_days(statuses_as_changes())``: every counted person adds
    1 to each step's counter from the step's day, in their unit and every ancestor; a row
    is written for each unit and day with a change. A million people take seconds."""
    import numpy as np

    unit_rows = list(Unit.objects.values_list("pk", "path"))
    index = {path: i for i, (_pk, path) in enumerate(unit_rows)}
    parent = np.full(len(unit_rows), -1, dtype=np.int64)
    for i, (_pk, path) in enumerate(unit_rows):
        if len(path) > Unit.SEGMENT:
            parent[i] = index.get(path[: -Unit.SEGMENT], -1)
    fields = ["since", "activated_on", "placed_on", "learning_on", "at_target_on", "certified_on"]
    # Read in chunks straight into integer arrays: a million rows stay ~30 MB.
    unit_parts: list[Any] = []
    day_parts: list[Any] = []
    chunk: list[tuple[Any, ...]] = []

    def flush() -> None:
        unit_parts.append(np.array([index.get(r[0], -1) for r in chunk], dtype=np.int64))
        day_parts.append(
            np.array(
                [[d.toordinal() if d is not None else -1 for d in r[1:]] for r in chunk],
                dtype=np.int64,
            ).reshape(-1, len(fields))
        )
        chunk.clear()

    rows_in = PersonStatus.objects.filter(counted=True).values_list("unit_path", *fields)
    for row in rows_in.iterator(chunk_size=20000):
        chunk.append(row)
        if len(chunk) >= 20000:
            flush()
    if chunk:
        flush()
    with transaction.atomic():
        UnitDay.objects.all().delete()
        if not unit_parts:
            return 0
        person_unit = np.concatenate(unit_parts)
        ordinals = np.concatenate(day_parts).T.copy()  # measures x people
        if not (ordinals >= 0).any():
            return 0
        first = int(ordinals[ordinals >= 0].min())
        last = int(ordinals.max())
        n_days = last - first + 1
        counts = np.zeros((len(MEASURES), len(unit_rows), n_days), dtype=np.int64)
        for k in range(len(MEASURES)):
            valid = (ordinals[k] >= 0) & (person_unit >= 0)
            level = person_unit[valid]
            day_index = ordinals[k][valid] - first
            while level.size:
                np.add.at(counts[k], (level, day_index), 1)
                up = parent[level]
                keep = up >= 0
                level, day_index = up[keep], day_index[keep]
        changed = counts.any(axis=0)  # units x days
        totals = counts.cumsum(axis=2)
        unit_idx, day_idx = np.nonzero(changed)
        rows = [
            (unit_rows[u][0], date.fromordinal(first + int(d)), *totals[:, u, d].tolist())
            for u, d in zip(unit_idx.tolist(), day_idx.tolist(), strict=True)
        ]
        if connection.vendor == "postgresql":
            copy_rows("campaigns_unitday", ["unit_id", "day", *MEASURES], rows)
        else:
            UnitDay.objects.bulk_create(
                (
                    UnitDay(unit_id=r[0], day=r[1], **dict(zip(MEASURES, r[2:], strict=True)))
                    for r in rows
                ),
                batch_size=BATCH,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh statistics: bulk-loaded tables otherwise look empty to the planner.
            cursor.execute(
                "ANALYZE campaigns_personstatus; ANALYZE campaigns_unitday; "
                "ANALYZE organizations_unit; ANALYZE identity_user"
            )
    return len(rows)
