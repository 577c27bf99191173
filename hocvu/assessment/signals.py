"""What an answer means for the learner, announced to the apps that keep the learner model.

Assessment owns attempts and responses; the learner's proficiency, mastery and review cards
belong to ``hocvu.learning``, which sits above it and connects its receivers in
``LearningConfig.ready``. The signals are sent inside ``record_answer``'s transaction, so a
receiver's write commits or rolls back with the answer itself.
"""

from django.dispatch import Signal

#: A placement test ended. Keyword arguments: ``learner``, ``version`` (the framework
#: version), ``result`` (the engine's result: a ``TargetResult`` for a placement against
#: the role's targets, a ``CATResult`` for the five-band placement).
placement_finished = Signal()

#: A practice or review answer was scored (never sent during an exam: a review card's due
#: date would tell right from wrong). Keyword arguments: ``learner``, ``item``, ``points``.
practice_answered = Signal()

#: A module's mastery check ended. Keyword arguments: ``learner``, ``module``, ``level``
#: (the check's level), ``correct``, ``total``, ``answers`` (``(score, a, b, c)`` per
#: question, so the check can settle what placement left undecided). A receiver returns
#: True when the check passed (the learner tests out of the module).
mastery_check_finished = Signal()
