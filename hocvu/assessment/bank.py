"""The adaptive engine's view of the item bank, built once per bank state and cached,
and the two placement engines: against the role's targets (decision 0011) for a learner
with a role, the five-band placement (decision 0005) for one without."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from uuid import UUID

from django.db import IntegrityError, models, transaction
from django.db.models import F

from hocvu.assessment.models import BankRevision, ItemExposure, PlacementCount, PlacementPrior
from hocvu.content import standards
from hocvu.content.models import ItemStatus
from hocvu.content.services import LEVEL_CUTS, bank_items
from hocvu.framework.models import FrameworkVersion, RoleTarget
from hocvu.psychometrics import targeting
from hocvu.psychometrics.cat import AdaptiveSession, Blueprint, CATConfig, ItemBank
from hocvu.psychometrics.targeting import CompetencePrior, TargetConfig, TargetSession

#: The five-band placement, for a learner without a role (decision 0005): at most 30
#: questions (about 15 minutes at 30 s each), at least one per competence, stopping once
#: each area's level is decided with 90 % confidence or measured to SE 0.35. Exposure: no
#: item to more than 25 %. (Until decision 0011 every learner took it with at most 60.)
PLACEMENT = CATConfig(
    max_length=30,
    min_length=24,
    se_target=0.35,
    level_confidence=0.9,
    cuts=LEVEL_CUTS,
    exposure_cap=0.25,
)

#: Placement against the role's targets (decision 0011): per competence, "at the target
#: level or not" at the recorded standard's cut, decided at 90 % posterior confidence; at
#: most 30 questions (15 minutes at 30 s a question); what stays undecided is settled by
#: one short check on the path. Exposure: no item to more than 25 %.
TARGETS = TargetConfig(
    max_length=30,
    min_length=0,
    confidence=0.9,
    min_gain=0.001,
    exposure_cap=0.25,
)

#: An engine session of either kind.
Session = AdaptiveSession | TargetSession

_lock = threading.Lock()
_cache: dict[tuple[int, UUID], OperationalBank] = {}


@dataclass(frozen=True)
class OperationalBank:
    bank: ItemBank
    blueprint: Blueprint


def revision(version_id: int) -> UUID:
    """The current revision of ``version_id``'s bank (one indexed read)."""
    token = (
        BankRevision.objects.filter(framework_version_id=version_id)
        .values_list("token", flat=True)
        .first()
    )
    if token is None:
        token = BankRevision.objects.get_or_create(framework_version_id=version_id)[0].token
    return token


def bump_revision(version_id: int | None = None) -> None:
    """Mark the bank of ``version_id`` (of every version when None) as changed.

    Every write to items must end here: saves do through a signal (``AssessmentConfig``),
    bulk writes (recalibration) call it themselves.
    """
    rows = BankRevision.objects.all()
    if version_id is not None:
        rows = rows.filter(framework_version_id=version_id)
    rows.update(token=uuid.uuid4())


def operational_bank(version: FrameworkVersion) -> OperationalBank:
    """The scored learning items of ``version`` (never the secure exam pool, see
    ``bank_items``) as an engine bank, read once per bank revision."""
    # The revision first: rows read after it are at least as new as it.
    key = (version.pk, revision(version.pk))
    cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = list(
        bank_items(version)
        .filter(status=ItemStatus.OPERATIONAL)
        .order_by("code")
        .values_list("code", "a", "b", "c", "competence__code", "level")
    )
    if not rows:
        raise ValueError("the item bank has no operational items")
    codes, a, b, c, comp, level = zip(*rows, strict=True)
    bank = ItemBank.create(codes, a, b, c, comp, level)
    blueprint = Blueprint.balanced(bank, min_per_area=3, min_per_competence=1, max_per_competence=4)
    built = OperationalBank(bank=bank, blueprint=blueprint)
    with _lock:
        for stale in [k for k in _cache if k[0] == version.pk]:
            del _cache[stale]
        _cache[key] = built
    return built


def exposure_counts(version: FrameworkVersion) -> tuple[dict[str, int], int]:
    """How many placement attempts showed each item, and how many attempts there were.

    Read from running counts (one row per item, one per version): the cost does not grow
    with the number of responses ever stored.
    """
    counts = dict(
        ItemExposure.objects.filter(item__competence__version=version).values_list(
            "item__code", "attempts"
        )
    )
    sessions = (
        PlacementCount.objects.filter(framework_version=version)
        .values_list("sessions", flat=True)
        .first()
    )
    return counts, sessions or 0


def _add_one(model: type[models.Model], field: str, **key: object) -> None:
    """``field + 1`` on the row of ``key``, creating it at 1 (an upsert that never aborts
    the caller's transaction: a concurrent creation is caught inside a savepoint)."""
    if model._default_manager.filter(**key).update(**{field: F(field) + 1}):
        return
    try:
        with transaction.atomic():
            model._default_manager.create(**key, **{field: 1})
    except IntegrityError:
        model._default_manager.filter(**key).update(**{field: F(field) + 1})


def count_exposure(item_id: int) -> None:
    """One more placement attempt showed ``item_id`` (called with its answer)."""
    _add_one(ItemExposure, "attempts", item_id=item_id)


def count_placement(version_id: int) -> None:
    """One more placement attempt on ``version_id``."""
    _add_one(PlacementCount, "sessions", framework_version_id=version_id)


def resume(version: FrameworkVersion, state: dict[str, object]) -> Session:
    """The session of a placement attempt, rebuilt from its stored state (either engine)."""
    bank = operational_bank(version).bank
    if state.get("engine") == targeting.ENGINE:
        return TargetSession.from_dict(bank, state)
    return AdaptiveSession.from_dict(bank, state)


def max_questions(state: dict[str, object]) -> int:
    """The most questions the attempt of ``state`` may show (pilot questions included)."""
    config = state.get("config")
    if isinstance(config, dict) and isinstance(config.get("max_length"), int):
        return int(config["max_length"])
    return PLACEMENT.max_length


def role_targets(version: FrameworkVersion, role_code: str) -> dict[str, int]:
    """The target level per competence code of ``role_code`` ({} without such a role)."""
    if not role_code:
        return {}
    return dict(
        RoleTarget.objects.filter(profile__version=version, profile__code=role_code).values_list(
            "competence__code", "level"
        )
    )


def placement_prior(version: FrameworkVersion, role_code: str, bank: ItemBank) -> CompetencePrior:
    """The role's prior: the latest empirical-Bayes fit for it (``fit_placement_prior``),
    or, before there is one, the documented default (decision 0011)."""
    row = (
        PlacementPrior.objects.filter(framework_version=version, role_code=role_code)
        .order_by("-fitted_at", "-pk")
        .first()
    )
    if row is not None:
        try:
            prior = CompetencePrior.from_dict(row.prior)
        except ValueError:
            prior = None
        if prior is not None and prior.codes == bank.competence_codes:
            return prior
    return CompetencePrior.for_bank(bank)


def start_session(
    version: FrameworkVersion,
    role_code: str,
    *,
    seed: int,
    exclude: set[str],
    exposure_counts: dict[str, int],
    exposure_sessions: int,
) -> Session:
    """A new placement: against the role's targets when the learner has a role with
    targets, otherwise the five-band placement."""
    ob = operational_bank(version)
    targets = role_targets(version, role_code)
    if any(level > 0 for level in targets.values()):
        std = standards.in_force()
        return TargetSession.start(
            ob.bank,
            placement_prior(version, role_code, ob.bank),
            targets,
            {level: std.cut(level) for level in range(1, len(LEVEL_CUTS) + 1)},
            seed=seed,
            config=TARGETS,
            exclude=exclude,
            exposure_counts=exposure_counts,
            exposure_sessions=exposure_sessions,
        )
    return AdaptiveSession.start(
        ob.bank,
        seed=seed,
        config=PLACEMENT,
        blueprint=ob.blueprint,
        exclude=exclude,
        exposure_counts=exposure_counts,
        exposure_sessions=exposure_sessions,
    )
