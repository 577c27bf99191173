"""Campaigns and the progress a manager reads: every write and every dashboard query.

Reading functions take a unit the caller was already authorized for (views get it from
``hocvu.identity.access.unit_for``) and read only that unit's own aggregate rows and its
children's last rows, so their cost does not depend on how many people are below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from hocvu.audit import services as audit
from hocvu.campaigns import forecast as fc
from hocvu.campaigns.models import MEASURES, Campaign, Measure, PersonStatus, Target, UnitDay
from hocvu.campaigns.progress import ancestor_paths, fold, local_day
from hocvu.content.models import Program
from hocvu.identity import access
from hocvu.organizations.models import Unit

# ---------------------------------------------------------------------------------------
# Campaigns
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetSpec:
    """One dated target as entered: ``share`` in (0, 1]."""

    by_date: date
    share: Decimal
    measure: str = Measure.CERTIFIED


def validate_campaign(
    *, unit: Unit, starts_on: date, deadline: date, targets: list[TargetSpec]
) -> None:
    """Raise ValidationError (with a translated message) when the campaign is inconsistent."""
    if deadline < starts_on:
        raise ValidationError(_("The deadline must not be before the start."))
    if not targets:
        raise ValidationError(_("Give at least one target."))
    seen: dict[str, Decimal] = {}
    dates: set[tuple[date, str]] = set()
    for spec in sorted(targets, key=lambda t: t.by_date):
        if spec.measure not in Measure.values:
            raise ValidationError(_("Unknown target measure."))
        if not Decimal(0) < spec.share <= Decimal(1):
            raise ValidationError(_("A target share must be more than 0% and at most 100%."))
        if not starts_on <= spec.by_date <= deadline:
            raise ValidationError(
                _("Every target date must lie between the start and the deadline.")
            )
        if (spec.by_date, spec.measure) in dates:
            raise ValidationError(_("Two targets have the same date."))
        if spec.share < seen.get(spec.measure, Decimal(0)):
            raise ValidationError(_("A later target cannot ask for a smaller share."))
        seen[spec.measure] = spec.share
        dates.add((spec.by_date, spec.measure))


def create_campaign(
    *,
    actor: Any,
    program: Program,
    unit: Unit,
    title: str,
    starts_on: date,
    deadline: date,
    targets: list[TargetSpec],
    remind_days_before: int = 14,
    stall_days: int = 14,
) -> Campaign:
    """Assign ``program`` to ``unit``'s subtree with dated targets (audited).

    The actor must manage ``unit`` (a national administrator manages the root)."""
    if actor is not None and not access.can(actor, "unit.manage", unit):
        raise PermissionDenied("unit outside the actor's scope")
    validate_campaign(unit=unit, starts_on=starts_on, deadline=deadline, targets=targets)
    if not 0 < remind_days_before <= 365 or not 0 < stall_days <= 365:
        raise ValidationError(_("Reminder days must be between 1 and 365."))
    with transaction.atomic():
        campaign = Campaign.objects.create(
            program=program,
            unit=unit,
            title=title.strip()[:255] or program.title,
            starts_on=starts_on,
            deadline=deadline,
            remind_days_before=remind_days_before,
            stall_days=stall_days,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        Target.objects.bulk_create(
            Target(campaign=campaign, by_date=t.by_date, share=t.share, measure=t.measure)
            for t in targets
        )
        audit.record(
            "campaigns.create",
            actor=actor,
            obj=campaign,
            unit_path=unit.path,
            data={
                "program": program.code,
                "unit": unit.code,
                "starts_on": starts_on.isoformat(),
                "deadline": deadline.isoformat(),
                "targets": [[t.by_date.isoformat(), str(t.share), t.measure] for t in targets],
            },
        )
    return campaign


def campaigns_for(user: Any) -> QuerySet[Campaign]:
    """Campaigns the user may see: those over a unit in their scope, or covering one."""
    paths = access.scope_paths(user, "unit.view")
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(unit__path__startswith=path)
        condition |= Q(unit__path__in=ancestor_paths(path))
    return Campaign.objects.filter(condition).select_related("unit", "program")


def campaign_for(user: Any, campaign_id: int) -> Campaign:
    """One campaign, or 404 outside the user's reach."""
    from django.http import Http404

    try:
        return campaigns_for(user).get(pk=campaign_id)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404("campaign not found") from None


def covering(unit: Unit) -> QuerySet[Campaign]:
    """Campaigns whose subtree contains ``unit`` (their targets apply to it), newest first."""
    return (
        Campaign.objects.filter(unit__path__in=ancestor_paths(unit.path))
        .select_related("unit", "program")
        .prefetch_related("targets")
        .order_by("-is_active", "-deadline", "-pk")
    )


def within(unit: Unit) -> QuerySet[Campaign]:
    """Campaigns assigned to units strictly below ``unit``."""
    return (
        Campaign.objects.filter(unit__path__startswith=unit.path)
        .exclude(unit=unit)
        .select_related("unit", "program")
        .order_by("-is_active", "-deadline", "-pk")
    )


# ---------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------


@dataclass
class Totals:
    """A unit subtree's counters on one day (zeros when nothing was ever counted)."""

    people: int = 0
    activated: int = 0
    placed: int = 0
    learning: int = 0
    at_target: int = 0
    certified: int = 0

    @classmethod
    def of(cls, row: UnitDay | None) -> Totals:
        return cls(**row.totals()) if row is not None else cls()

    def share(self, measure: str) -> float:
        return getattr(self, measure) / self.people if self.people else 0.0

    def as_list(self) -> list[tuple[str, int]]:
        return [(m, getattr(self, m)) for m in MEASURES]


@dataclass
class ChildRow:
    unit: Unit
    totals: Totals
    share: float = 0.0
    expected: float = 0.0

    @property
    def lag(self) -> float:
        return self.expected - self.share


@dataclass
class Dashboard:
    """Everything a unit's dashboard shows, read in a fixed number of queries."""

    unit: Unit
    today: date
    totals: Totals
    series: list[tuple[date, Totals]]
    children: list[ChildRow]
    campaign: Campaign | None = None
    measure: str = Measure.CERTIFIED
    targets: list[Target] = field(default_factory=list)
    expected: float = 0.0
    forecast: fc.Forecast | None = None
    lagging: list[ChildRow] = field(default_factory=list)
    #: The unit's ancestors, root first, the unit itself last (filter by scope to show).
    trail: list[Unit] = field(default_factory=list)


def series(unit: Unit, until: date | None = None) -> list[tuple[date, Totals]]:
    """The unit's day rows (days with a change), oldest first: one query."""
    rows = UnitDay.objects.filter(unit=unit)
    if until is not None:
        rows = rows.filter(day__lte=until)
    return [(r.day, Totals.of(r)) for r in rows.order_by("day")]


def family(unit: Unit, today: date) -> tuple[list[Unit], list[ChildRow]]:
    """The unit's ancestors (root first, the unit last) and each child unit with its last
    totals: two queries whatever the number of people."""
    last = UnitDay.objects.filter(unit=OuterRef("pk"), day__lte=today).order_by("-day")
    related = list(
        Unit.objects.filter(Q(parent=unit) | Q(path__in=ancestor_paths(unit.path))).annotate(
            last_id=Subquery(last.values("pk")[:1])
        )
    )
    children = [u for u in related if u.parent_id == unit.pk and u.pk != unit.pk]
    trail: list[Unit] = sorted(
        (u for u in related if unit.path.startswith(u.path)), key=lambda u: u.depth
    )
    rows = UnitDay.objects.in_bulk([c.last_id for c in children if c.last_id is not None])
    return trail, [ChildRow(unit=c, totals=Totals.of(rows.get(c.last_id))) for c in children]


def children_totals(unit: Unit, today: date) -> list[ChildRow]:
    """Each child unit with its last totals."""
    return family(unit, today)[1]


def related_campaigns(unit: Unit) -> tuple[list[Campaign], list[Campaign]]:
    """(campaigns covering ``unit``, newest first; campaigns of units below it): two queries."""
    rows = list(
        Campaign.objects.filter(
            Q(unit__path__in=ancestor_paths(unit.path)) | Q(unit__path__startswith=unit.path)
        )
        .select_related("unit", "program")
        .prefetch_related("targets")
        .order_by("-is_active", "-deadline", "-pk")
    )
    covers = [c for c in rows if unit.path.startswith(c.unit.path)]
    below = [c for c in rows if c.unit.path.startswith(unit.path) and c.unit_id != unit.pk]
    return covers, below


def dashboard(
    unit: Unit, campaign: Campaign | None = None, *, today: date | None = None
) -> Dashboard:
    """The figures of ``unit``'s subtree against ``campaign``'s targets (if it covers it)."""
    today = today or local_day()
    history = series(unit, today)
    trail, children = family(unit, today)
    board = Dashboard(
        unit=unit,
        today=today,
        totals=history[-1][1] if history else Totals(),
        series=history,
        children=children,
        trail=trail,
    )
    if campaign is None or not unit.path.startswith(campaign.unit.path):
        board.children.sort(key=lambda c: c.unit.path)
        return board
    board.campaign = campaign
    targets = sorted(campaign.targets.all(), key=lambda t: t.by_date)
    measures = {t.measure for t in targets}
    board.measure = (
        Measure.CERTIFIED if Measure.CERTIFIED in measures or not measures else Measure.AT_TARGET
    )
    board.targets = [t for t in targets if t.measure == board.measure]
    schedule = [(t.by_date, float(t.share)) for t in board.targets]
    board.expected = fc.expected_share(schedule, campaign.starts_on, today)
    shares = [(d, t.share(board.measure)) for d, t in history if d >= campaign.starts_on]
    board.forecast = fc.forecast(shares, today, campaign.deadline)
    for child in board.children:
        child.share = child.totals.share(board.measure)
        child.expected = board.expected
    board.lagging = sorted(
        (c for c in board.children if c.totals.people and c.lag > 0),
        key=lambda c: (-c.lag, c.unit.path),
    )
    board.children.sort(key=lambda c: c.unit.path)
    return board


@dataclass
class CampaignSummary:
    """A campaign's headline on a higher unit's page: share now against its schedule."""

    campaign: Campaign
    totals: Totals
    share: float
    expected: float
    next_target: Target | None


def summaries(campaigns: list[Campaign], today: date) -> list[CampaignSummary]:
    """Each campaign's share today on its own unit (two queries for any number)."""
    if not campaigns:
        return []
    last = UnitDay.objects.filter(unit=OuterRef("pk"), day__lte=today).order_by("-day")
    units = Unit.objects.filter(pk__in={c.unit_id for c in campaigns}).annotate(
        last_id=Subquery(last.values("pk")[:1])
    )
    last_ids = {u.pk: u.last_id for u in units}
    rows = UnitDay.objects.in_bulk([i for i in last_ids.values() if i is not None])
    out = []
    for c in campaigns:
        totals = Totals.of(rows.get(last_ids.get(c.unit_id)))
        targets = sorted(
            (t for t in c.targets.all() if t.measure == Measure.CERTIFIED), key=lambda t: t.by_date
        )
        schedule = [(t.by_date, float(t.share)) for t in targets]
        out.append(
            CampaignSummary(
                campaign=c,
                totals=totals,
                share=totals.share(Measure.CERTIFIED),
                expected=fc.expected_share(schedule, c.starts_on, today),
                next_target=next((t for t in targets if t.by_date >= today), None),
            )
        )
    return out


# ---------------------------------------------------------------------------------------
# People behind a number
# ---------------------------------------------------------------------------------------

#: People-list filters: the figure a link comes from -> the condition on a status row.
FILTERS: dict[str, Q] = {
    "people": Q(),
    "activated": Q(activated_on__isnull=False),
    "not_activated": Q(activated_on__isnull=True),
    "placed": Q(placed_on__isnull=False),
    "not_placed": Q(placed_on__isnull=True),
    "learning": Q(learning_on__isnull=False),
    "at_target": Q(at_target_on__isnull=False),
    "not_at_target": Q(at_target_on__isnull=True),
    "certified": Q(certified_on__isnull=False),
    "not_certified": Q(certified_on__isnull=True),
}


#: From this many people on, a people list takes its count from the unit's totals.
COUNT_FROM_TOTALS = 10_000


def figure(unit: Unit, status: str) -> int | None:
    """The dashboard's number for a people-list filter (one query), None if it has none."""
    row = UnitDay.objects.filter(unit=unit, day__lte=local_day()).order_by("-day").first()
    totals = Totals.of(row)
    if status in MEASURES:
        return int(getattr(totals, status))
    if status.startswith("not_") and status[4:] in MEASURES:
        return totals.people - int(getattr(totals, status[4:]))
    return None


def people(unit: Unit, *, status: str = "people", query: str = "") -> QuerySet[PersonStatus]:
    """The counted people of ``unit``'s subtree matching a figure and a name search.

    The search ignores case and diacritics ('dang thi mai' finds 'Đặng Thị Mai')."""
    rows = PersonStatus.objects.filter(counted=True, unit_path__startswith=unit.path)
    rows = rows.filter(FILTERS.get(status, Q()))
    folded = fold(query)[:100]
    if folded:
        rows = rows.filter(name_folded__contains=folded)
    return rows.select_related("unit").order_by("name_folded", "pk")
