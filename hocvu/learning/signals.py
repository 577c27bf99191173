"""Signals for writes to proficiencies that bypass ``post_save``.

``proficiencies_changed`` is sent with ``learner_id`` once after a placement stored all of a
learner's estimates in one statement, inside the writing transaction (a receiver's writes
commit or roll back with the estimates).
"""

from __future__ import annotations

from django.dispatch import Signal

proficiencies_changed = Signal()
