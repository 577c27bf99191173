"""Consent, a person's own data (export) and requests about it, with their deadlines."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from hocvu.audit import services as audit
from hocvu.identity import access
from hocvu.privacy.models import OPEN_STATUSES, Consent, DataRequest, RequestKind

#: The version of the privacy notice (privacy/notice.html). Change it whenever the notice
#: changes in substance: everyone is asked to agree again at their next page.
NOTICE_VERSION = "2026-01"

#: Never exported: secrets and machinery (login devices, lockout counters, sessions, the
#: audit log, which names other people's records), and fields that are keys or hashes.
SKIPPED_APPS = frozenset({"otp_totp", "otp_static", "axes", "sessions", "audit", "admin"})
SKIPPED_FIELDS = frozenset(
    {"password", "national_id_index", "token_hash", "code_hash", "secret", "key", "jwt"}
)


def has_current_consent(user: Any) -> bool:
    return Consent.objects.filter(
        person=user, notice_version=NOTICE_VERSION, withdrawn_at__isnull=True
    ).exists()


def record_consent(user: Any) -> Consent:
    consent = Consent.objects.create(person=user, notice_version=NOTICE_VERSION)
    audit.record(
        "privacy.consent", actor=user, obj=consent, data={"notice_version": NOTICE_VERSION}
    )
    return consent


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Monday to Friday). Public holidays are counted as
    working days, which only makes the deadline earlier (the safe side)."""
    moment = timezone.localtime(start)
    added = 0
    while added < days:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            added += 1
    return moment


def open_request(user: Any, kind: str, details: str) -> DataRequest:
    now = timezone.now()
    request = DataRequest.objects.create(
        person=user,
        kind=kind,
        details=details,
        received_at=now,
        answer_by=add_working_days(now, settings.HOCVU_PRIVACY_ANSWER_WORKING_DAYS),
        complete_by=now + timedelta(days=settings.HOCVU_PRIVACY_COMPLETE_DAYS),
    )
    audit.record(
        "privacy.request",
        actor=user,
        obj=request,
        unit_path=getattr(user.unit, "path", "") if user.unit_id else "",
        data={"kind": kind},
    )
    if kind == RequestKind.WITHDRAWAL:
        Consent.objects.filter(person=user, withdrawn_at__isnull=True).update(withdrawn_at=now)
    return request


def requests_for(user: Any) -> QuerySet[DataRequest]:
    """The requests an administrator may handle: those of the people in their subtree
    (national administrators: everyone's)."""
    queryset = DataRequest.objects.select_related("person", "person__unit")
    if access.is_national(user):
        return queryset
    return access.within_scope(
        user, queryset, "platform.administer", path_field="person__unit__path"
    )


def handle(request: DataRequest, *, status: str, response: str, actor: Any) -> DataRequest:
    now = timezone.now()
    if request.answered_at is None:
        request.answered_at = now
    request.status = status
    request.response = response
    request.handled_by = actor
    if status not in OPEN_STATUSES:
        request.closed_at = now
    request.save()
    audit.record(
        "privacy.request_handled",
        actor=actor,
        obj=request,
        unit_path=getattr(request.person.unit, "path", "") if request.person.unit_id else "",
        data={"status": status, "kind": request.kind},
    )
    return request


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict | list | str | int | float | bool) or value is None:
        return value
    return str(value)


def _row(obj: models.Model) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in SKIPPED_FIELDS or field.name.endswith(("_hash", "_encrypted")):
            continue
        if isinstance(field, models.ForeignKey):
            related = getattr(obj, field.name)
            row[field.name] = None if related is None else str(related)
            continue
        label = getattr(obj, f"get_{field.name}_display", None)
        value = getattr(obj, field.attname)
        row[field.name] = label() if field.choices and callable(label) else _plain(value)
    return row


def export(user: Any) -> dict[str, Any]:
    """Everything the platform holds about ``user`` that names them: their record and every
    row of every model pointing at them (learning, tests, certificates, requests, …)."""
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "notice_version": NOTICE_VERSION,
        "person": _row(user),
    }
    data["person"]["national_id"] = user.national_id or ""
    sections: dict[str, dict[str, Any]] = {}
    for model in apps.get_models():
        if model._meta.app_label in SKIPPED_APPS:
            continue
        for field in model._meta.concrete_fields:
            remote = getattr(field, "related_model", None)
            if not isinstance(field, models.ForeignKey) or remote is not get_user_model():
                continue
            if field.name == "handled_by":
                continue  # requests someone else handled: that person's, not the handler's
            rows = [_row(obj) for obj in model._default_manager.filter(**{field.name: user})]
            if rows:
                key = f"{model._meta.label_lower}.{field.name}"
                title = str(model._meta.verbose_name_plural)
                sections[key] = {"title": title, "rows": rows}
    data["records"] = dict(sorted(sections.items()))
    return data


def export_json(user: Any) -> str:
    return json.dumps(export(user), ensure_ascii=False, indent=1, sort_keys=False)
