"""Recalibrating the item bank from learners' answers.

One run, for one framework version, does two things:

1. **Classical statistics** for every pilot, operational and retired item: the number of
   responses ``n``, the share answered correctly (``p_value``), a discrimination index
   and the exposure rate, plus flags for items an author should look at.
2. **IRT calibration** (:func:`hocvu.psychometrics.calibrate`) of the items whose
   parameters should come from data: pilot items and operational items still carrying
   the provisional parameters guessed from their level. Operational items that were
   already calibrated are held fixed (fixed-parameter calibration), so the new items land
   on the scale the adaptive engine and the level cut scores already use, and no learner's
   result moves because the bank was recalibrated.

Data
----
Only responses given in placement tests are used (``ATTEMPT_KINDS``), scored ones and the
unscored pilot ones alike. Practice, mastery checks and reviews are left out on purpose:
they follow a lesson, show the explanation after each question and repeat questions, so
their answers do not measure the same thing as a placement answer. Each placement attempt
is one "person": a learner who retakes the test is a new draw of ability.

The adaptive engine keeps one ability scale per competence area (the competence code up
to the first dot), so each area is calibrated separately.

Discrimination
--------------
The classical index is a point-biserial correlation between the item score and a
criterion. In a fixed form the criterion is the rest score (the share correct on the
attempt's other scored items). Adaptive tests give every learner different items of
about their own difficulty, so rest scores are not comparable across learners; there the
criterion is the attempt's final ability estimate for the item's area (stored in
``Attempt.result``). Placement attempts without a result (abandoned) count for ``n`` and
the p-value but not for the correlation. For operational items the estimate includes the
item itself, which raises the index a little (as an item-total correlation would); pilot
items are unscored, so for them it is a clean item-rest index.

Guessing
--------
The engine uses the three-parameter logistic model. With a few hundred answers per item
the lower asymptote ``c`` is poorly identified, so it is held near the chance of guessing
the item's kind (``1/options`` for single choice, 0.5 for true/false, 0 for typed answers)
by a strong Beta prior (``PRIOR_STRENGTH`` pseudo-answers). Because the calibration takes
a single prior, the free items of an area are calibrated in groups of equal chance rate,
each group together with the area's fixed items (which set the scale).
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from hocvu.assessment import bank
from hocvu.assessment.models import Attempt, AttemptKind, Response
from hocvu.audit import services as audit
from hocvu.content.flags import FEW, LOW, NEGATIVE_DISCRIMINATION, TOO_EASY, TOO_HARD
from hocvu.content.models import Item, ItemStatus, ParameterSource
from hocvu.content.services import provisional_parameters
from hocvu.framework.models import FrameworkVersion
from hocvu.psychometrics.calibration import (
    ConvergenceWarning,
    DegenerateItemWarning,
    Priors,
    calibrate,
)

#: Attempt kinds whose answers feed the statistics and the calibration.
ATTEMPT_KINDS: tuple[str, ...] = (AttemptKind.PLACEMENT,)
#: Free items need at least this many responses before data replace their parameters
#: (setting ``HOCVU_CALIBRATION_MIN_N`` overrides it).
DEFAULT_MIN_N = 200
#: Weight, in pseudo-answers, of the prior holding ``c`` near the chance rate.
PRIOR_STRENGTH = 100.0

P_TOO_EASY = 0.95
P_TOO_HARD = 0.05
LOW_DISCRIMINATION = 0.15
FEW_RESPONSES = 50


def default_min_n() -> int:
    return int(getattr(settings, "HOCVU_CALIBRATION_MIN_N", DEFAULT_MIN_N))


def area_of(competence_code: str) -> str:
    """The engine's scale for a competence: its code up to the first dot."""
    return competence_code.split(".", 1)[0]


@dataclass(frozen=True)
class ItemStatistics:
    n: int
    p_value: float | None
    discrimination: float | None
    exposure: float | None
    flags: tuple[str, ...]


def flags_for(n: int, p: float | None, r: float | None) -> tuple[str, ...]:
    found: list[str] = []
    if p is not None and p > P_TOO_EASY:
        found.append(TOO_EASY)
    if p is not None and p < P_TOO_HARD:
        found.append(TOO_HARD)
    if r is not None and r < 0:
        found.append(NEGATIVE_DISCRIMINATION)
    elif r is not None and r < LOW_DISCRIMINATION:
        found.append(LOW)
    if n < FEW_RESPONSES:
        found.append(FEW)
    return tuple(found)


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


@dataclass(frozen=True)
class _Responses:
    """The responses of one run as parallel arrays (one row per response)."""

    person: np.ndarray  # attempt index
    item: np.ndarray  # Item.pk
    score: np.ndarray
    criterion: np.ndarray  # ability estimate or rest score; NaN when unknown

    @property
    def size(self) -> int:
        return int(self.item.size)


def _area_thetas(result: Any) -> dict[str, float]:
    thetas: dict[str, float] = {}
    if isinstance(result, dict):
        for area in result.get("areas") or []:
            if isinstance(area, dict) and isinstance(area.get("theta"), int | float):
                thetas[str(area.get("code"))] = float(area["theta"])
    return thetas


def load_responses(
    version: FrameworkVersion, area_by_item: dict[int, str], kinds: Iterable[str] = ATTEMPT_KINDS
) -> _Responses:
    kinds = tuple(kinds)
    attempts = Attempt.objects.filter(framework_version=version, kind__in=kinds)
    index: dict[Any, int] = {}
    thetas: list[dict[str, float] | None] = []
    for pk, kind, result in attempts.values_list("id", "kind", "result").iterator():
        index[pk] = len(thetas)
        thetas.append(_area_thetas(result) if kind == AttemptKind.PLACEMENT else None)
    rows = (
        Response.objects.filter(attempt__in=attempts, item_id__in=list(area_by_item))
        .values_list("attempt_id", "item_id", "score", "scored")
        .iterator()
    )
    person, item, score, scored = [], [], [], []
    for attempt_id, item_id, s, is_scored in rows:
        person.append(index[attempt_id])
        item.append(item_id)
        score.append(s)
        scored.append(is_scored)
    p = np.asarray(person, dtype=np.int64)
    i = np.asarray(item, dtype=np.int64)
    s_arr = np.asarray(score, dtype=np.int64)
    sc = np.asarray(scored, dtype=bool)
    criterion = np.full(p.size, np.nan)
    # Fixed forms: the share correct on the attempt's other scored items.
    n_att = len(thetas)
    total = np.bincount(p, weights=s_arr * sc, minlength=n_att)
    count = np.bincount(p, weights=sc.astype(float), minlength=n_att)
    rest_n = count[p] - sc
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = (total[p] - s_arr * sc) / rest_n
    fixed_form = np.array([t is None for t in thetas], dtype=bool)
    use_rest = fixed_form[p] & (rest_n > 0) if p.size else np.zeros(0, dtype=bool)
    criterion[use_rest] = rest[use_rest]
    # Adaptive tests: the attempt's ability estimate on the item's area.
    for k in np.flatnonzero(~fixed_form[p]) if p.size else []:
        estimates = thetas[int(p[k])]
        if estimates:
            criterion[k] = estimates.get(area_by_item[int(i[k])], np.nan)
    return _Responses(person=p, item=i, score=s_arr, criterion=criterion)


def item_statistics(
    version: FrameworkVersion, data: _Responses, item_ids: Iterable[int]
) -> dict[int, ItemStatistics]:
    """Classical statistics of ``item_ids`` from ``data``."""
    sessions = Attempt.objects.filter(framework_version=version, kind=AttemptKind.PLACEMENT).count()
    shown = defaultdict(
        int,
        Response.objects.filter(
            attempt__framework_version=version,
            attempt__kind=AttemptKind.PLACEMENT,
            item_id__in=list(item_ids),
        )
        .values_list("item_id")
        .annotate(n=Count("attempt"))
        .values_list("item_id", "n"),
    )
    order = np.argsort(data.item, kind="stable")
    items_sorted = data.item[order]
    stats: dict[int, ItemStatistics] = {}
    for item_id in item_ids:
        lo, hi = np.searchsorted(items_sorted, [item_id, item_id + 1])
        rows = order[lo:hi]
        n = int(rows.size)
        x = data.score[rows].astype(float)
        p = float(x.mean()) if n else None
        r = _correlation(x, data.criterion[rows]) if n else None
        exposure = shown[item_id] / sessions if sessions else None
        stats[item_id] = ItemStatistics(n, p, r, exposure, flags_for(n, p, r))
    return stats


#: Calibration flags of items that got estimates (without a standard error, possibly).
ESTIMATED = ("ok", "se_unavailable")


@dataclass(frozen=True)
class _Estimate:
    a: float
    b: float
    c: float
    se_a: float | None
    se_b: float | None


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


def _calibrate_area(
    data: _Responses,
    fixed_items: list[Item],
    free_items: list[Item],
    report: dict[str, Any],
) -> dict[int, _Estimate]:
    """Calibrate one area's free items against its fixed ones (see the module docstring)."""
    groups: dict[float, list[Item]] = defaultdict(list)
    for item in free_items:
        groups[provisional_parameters(item.level, item.kind, len(item.options))[2]].append(item)
    columns = {item.pk: j for j, item in enumerate(fixed_items)}
    anchors = {j: (item.a, item.b, item.c) for j, item in enumerate(fixed_items)}
    estimates: dict[int, _Estimate] = {}
    for chance, group in sorted(groups.items()):
        cols = dict(columns)
        for item in group:
            cols[item.pk] = len(cols)
        keep = np.isin(data.item, list(cols))
        persons, person_idx = np.unique(data.person[keep], return_inverse=True)
        item_idx = np.array([cols[int(x)] for x in data.item[keep]], dtype=np.int64)
        priors = Priors(
            c_alpha=1.0 + max(PRIOR_STRENGTH * chance, 0.05),
            c_beta=1.0 + PRIOR_STRENGTH * (1.0 - chance),
        )
        run: dict[str, Any] = {
            "chance": chance,
            "free": [item.code for item in group],
            "fixed": len(anchors),
            "persons": int(persons.size),
            "responses": int(item_idx.size),
        }
        report.setdefault("runs", []).append(run)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = calibrate(
                    person_idx,
                    item_idx,
                    data.score[keep],
                    "3pl",
                    n_items=len(cols),
                    fixed=anchors or None,
                    priors=priors,
                )
            except ValueError as exc:
                run["error"] = str(exc)
                continue
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            run["error"] = "did not converge"
            continue
        run["degenerate"] = sum(issubclass(w.category, DegenerateItemWarning) for w in caught)
        run["latent_mean"] = round(result.latent_mean, 4)
        run["latent_sd"] = round(result.latent_sd, 4)
        for item in group:
            j = cols[item.pk]
            a, b, c = float(result.a[j]), float(result.b[j]), float(result.c[j])
            if result.flags[j] not in ESTIMATED or not all(map(math.isfinite, (a, b, c))):
                continue
            estimates[item.pk] = _Estimate(
                a=round(a, 4),
                b=round(b, 4),
                c=round(c, 3),
                se_a=_finite(result.se_a[j]),
                se_b=_finite(result.se_b[j]),
            )
    return estimates


def recalibrate(version_id: int, *, min_n: int | None = None, actor: Any = None) -> dict[str, Any]:
    """Refresh the statistics of ``version_id``'s items and calibrate its free items.

    Returns a JSON-able report. Everything is written in one transaction; fixed items
    (operational and already calibrated) only get new statistics, never new parameters.
    """
    threshold = default_min_n() if min_n is None else int(min_n)
    version = FrameworkVersion.objects.get(pk=version_id)
    with transaction.atomic():
        items = list(
            Item.objects.select_for_update(of=("self",))
            .filter(competence__version=version)
            .exclude(status=ItemStatus.DRAFT)
            .select_related("competence")
            .order_by("code")
        )
        area_by_item = {item.pk: area_of(item.competence.code) for item in items}
        data = load_responses(version, area_by_item)
        stats = item_statistics(version, data, [item.pk for item in items])
        for item in items:
            s = stats[item.pk]
            item.n_responses = s.n
            item.p_value = None if s.p_value is None else round(s.p_value, 4)
            item.discrimination = None if s.discrimination is None else round(s.discrimination, 4)
            item.exposure = None if s.exposure is None else round(s.exposure, 4)
            item.flags = list(s.flags)
        Item.objects.bulk_update(
            items, ["n_responses", "p_value", "discrimination", "exposure", "flags"]
        )

        report: dict[str, Any] = {"version": version.pk, "min_n": threshold, "areas": {}}
        by_area: dict[str, tuple[list[Item], list[Item]]] = defaultdict(lambda: ([], []))
        too_few: list[str] = []
        excluded: list[str] = []
        for item in items:
            if item.status == ItemStatus.RETIRED:
                continue
            fixed, free = by_area[area_by_item[item.pk]]
            if (
                item.status == ItemStatus.OPERATIONAL
                and item.parameter_source == ParameterSource.CALIBRATED
            ):
                fixed.append(item)
            elif NEGATIVE_DISCRIMINATION in item.flags:
                # The abler learners fail it more often: a wrong key or a misleading
                # question. No positive discrimination fits it; an author must look.
                excluded.append(item.code)
            elif item.n_responses >= threshold:
                free.append(item)
            else:
                too_few.append(item.code)
        report["too_few_responses"] = too_few
        report["excluded"] = excluded
        now = timezone.now()
        changed: list[Item] = []
        for area, (fixed, free) in sorted(by_area.items()):
            if not free:
                continue
            area_report: dict[str, Any] = {}
            report["areas"][area] = area_report
            found = _calibrate_area(data, fixed, free, area_report)
            for item in free:
                estimate = found.get(item.pk)
                if estimate is None:
                    continue
                item.a, item.b, item.c = estimate.a, estimate.b, estimate.c
                item.se_a, item.se_b = estimate.se_a, estimate.se_b
                item.parameter_source = ParameterSource.CALIBRATED
                item.calibrated_at = now
                changed.append(item)
        Item.objects.bulk_update(
            changed, ["a", "b", "c", "se_a", "se_b", "parameter_source", "calibrated_at"]
        )
        report["calibrated"] = [item.code for item in changed]
        bank.bump_revision(version.pk)  # bulk_update sends no signal
        report["items"] = len(items)
        report["responses"] = data.size
        audit.record(
            "bank.recalibrate",
            actor=actor,
            obj=version,
            data={
                "items": len(items),
                "responses": data.size,
                "min_n": threshold,
                "calibrated": report["calibrated"],
            },
        )
    return report
