"""Data quality of a unit's subtree: correct, sufficient, clean, alive — in figures.

- **correct**: rows failing validation in the subtree's roster imports that were not
  followed by a committed import for the same unit (a fixed file clears them);
- **sufficient**: people missing a date of birth, a gender, a citizen ID, any way to reach
  them (neither e-mail nor phone), a role profile;
- **clean**: suspected duplicates, people sharing their name folded without diacritics
  and their date of birth with someone else of the subtree (a GROUP BY in the database on
  ``PersonStatus.name_folded``, never a loop over people);
- **alive**: accounts never activated, and activated people with no activity in
  :data:`IDLE_DAYS` days.

Every figure is one aggregate query and comes with the list of the people behind it
(:func:`people_with`), a queryset to paginate. Nothing here reads an ID number: "no
citizen ID" is an empty lookup hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Window

from hocvu.campaigns.models import PersonStatus
from hocvu.campaigns.progress import local_day
from hocvu.identity.models import User
from hocvu.organizations.models import Unit
from hocvu.roster.models import ImportStatus, RosterImport

IDLE_DAYS = 90

#: Missing-field issues: key -> the condition on a person.
MISSING: dict[str, Q] = {
    "no_date_of_birth": Q(date_of_birth=None),
    "no_gender": Q(gender=""),
    "no_national_id": Q(national_id_index=""),
    "no_contact": Q(email="") & (Q(contact__isnull=True) | Q(contact__phone="")),
    "no_role": Q(job_role=""),
}
#: Every issue a people list can be filtered by.
ISSUES = (*MISSING, "duplicates", "never_activated", "inactive")


@dataclass
class Quality:
    people: int
    import_error_rows: int
    imports_with_errors: list[RosterImport] = field(default_factory=list)
    import_count: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    never_activated: int = 0
    inactive: int = 0


def _subtree_people(unit: Unit) -> QuerySet[User]:
    return User.objects.filter(is_active=True, unit__path__startswith=unit.path)


def _statuses(unit: Unit) -> QuerySet[PersonStatus]:
    return PersonStatus.objects.filter(counted=True, unit_path__startswith=unit.path)


def open_imports(unit: Unit) -> QuerySet[RosterImport]:
    """Imports of the subtree that failed validation and were not followed by a committed
    import for the same unit."""
    fixed = RosterImport.objects.filter(
        unit=OuterRef("unit"), status=ImportStatus.COMMITTED, created_at__gt=OuterRef("created_at")
    )
    return (
        RosterImport.objects.filter(
            unit__path__startswith=unit.path, status=ImportStatus.INVALID, error_rows__gt=0
        )
        .exclude(Exists(fixed))
        .select_related("unit")
    )


def duplicate_statuses(unit: Unit) -> QuerySet[PersonStatus]:
    """Status rows of people who share their folded name and date of birth with another
    person of the subtree: a count over each (name, date of birth) partition, one sort of
    the subtree (a correlated EXISTS re-grouped the subtree for every row: quadratic)."""
    return (
        _statuses(unit)
        .exclude(name_folded="")
        .filter(person__date_of_birth__isnull=False)
        .annotate(
            twins=Window(Count("pk"), partition_by=[F("name_folded"), F("person__date_of_birth")])
        )
        .filter(twins__gt=1)
    )


def idle_since(today: date) -> date:
    return today - timedelta(days=IDLE_DAYS)


def inactive_condition(today: date) -> Q:
    """Activated, and nothing done for IDLE_DAYS days (or ever, when activated that long ago)."""
    cutoff = idle_since(today)
    return Q(activated_on__isnull=False) & (
        Q(last_activity__lt=cutoff) | (Q(last_activity=None) & Q(activated_on__lt=cutoff))
    )


def measure(unit: Unit, *, today: date | None = None) -> Quality:
    """The subtree's figures: five queries whatever the number of people."""
    today = today or local_day()
    imports = open_imports(unit)
    import_totals = imports.aggregate(n=Count("pk"), rows=Sum("error_rows"))
    # The contact is one-to-one: the outer join adds no rows, so no DISTINCT is needed.
    missing = _subtree_people(unit).aggregate(
        people=Count("pk"),
        **{key: Count("pk", filter=condition) for key, condition in MISSING.items()},
    )
    alive = _statuses(unit).aggregate(
        never=Count("pk", filter=Q(activated_on=None)),
        inactive=Count("pk", filter=inactive_condition(today)),
    )
    return Quality(
        people=missing.pop("people"),
        import_error_rows=import_totals["rows"] or 0,
        import_count=import_totals["n"] or 0,
        imports_with_errors=list(imports.order_by("-created_at", "-pk")[:20]),
        missing={key: int(missing[key]) for key in MISSING},
        duplicates=duplicate_statuses(unit).count(),
        never_activated=alive["never"],
        inactive=alive["inactive"],
    )


def people_with(unit: Unit, issue: str, *, today: date | None = None) -> QuerySet[User]:
    """The active people of the subtree with ``issue`` (one of :data:`ISSUES`)."""
    today = today or local_day()
    people = _subtree_people(unit)
    if issue in MISSING:
        people = people.filter(MISSING[issue]).distinct()
    elif issue == "duplicates":
        people = people.filter(pk__in=duplicate_statuses(unit).values("person_id"))
    elif issue == "never_activated":
        people = people.filter(pk__in=_statuses(unit).filter(activated_on=None).values("pk"))
    elif issue == "inactive":
        people = people.filter(
            pk__in=_statuses(unit).filter(inactive_condition(today)).values("pk")
        )
    else:
        raise ValueError(f"unknown issue {issue!r}")
    if issue == "duplicates":
        return people.select_related("unit").order_by("date_of_birth", "full_name", "pk")
    return people.select_related("unit").order_by("full_name", "pk")
