"""``manage.py verify_audit``: silent success on an intact chain, exit 1 on a broken one."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from hocvu.audit.models import AuditEvent
from hocvu.audit.services import record


@pytest.mark.django_db
def test_it_reports_an_intact_chain() -> None:
    for i in range(4):
        record("test.event", object_type="thing", object_id=str(i))
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "4 events verified" in out.getvalue()


@pytest.mark.django_db
def test_it_fails_on_a_forged_event() -> None:
    first = record("test.event", object_type="thing", object_id="1")
    # A forger with database access appends an event claiming the right predecessor but
    # with a hash that does not cover its content.
    AuditEvent.objects.create(
        at=first.at,
        action="admin.change",
        object_type="identity.user",
        object_id="1",
        data={"changes": "made myself superuser"},
        stream=first.stream,
        prev_hash=first.hash,
        hash="f" * 64,
    )
    with pytest.raises(CommandError, match="broken") as failure:
        call_command("verify_audit", stdout=io.StringIO())
    assert failure.value.returncode == 1  # manage.py's exit status
