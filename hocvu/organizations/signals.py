"""Signals for writes to the unit tree that bypass ``post_save``.

``unit_moved`` is sent by ``services.move_unit`` with ``unit_id`` and ``old_path`` after
the subtree's paths were rewritten in one UPDATE, inside the same transaction, so a
receiver's own writes commit or roll back with the move.
"""

from __future__ import annotations

from django.dispatch import Signal

unit_moved = Signal()
