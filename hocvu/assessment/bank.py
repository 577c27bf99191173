"""The adaptive engine's view of the item bank, built once per bank state and cached."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from uuid import UUID

from django.db import IntegrityError, models, transaction
from django.db.models import F

from hocvu.assessment.models import BankRevision, ItemExposure, PlacementCount
from hocvu.content.models import ItemStatus
from hocvu.content.services import LEVEL_CUTS, bank_items
from hocvu.framework.models import FrameworkVersion
from hocvu.psychometrics.cat import AdaptiveSession, Blueprint, CATConfig, ItemBank

#: The placement test: at most 60 questions (about 15 minutes), at least one question per
#: competence so every competence is touched, stopping once each area's level is decided
#: with 90 % confidence or measured to SE 0.35. Exposure: no item to more than 25 %.
PLACEMENT = CATConfig(
    max_length=60,
    min_length=24,
    se_target=0.35,
    level_confidence=0.9,
    cuts=LEVEL_CUTS,
    exposure_cap=0.25,
)

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


def resume(version: FrameworkVersion, state: dict[str, object]) -> AdaptiveSession:
    """The session of a placement attempt, rebuilt from its stored state."""
    return AdaptiveSession.from_dict(operational_bank(version).bank, state)
