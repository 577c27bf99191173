"""The flags recalibration puts on an item for its authors to look at.

Recalibration (``hocvu.assessment.calibration``) sets them from learners' answers; the
authoring admin shows them, filters by them and refuses to make an item with negative
discrimination operational.
"""

from django.utils.translation import gettext_lazy as _

TOO_EASY = "too_easy"
TOO_HARD = "too_hard"
NEGATIVE_DISCRIMINATION = "negative_discrimination"
LOW = "low_discrimination"
FEW = "few_responses"

FLAG_LABELS = {
    TOO_EASY: _("too easy (p > .95)"),
    TOO_HARD: _("too hard (p < .05)"),
    NEGATIVE_DISCRIMINATION: _("negative discrimination"),
    LOW: _("low discrimination (< .15)"),
    FEW: _("few responses (n < 50)"),
}
