"""Computerized adaptive testing (CAT) for the placement test.

The placement test measures a learner on a framework of areas (six) and competences
(24, coded ``"1.1"`` ... ``"6.3"``) and places them at one of four levels. This package
holds the adaptive engine:

* :class:`ItemBank` -- frozen arrays of item parameters built once and shared by every
  session, with the item information and log-probability tables precomputed on a
  quadrature grid.
* :class:`Blueprint` -- content constraints: minimum and maximum item counts per area
  and per competence.
* :class:`CATConfig` -- stopping rules (standard-error target, level decided with a stated
  confidence, minimum and maximum length), prior and cut scores.
* :class:`AdaptiveSession` -- one learner's test: ``next_item()`` / ``answer()``, a JSON
  state (``to_json()`` / ``from_json()``) so that any web request can resume any session,
  and :meth:`AdaptiveSession.result` with per-area ability, standard error and level and
  a per-competence level.
* :func:`calibrate_exposure` -- Sympson-Hetter exposure-control parameters by simulation.

Measurement model
-----------------
Each area has its own unidimensional 3PL scale (logistic metric, see
:mod:`hocvu.psychometrics.irt`) with a standard-normal prior, and its own grid posterior
(61 points on ``[-4, 4]`` by default) updated after every answer by adding a precomputed
row of ``log P`` or ``log (1 - P)``. The estimate is the posterior mean (EAP; Bock &
Mislevy, 1982) and its standard error the posterior standard deviation. A per-competence
scale is not estimated adaptively: 24 scales would each need about ten informative items
to reach a standard error of 0.3, four times the 60-item limit. Competence levels are
reported from a shrinkage posterior (see :meth:`AdaptiveSession.result`).

Item selection
--------------
1. *Area*: areas at their blueprint maximum or without items left are closed. When the
   remaining length only just covers the unmet blueprint minimums, only areas with an
   unmet minimum are open. Among open areas, those with an unmet minimum come first, then
   those whose stopping target is not yet met, then the largest posterior standard
   deviation -- the area whose ability most needs information.
2. *Item*: within the area, maximum Fisher information at the area's EAP (Lord, 1980),
   linearly interpolated between the two nearest grid rows of the precomputed table,
   multiplied by a competence priority index in the spirit of Cheng & Chang (2009):
   0 for competences at their maximum, ``1 + competence_boost`` for competences below
   their minimum, 1 otherwise; when the area's remaining slots only just cover the
   competence minimums, only competences below their minimum are eligible.
3. *Exposure*: Sympson-Hetter exposure control (Sympson & Hetter, 1985) in its
   item-eligibility form (van der Linden & Veldkamp, 2004): at the start of a session item
   ``i`` is eligible with probability ``K_i`` (the bank's ``exposure_k``), drawn from the
   session seed. ``K`` is set by :func:`calibrate_exposure` so that no item is
   administered to more than ``r_max`` of the simulated learners. On top of it, the
   running exposure counts passed at start give a hard ceiling: an item whose
   administration would lift its share of sessions above ``exposure_cap`` is blocked for
   the session, which holds whatever the real learner population is. Items listed in
   ``exclude`` (previous attempts) and items already given are never administered. If an
   area has no eligible item left, Sympson-Hetter-ineligible (never excluded or blocked)
   items are used and the session counts the relaxation.

References
----------
Birnbaum, A. (1968). Some latent trait models and their use in inferring an examinee's
ability. In F. M. Lord & M. R. Novick, *Statistical Theories of Mental Test Scores*.

Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a
microcomputer environment. *Applied Psychological Measurement*, 6(4), 431-444.

Cheng, Y., & Chang, H.-H. (2009). The maximum priority index method for severely
constrained item selection in computerized adaptive testing. *British Journal of
Mathematical and Statistical Psychology*, 62(2), 369-383.

Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for computerized
adaptive tests. *Applied Measurement in Education*, 2(4), 359-375.

Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*.
Erlbaum.

Sympson, J. B., & Hetter, R. D. (1985). Controlling item-exposure rates in computerized
adaptive testing. *Proceedings of the 27th Annual Meeting of the Military Testing
Association*, 973-977.

van der Linden, W. J., & Veldkamp, B. P. (2004). Constraining item exposure in
computerized adaptive testing with shadow tests. *Journal of Educational and Behavioral
Statistics*, 29(3), 273-291.

van der Linden, W. J., & Glas, C. A. W. (Eds.) (2010). *Elements of Adaptive Testing*.
Springer.
"""

from hocvu.psychometrics.cat.bank import ItemBank
from hocvu.psychometrics.cat.blueprint import Blueprint
from hocvu.psychometrics.cat.config import (
    AreaEstimate,
    CATConfig,
    CATResult,
    CompetenceEstimate,
    StopReason,
)
from hocvu.psychometrics.cat.session import AdaptiveSession
from hocvu.psychometrics.cat.simulation import calibrate_exposure, simulate_session

__all__ = [
    "AdaptiveSession",
    "AreaEstimate",
    "Blueprint",
    "CATConfig",
    "CATResult",
    "CompetenceEstimate",
    "ItemBank",
    "StopReason",
    "calibrate_exposure",
    "simulate_session",
]
