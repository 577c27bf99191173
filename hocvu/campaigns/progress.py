"""Keeping :class:`PersonStatus` and :class:`UnitDay` up to date as events happen.

Each event of a lower app (a person saved, a placement finished, a lesson opened, a
proficiency stored, a certificate issued or revoked) arrives here through a signal
(``hocvu.campaigns.signals``) and runs :func:`update_person`: the person's status row is
locked, changed, and the difference in the six counters is added to the day rows of the
person's unit and of every ancestor. A counter switched on is added from the day the step
was reached (so a backdated certificate lands on its day); a counter switched off (a
revoked certificate, a competence that fell below target, a deactivated account) and a
move between units take effect on the day they happen.

Every row change is an addition made by the database (``F(m) + n``) on rows locked in path
order, so concurrent events neither lose counts nor deadlock. The root unit's rows take
every event: on PostgreSQL that row lock serializes status changes, which at a few
hundred events a second is far from a limit (BENCHMARKS.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from hocvu.campaigns.models import MEASURES, PersonStatus, UnitDay
from hocvu.organizations.models import Unit

Delta = dict[str, int]


def fold(text: str) -> str:
    """Lower case without diacritics, đ as d: 'Đặng Thị Mai' -> 'dang thi mai'."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    stripped = "".join(
        ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch)
    )
    return " ".join(stripped.lower().split())


def local_day(moment: datetime | date | None = None) -> date:
    """The local calendar day of ``moment`` (today when None)."""
    if moment is None:
        return timezone.localdate()
    if isinstance(moment, datetime):
        return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
    return moment


def ancestor_paths(path: str) -> list[str]:
    """The paths of the unit at ``path`` and of all its ancestors, root first."""
    seg = Unit.SEGMENT
    return [path[: i + seg] for i in range(0, len(path), seg)]


def add_to_units(path: str, delta: Delta, day: date) -> None:
    """Add ``delta`` to the totals of the unit at ``path`` and its ancestors from ``day`` on."""
    delta = {m: n for m, n in delta.items() if n}
    if not path or not delta:
        return
    unit_ids = list(
        Unit.objects.filter(path__in=ancestor_paths(path))
        .order_by("path")
        .values_list("pk", flat=True)
    )
    add_to_unit_ids(unit_ids, delta, day)


def add_to_unit_ids(unit_ids: list[int], delta: Delta, day: date) -> None:
    """Add ``delta`` to the rows of ``unit_ids`` for ``day`` and every later day."""
    if not unit_ids:
        return
    have = set(
        UnitDay.objects.filter(unit_id__in=unit_ids, day=day).values_list("unit_id", flat=True)
    )
    missing = [u for u in unit_ids if u not in have]
    if missing:
        # A new day starts from the previous day's totals. Two transactions may both start
        # it: the second insert is ignored (it waits for the first on PostgreSQL) and both
        # then add their delta to the one row.
        before: dict[int, UnitDay] = {}
        for row in UnitDay.objects.filter(unit_id__in=missing, day__lt=day).order_by(
            "unit_id", "-day"
        ):
            before.setdefault(row.unit_id, row)
        UnitDay.objects.bulk_create(
            [
                UnitDay(
                    unit_id=u,
                    day=day,
                    **(before[u].totals() if u in before else dict.fromkeys(MEASURES, 0)),
                )
                for u in missing
            ],
            ignore_conflicts=True,
        )
    lock_rows(unit_ids, day)
    UnitDay.objects.filter(unit_id__in=unit_ids, day__gte=day).update(
        **{m: F(m) + n for m, n in delta.items()}
    )


def lock_rows(unit_ids: Iterable[int], day: date) -> None:
    """Lock the rows about to change in one fixed order (unit, day), so two transactions
    touching the same units never wait for each other in a cycle (no deadlock)."""
    list(
        UnitDay.objects.select_for_update()
        .filter(unit_id__in=list(unit_ids), day__gte=day)
        .order_by("unit_id", "day")
        .values_list("pk", flat=True)
    )


def _flag_dates(status: PersonStatus) -> dict[str, date | None]:
    if not status.counted:
        return dict.fromkeys(MEASURES)
    return {
        "people": status.since,
        "activated": status.activated_on,
        "placed": status.placed_on,
        "learning": status.learning_on,
        "at_target": status.at_target_on,
        "certified": status.certified_on,
    }


def _record_change(
    old_path: str, old: dict[str, date | None], new_path: str, new: dict[str, date | None]
) -> None:
    """Turn the difference between two states of one person into unit-day additions."""
    today = local_day()
    if old_path and old_path != new_path:
        # A move or a removal: the old units lose what they had today, the new ones (if
        # any) gain it today; the common ancestors see no change.
        gone = {m: -1 for m, d in old.items() if d is not None}
        come = {m: 1 for m, d in new.items() if d is not None}
        common = set(ancestor_paths(old_path)) & set(ancestor_paths(new_path))
        branches = []
        for path, delta in ((old_path, gone), (new_path, come)):
            if not path or not delta:
                continue
            ids = list(
                Unit.objects.filter(path__in=set(ancestor_paths(path)) - common)
                .order_by("path")
                .values_list("pk", flat=True)
            )
            branches.append((ids, delta))
        # Both branches' existing rows first, in one order: a move and a move back at the
        # same time must not lock X then Y against Y then X.
        lock_rows([u for ids, _delta in branches for u in ids], today)
        for ids, delta in branches:
            add_to_unit_ids(ids, delta, today)
        return
    # Same units (or counted for the first time): each step counts from its own day; a
    # step undone (a revoked certificate) stops counting today.
    by_day: dict[date, Delta] = {}
    for m in MEASURES:
        before, after = old[m], new[m]
        if before == after:
            continue
        if before is not None:
            day = before if after is not None else max(today, before)
            by_day.setdefault(day, {})
            by_day[day][m] = by_day[day].get(m, 0) - 1
        if after is not None:
            by_day.setdefault(after, {})
            by_day[after][m] = by_day[after].get(m, 0) + 1
    for day in sorted(by_day):
        add_to_units(new_path, by_day[day], day)


def status_row(person_id: int) -> PersonStatus:
    """The person's status row, locked for this transaction (created when missing)."""
    status = PersonStatus.objects.select_for_update().filter(pk=person_id).first()
    if status is None:
        PersonStatus.objects.bulk_create([PersonStatus(person_id=person_id)], ignore_conflicts=True)
        status = PersonStatus.objects.select_for_update().get(pk=person_id)
    return status


def update_person(person_id: int, change: Callable[[PersonStatus], None]) -> PersonStatus:
    """Apply ``change`` to the person's status and carry the difference to the aggregates."""
    with transaction.atomic():
        status = status_row(person_id)
        old_path, old = status.unit_path if status.counted else "", _flag_dates(status)
        change(status)
        new_path, new = status.unit_path if status.counted else "", _flag_dates(status)
        status.save()
        if old_path != new_path or old != new:
            _record_change(old_path, old, new_path, new)
        return status


def remove_person(person_id: int) -> None:
    """Take a person who is being deleted out of the aggregates (today)."""
    with transaction.atomic():
        status = PersonStatus.objects.select_for_update().filter(pk=person_id).first()
        if status is None or not status.counted:
            return
        gone = {m: -1 for m, d in _flag_dates(status).items() if d is not None}
        add_to_units(status.unit_path, gone, local_day())


# ---------------------------------------------------------------------------------------
# What each step means, computed from the source tables (events and the rebuild share it)
# ---------------------------------------------------------------------------------------


def current_version_id() -> int | None:
    """The framework version role targets are read from: the default program's."""
    from hocvu.content.services import default_program

    program = default_program()
    return program.framework_version_id if program is not None else None


def targets_for(job_role: str, version_id: int | None) -> dict[int, int]:
    """Competence id -> target level of the role profile ``job_role``."""
    from hocvu.framework.models import RoleTarget

    if not job_role or version_id is None:
        return {}
    return dict(
        RoleTarget.objects.filter(
            profile__version_id=version_id, profile__code=job_role, level__gte=1
        ).values_list("competence_id", "level")
    )


def gaps_and_target_day(
    targets: dict[int, int], levels: dict[int, tuple[int, datetime]]
) -> tuple[int | None, date | None]:
    """Competences below target, and the day all reached it (None while any is below).

    ``levels`` maps competence id -> (level reached, when it was stored). Without any
    measurement the gaps are unknown (None)."""
    if not targets:
        return None, None
    measured = [levels[c] for c in targets if c in levels]
    if not measured:
        return None, None
    gaps = sum(1 for c, lvl in targets.items() if c not in levels or levels[c][0] < lvl)
    if gaps:
        return gaps, None
    return 0, local_day(max(when for _, when in measured))


def certified_day(intervals: Iterable[tuple[datetime, datetime | None]]) -> date | None:
    """The issue day of the earliest certificate still valid (not revoked)."""
    valid = [issued for issued, revoked in intervals if revoked is None]
    return local_day(min(valid)) if valid else None


def refresh_targets(status: PersonStatus) -> None:
    """Recompute gaps and 'at target' from the person's proficiencies (2 queries)."""
    from hocvu.learning.models import Proficiency

    targets = targets_for(status.job_role, current_version_id())
    levels = {
        c: (lvl, when)
        for c, lvl, when in Proficiency.objects.filter(
            learner_id=status.person_id, competence_id__in=list(targets)
        ).values_list("competence_id", "level", "updated_at")
    }
    gaps, day = gaps_and_target_day(targets, levels)
    status.gaps = gaps
    if day is None:
        status.at_target_on = None
    elif status.at_target_on is None:
        status.at_target_on = day


def refresh_certified(status: PersonStatus) -> None:
    from hocvu.credentials.models import Credential

    day = certified_day(
        Credential.objects.filter(learner_id=status.person_id).values_list(
            "issued_at", "revoked_at"
        )
    )
    # Certified without a break keeps its first day, whichever certificate now holds it.
    if day is None or status.certified_on is None:
        status.certified_on = day


def touch(status: PersonStatus, day: date) -> None:
    if status.last_activity is None or day > status.last_activity:
        status.last_activity = day


def earliest(current: date | None, day: date) -> date:
    return day if current is None or day < current else current


def describe_person(status: PersonStatus, user: Any) -> None:
    """Copy what the aggregates and the people list need from the person record."""
    unit = user.unit
    status.unit = unit
    status.full_name = user.full_name
    status.name_folded = fold(user.full_name)
    status.counted = bool(user.is_active and unit is not None)
    status.unit_path = unit.path if unit is not None else ""
    if status.since is None:
        status.since = local_day(user.date_joined)


def sync_people(user_ids: Iterable[int]) -> int:
    """Bring the statuses of many people up to date after a bulk write (roster import).

    ``bulk_create`` sends no signals: new people get their status rows in bulk and the
    aggregates one addition per unit and day; people already known go through
    :func:`update_person` one by one. Returns the number of people synced."""
    from django.contrib.auth import get_user_model

    ids = sorted(set(user_ids))
    known = set(PersonStatus.objects.filter(pk__in=ids).values_list("pk", flat=True))
    users = get_user_model().objects.filter(pk__in=ids).select_related("unit")
    fresh: list[PersonStatus] = []
    grouped: dict[tuple[str, date], Delta] = {}
    for user in users.iterator(chunk_size=2000):
        if user.pk in known:

            def change(status: PersonStatus, user: Any = user) -> None:
                describe_person(status, user)
                status.job_role = user.job_role
                if user.has_usable_password() and status.activated_on is None:
                    status.activated_on = local_day()

            update_person(user.pk, change)
            continue
        status = PersonStatus(person_id=user.pk, job_role=user.job_role)
        describe_person(status, user)
        if user.has_usable_password():
            status.activated_on = local_day(user.date_joined)
        fresh.append(status)
        for m, day in _flag_dates(status).items():
            if day is not None:
                delta = grouped.setdefault((status.unit_path, day), {})
                delta[m] = delta.get(m, 0) + 1
    with transaction.atomic():
        PersonStatus.objects.bulk_create(fresh, batch_size=2000, ignore_conflicts=True)
        for (path, day), delta in sorted(grouped.items()):
            add_to_units(path, delta, day)
    return len(ids)


def unit_moved(unit_id: int, old_path: str) -> None:
    """Carry a moved subtree's people and totals to its new place (after ``move_unit``).

    ``move_unit`` rewrites the paths with one UPDATE and sends no ``post_save``: call this
    in the same transaction (through ``hocvu.organizations.signals.unit_moved`` when the
    organizations app sends it). The statuses' path copies are rewritten; the units inside
    keep their rows (their subtrees did not change); the old ancestors lose the subtree's
    current totals today and the new ones gain them today."""
    from django.db.models import Value
    from django.db.models.functions import Concat, Substr

    with transaction.atomic():
        unit = Unit.objects.get(pk=unit_id)
        new_path = unit.path
        if new_path == old_path:
            return
        PersonStatus.objects.filter(unit_path__startswith=old_path).update(
            unit_path=Concat(Value(new_path), Substr(F("unit_path"), len(old_path) + 1))
        )
        today = local_day()
        last = UnitDay.objects.filter(unit_id=unit_id, day__lte=today).order_by("-day").first()
        if last is None:
            return
        totals = last.totals()
        old_chain = set(ancestor_paths(old_path)) - {old_path}
        new_chain = set(ancestor_paths(new_path)) - {new_path}
        common = old_chain & new_chain
        branches = []
        for paths, sign in ((old_chain - common, -1), (new_chain - common, 1)):
            ids = list(
                Unit.objects.filter(path__in=paths).order_by("path").values_list("pk", flat=True)
            )
            branches.append((ids, {m: sign * n for m, n in totals.items()}))
        lock_rows([u for ids, _delta in branches for u in ids], today)
        for ids, delta in branches:
            add_to_unit_ids(ids, delta, today)
