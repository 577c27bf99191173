"""Configuration of an adaptive test (stopping rules, prior, cuts) and its results."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hocvu.psychometrics.classification import DEFAULT_CUTS, validate_cuts

__all__ = ["AreaEstimate", "CATConfig", "CATResult", "CompetenceEstimate", "StopReason"]


@dataclass(frozen=True)
class CATConfig:
    """Stopping rules, prior and level cuts of an adaptive test.

    Parameters
    ----------
    max_length : int
        Hard maximum number of items (60 for the placement test).
    min_length : int
        No precision-based stop before this many items.
    se_target : float or None
        An area is measured precisely enough once its posterior SD is at most this;
        ``None`` disables the rule.
    level_confidence : float or None
        An area's level is decided once one level has posterior probability at least
        this (see :mod:`hocvu.psychometrics.classification`); ``None`` disables the rule.
        With both rules disabled the test has fixed length ``max_length``.
    cuts : tuple of float
        Cut scores between the levels.
    prior_mean, prior_sd : float
        Normal prior of every area's ability.
    competence_boost : float
        Priority bonus of competences below their blueprint minimum.
    competence_sd : float
        Assumed SD of a competence's ability around its area's ability, used only to
        report competence levels.
    exposure_cap : float
        Hard ceiling on the share of sessions that may show any one item, enforced from
        the observed exposure counts passed to :meth:`AdaptiveSession.start`: an item is
        not administered if giving it would lift its share above the cap.
    exposure_burn_in : int
        The ceiling applies once at least this many sessions were counted (before that,
        Sympson-Hetter eligibility alone controls exposure).

    The test stops when (a) ``max_length`` items were given, or (b) at least
    ``min_length`` items were given, the blueprint minimums are met, and every area
    reached its SE target or has a decided level (or can take no more items), or (c) no
    eligible item is left.
    """

    max_length: int = 60
    min_length: int = 6
    se_target: float | None = 0.3
    level_confidence: float | None = 0.9
    cuts: tuple[float, ...] = DEFAULT_CUTS
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    competence_boost: float = 1.0
    competence_sd: float = 0.5
    exposure_cap: float = 0.25
    exposure_burn_in: int = 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "cuts", validate_cuts(self.cuts))
        if not (isinstance(self.max_length, int) and self.max_length >= 1):
            raise ValueError("max_length must be a positive integer")
        if not (isinstance(self.min_length, int) and 0 <= self.min_length <= self.max_length):
            raise ValueError("min_length must be an integer in [0, max_length]")
        if self.se_target is not None and not (
            math.isfinite(self.se_target) and self.se_target > 0
        ):
            raise ValueError("se_target must be positive")
        if self.level_confidence is not None and not 0.5 < self.level_confidence < 1.0:
            raise ValueError("level_confidence must be in (0.5, 1)")
        if not (math.isfinite(self.prior_mean) and math.isfinite(self.prior_sd)):
            raise ValueError("prior must be finite")
        if self.prior_sd <= 0 or self.competence_sd <= 0:
            raise ValueError("prior_sd and competence_sd must be positive")
        if not (math.isfinite(self.competence_boost) and self.competence_boost >= 0):
            raise ValueError("competence_boost must be >= 0")
        if not 0 < self.exposure_cap <= 1:
            raise ValueError("exposure_cap must be in (0, 1]")
        if not (isinstance(self.exposure_burn_in, int) and self.exposure_burn_in >= 0):
            raise ValueError("exposure_burn_in must be a non-negative integer")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "max_length": self.max_length,
            "min_length": self.min_length,
            "se_target": self.se_target,
            "level_confidence": self.level_confidence,
            "cuts": list(self.cuts),
            "prior_mean": self.prior_mean,
            "prior_sd": self.prior_sd,
            "competence_boost": self.competence_boost,
            "competence_sd": self.competence_sd,
            "exposure_cap": self.exposure_cap,
            "exposure_burn_in": self.exposure_burn_in,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CATConfig:
        """Inverse of :meth:`to_dict`."""
        try:
            kwargs = dict(data)
            if "cuts" in kwargs:
                kwargs["cuts"] = tuple(float(x) for x in kwargs["cuts"])
            return cls(**kwargs)
        except TypeError as exc:
            raise ValueError(f"invalid CAT configuration: {exc}") from exc


class StopReason(enum.StrEnum):
    """Why an adaptive test ended."""

    MAX_LENGTH = "max_length"
    """The maximum number of items was reached."""
    SE_TARGET = "se_target"
    """Every area reached the standard-error target."""
    LEVEL_DECIDED = "level_decided"
    """Every area's level was decided with the stated confidence."""
    PRECISION = "precision"
    """Every area reached the SE target or a decided level (some one, some the other)."""
    LIMITS = "limits"
    """The remaining areas can take no more items (blueprint maximum or no items left)."""
    BANK_EXHAUSTED = "bank_exhausted"
    """No administrable item is left."""


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaEstimate:
    """Ability estimate of one area."""

    index: int
    code: str
    theta: float
    se: float
    n_items: int
    level: int
    level_probability: float
    level_decided: bool
    level_probabilities: tuple[float, ...]


@dataclass(frozen=True)
class CompetenceEstimate:
    """Level of one competence.

    ``source`` is ``"items"`` when items of the competence were answered (the estimate
    combines them with the rest of the area, see :meth:`AdaptiveSession.result`) and
    ``"area"`` when the level is inherited from the area.
    """

    index: int
    code: str
    area_code: str
    n_items: int
    theta: float
    se: float
    level: int
    level_probability: float
    source: str


@dataclass(frozen=True)
class CATResult:
    """Outcome of an adaptive session (possibly still running)."""

    areas: tuple[AreaEstimate, ...]
    competences: tuple[CompetenceEstimate, ...]
    n_items: int
    finished: bool
    stop_reason: str | None
    item_ids: tuple[str, ...]
    responses: tuple[int, ...]
    exposure_relaxed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "areas": [
                vars(x) | {"level_probabilities": list(x.level_probabilities)} for x in self.areas
            ],
            "competences": [vars(x).copy() for x in self.competences],
            "n_items": self.n_items,
            "finished": self.finished,
            "stop_reason": self.stop_reason,
            "item_ids": list(self.item_ids),
            "responses": list(self.responses),
            "exposure_relaxed": self.exposure_relaxed,
        }
