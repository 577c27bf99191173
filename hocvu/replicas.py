"""Reads of the manager's dashboards, reports and exports from a PostgreSQL read replica.

With ``HOCVU_REPLICA_DATABASE_URL`` set, ``settings`` adds the database alias ``replica``
and installs ``ReplicaRouter``. A replica lags its primary by up to a few seconds, so
nothing is routed by model: only a view wrapped in ``replica_reads`` reads from it, and
within that view only outside a transaction on the primary (a write's own reads, such as
the audit chain's last link, stay on the primary). Every write, and every read anywhere
else (a learner's answer and the next page that shows it), goes to ``default``.
Without the setting the router is not installed and the decorator changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
#: Only requests that cannot write read from the replica.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_reading: ContextVar[bool] = ContextVar("hocvu_replica_reads", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def replica_scope() -> Iterator[None]:
    """Reads inside this block may go to the replica (when one is configured)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def replica_reads(view: Callable[P, R]) -> Callable[P, R]:
    """Let a read-only report or dashboard view read from the replica. Put it below the
    decorators that check who may see the page: the signed-in user is then read from the
    primary, and a GET-only view stays safe if it is later given a form (other methods are
    served from the primary)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        request: Any = args[0]
        if getattr(request, "method", None) not in SAFE_METHODS:
            return view(*args, **kwargs)
        with replica_scope():
            return view(*args, **kwargs)

    return wrapped


def reading_from_replica() -> bool:
    """True where a read would go to the replica if one were configured."""
    return _reading.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block


class ReplicaRouter:
    """``default`` for every write and every read outside ``replica_reads``.

    Outside the scope it names ``default`` outright, rather than deferring: Django would
    otherwise follow an object loaded from the replica back to the replica (its
    ``_state.db``), for a later read and even for a save.
    """

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        return REPLICA if reading_from_replica() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from one may refer to an
        # object read from the other.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica gets its schema by replication; ``migrate --database replica`` is a no-op.
        return False if db == REPLICA else None
