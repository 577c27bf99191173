"""Psychometrics for hocvu: IRT models, calibration, ability estimation, adaptive testing.

This package never imports Django (an import contract in pyproject.toml enforces it):
arrays in, arrays and frozen dataclasses out. The stable public API is re-exported here;
see docs/psychometrics.md and docs/adaptive-testing.md.
"""

from hocvu.psychometrics import grm, irt, simulate
from hocvu.psychometrics.calibration import (
    ConvergenceWarning,
    DegenerateItemWarning,
    ItemCalibrator,
    ItemParameters,
    Priors,
    calibrate,
)
from hocvu.psychometrics.cat import (
    AdaptiveSession,
    AreaEstimate,
    Blueprint,
    CATConfig,
    CATResult,
    CompetenceEstimate,
    ItemBank,
    StopReason,
    calibrate_exposure,
    simulate_session,
)
from hocvu.psychometrics.classification import (
    DEFAULT_CUTS,
    LEVEL_CUTS,
    LEVEL_NAMES_EN,
    LEVEL_NAMES_VI,
    ClassificationReport,
    decide_level,
    level_of,
    level_probabilities,
    level_weights,
    simulate_classification,
    sprt_decide,
)
from hocvu.psychometrics.estimation import (
    AbilityEstimate,
    AbilityEstimates,
    estimate_abilities,
    estimate_ability,
)
from hocvu.psychometrics.mastery import (
    MasteryState,
    decay,
    initial_state,
    mastery_probability,
)
from hocvu.psychometrics.mastery import update as update_mastery
from hocvu.psychometrics.review import ReviewCard, ReviewScheduler, card_id_for, due, rating_for

__all__ = [
    "DEFAULT_CUTS",
    "LEVEL_CUTS",
    "LEVEL_NAMES_EN",
    "LEVEL_NAMES_VI",
    "AbilityEstimate",
    "AbilityEstimates",
    "AdaptiveSession",
    "AreaEstimate",
    "Blueprint",
    "CATConfig",
    "CATResult",
    "ClassificationReport",
    "CompetenceEstimate",
    "ConvergenceWarning",
    "DegenerateItemWarning",
    "ItemBank",
    "ItemCalibrator",
    "ItemParameters",
    "MasteryState",
    "Priors",
    "ReviewCard",
    "ReviewScheduler",
    "StopReason",
    "calibrate",
    "calibrate_exposure",
    "card_id_for",
    "decay",
    "decide_level",
    "due",
    "estimate_abilities",
    "estimate_ability",
    "grm",
    "initial_state",
    "irt",
    "level_of",
    "level_probabilities",
    "level_weights",
    "mastery_probability",
    "rating_for",
    "simulate",
    "simulate_classification",
    "simulate_session",
    "sprt_decide",
    "update_mastery",
]
