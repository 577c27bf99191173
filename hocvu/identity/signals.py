"""Signals for writes that bypass ``post_save`` (bulk creation and update of people).

``people_changed`` is sent with ``user_ids`` (a list of person ids) inside the writing
transaction, so a receiver's own writes commit or roll back with the people's.
"""

from __future__ import annotations

from django.dispatch import Signal

people_changed = Signal()
