"""The base of every ModelAdmin: each add, change, deletion and action goes into the
hash-chained audit log, and no list filter may look into a secret.

Django's own admin log (``LogEntry``) is a plain table any superuser can edit; the audit
chain is the record that counts. :func:`audit_every_admin` gives the same behaviour to an
admin registered without this base, so a new app cannot forget it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from hocvu.audit import services as audit

# Field names no admin lookup may touch: a filter such as ``password__startswith=`` is an
# oracle that reveals a hash (or a blind index, a token hash, a key) one character a request.
SENSITIVE_FIELDS = frozenset(
    {
        "password",
        "national_id",
        "national_id_index",
        "token_hash",
        "code_hash",
        "private_key",
        "private_key_encrypted",
        "secret",
        "session_key",
        "session_data",
    }
)
_MAX_IDS = 500  # an action over a whole table lists the first ids and the count


def _unit_path(obj: Any) -> str:
    """The unit an object belongs to, so that scoped administrators see its events."""
    unit = getattr(obj, "unit", None)
    path = getattr(unit, "path", None) if unit is not None else getattr(obj, "path", None)
    return path if isinstance(path, str) else ""


def _plain(message: Any) -> Any:
    """Django's change message (field names, never values) as JSON data."""
    if isinstance(message, str):
        try:
            return json.loads(message) if message.startswith("[") else message
        except ValueError:
            return message
    return json.loads(json.dumps(message, default=str))


def is_sensitive_lookup(lookup: str) -> bool:
    return any(part in SENSITIVE_FIELDS for part in lookup.split("__"))


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every write through the admin is audited; lookups on secrets are refused (400)."""

    def audit(self, request: HttpRequest, action: str, obj: Model, **data: Any) -> None:
        audit.record(
            f"admin.{action}",
            actor=request.user,
            obj=obj,
            unit_path=_unit_path(obj),
            data=data,
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        self.audit(request, "add", obj, changes=_plain(message))
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        self.audit(request, "change", obj, changes=_plain(message))
        return entry

    def log_deletions(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        objects = list(queryset)  # called before the deletion; evaluated (and cached) once
        entries = super().log_deletions(request, queryset)
        for obj in objects:
            self.audit(request, "delete", obj, repr=str(obj)[:200])
        return entries

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)
        return {
            name: (_audited_action(self.model, name, func), name, description)
            for name, (func, _name, description) in actions.items()
        }

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        if is_sensitive_lookup(lookup):
            return False
        return bool(super().lookup_allowed(lookup, value, request))

    def get_search_fields(self, request: HttpRequest) -> Any:
        fields = super().get_search_fields(request)
        return [f for f in fields if not is_sensitive_lookup(f.lstrip("^=@"))]


def _audited_action(model: type[Model], name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(func, "_hocvu_audited", False):
        return func

    @wraps(func)
    def run(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:_MAX_IDS]]
        count = queryset.count()
        result = func(modeladmin, request, queryset)
        audit.record(
            "admin.action",
            actor=request.user,
            object_type=model._meta.label_lower,
            data={"action": name, "ids": ids, "count": count},
        )
        return result

    run._hocvu_audited = True  # type: ignore[attr-defined]
    return run


def audit_every_admin(site: admin.AdminSite) -> None:
    """Give :class:`AuditedAdmin`'s behaviour to every admin of ``site`` that lacks it."""
    for model_admin in site._registry.values():
        cls = type(model_admin)
        if not isinstance(model_admin, AuditedAdmin):
            model_admin.__class__ = type(cls.__name__, (AuditedAdmin, cls), {})
