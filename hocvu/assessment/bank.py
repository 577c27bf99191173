"""The adaptive engine's view of the item bank, built once per bank state and cached."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from django.db.models import Count

from hocvu.assessment.models import AttemptKind, Response
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
_cache: dict[tuple[int, str], ItemBank] = {}


@dataclass(frozen=True)
class OperationalBank:
    bank: ItemBank
    blueprint: Blueprint


def operational_bank(version: FrameworkVersion) -> OperationalBank:
    """The scored items of ``version`` as an engine bank (cached while unchanged)."""
    rows = list(
        bank_items(version)
        .filter(status=ItemStatus.OPERATIONAL)
        .order_by("code")
        .values_list("code", "a", "b", "c", "competence__code", "level")
    )
    if not rows:
        raise ValueError("the item bank has no operational items")
    fingerprint = hashlib.sha256(repr(rows).encode()).hexdigest()
    key = (version.pk, fingerprint)
    with _lock:
        bank = _cache.get(key)
        if bank is None:
            codes, a, b, c, comp, level = zip(*rows, strict=True)
            bank = ItemBank.create(codes, a, b, c, comp, level)
            _cache.clear()
            _cache[key] = bank
    blueprint = Blueprint.balanced(bank, min_per_area=3, min_per_competence=1, max_per_competence=4)
    return OperationalBank(bank=bank, blueprint=blueprint)


def exposure_counts(version: FrameworkVersion) -> tuple[dict[str, int], int]:
    """How many placement attempts showed each item, and how many attempts there were."""
    from hocvu.assessment.models import Attempt

    counts = dict(
        Response.objects.filter(
            attempt__kind=AttemptKind.PLACEMENT, attempt__framework_version=version
        )
        .values_list("item__code")
        .annotate(n=Count("attempt", distinct=True))
        .values_list("item__code", "n")
    )
    sessions = Attempt.objects.filter(kind=AttemptKind.PLACEMENT, framework_version=version).count()
    return counts, sessions


def resume(version: FrameworkVersion, state: dict[str, object]) -> AdaptiveSession:
    """The session of a placement attempt, rebuilt from its stored state."""
    return AdaptiveSession.from_dict(operational_bank(version).bank, state)
