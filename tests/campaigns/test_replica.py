"""The read replica: dashboards, reports and exports read from it, writes and the learner's
pages never touch it.

On one machine the replica is a second database alias pointing at the same database, set
up the way ``HOCVU_REPLICA_DATABASE_URL`` sets it up (``settings.replica_database``: Django's
test mirror of ``default``) and opened read-only, so a write sent through it would fail.
The alias exists only while this module runs: the other tests run with one database, as
a deployment without a replica does. The tests are transactional because a mirror is a
second connection: it sees committed rows only, as a real replica does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hocvu.campaigns.models import UnitDay
from hocvu.organizations.models import Unit
from hocvu.replicas import REPLICA, reading_from_replica, replica_reads, replica_scope
from hocvu.settings import replica_database
from tests.campaigns.test_dashboard import add_people, campaign_over
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)
#: The figures and the lists of people the manager's pages show: read from the replica.
FIGURES = re.compile(r'FROM "(campaigns_\w+|identity_user)"')
TABLES = re.compile(r'(?:FROM|JOIN|INTO|UPDATE) "(\w+)"')
#: What such a page still reads from the primary, before its view: the signed-in user, their
#: second factor and their roles (who may see the page is decided on fresh rows); and what
#: an export writes there: its audit event, after reading the chain's last link.
PRIMARY_TABLES = {
    "identity_user",
    "otp_totp_totpdevice",
    "otp_static_staticdevice",
    "identity_roleassignment",
    "organizations_unit",  # joined for the paths of the roles' units
    "audit_auditevent",
}


@pytest.fixture(scope="module", autouse=True)
def replica(django_db_setup: None) -> Iterator[None]:
    """The ``replica`` alias and its router, as the settings make them, for this module."""
    conf = replica_database(os.environ.get("DATABASE_URL", "sqlite://"))
    options: dict[str, Any] = dict(conf.get("OPTIONS") or {})  # type: ignore[call-overload]
    if conf["ENGINE"] == "django.db.backends.postgresql":
        options["options"] = "-c default_transaction_read_only=on"
    else:
        options["init_command"] = options.get("init_command", "") + "PRAGMA query_only=ON;"
    conf["OPTIONS"] = options
    previous = connections.settings.get(REPLICA)  # a run with HOCVU_REPLICA_DATABASE_URL set
    connections.settings[REPLICA] = connections.configure_settings({"default": {}, REPLICA: conf})[
        REPLICA
    ]
    # What the test runner does for a TEST MIRROR: the same (test) database as ``default``.
    connections[REPLICA].creation.set_as_test_mirror(connections[DEFAULT_DB_ALIAS].settings_dict)
    routed = override_settings(DATABASE_ROUTERS=["hocvu.replicas.ReplicaRouter"])
    routed.enable()
    try:
        yield
    finally:
        routed.disable()
        connections[REPLICA].close()
        del connections[REPLICA]
        if previous is None:
            del connections.settings[REPLICA]
        else:
            connections.settings[REPLICA] = previous


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queries(path: str, client: Client, method: str = "get", **data: Any) -> dict[str, Any]:
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = getattr(client, method)(path, data)
    return {
        "response": response,
        "primary": [q["sql"] for q in primary.captured_queries],
        "replica": [q["sql"] for q in replica.captured_queries],
    }


def test_the_settings_add_the_replica_and_its_router_only_when_configured() -> None:
    probe = (
        "import json; from hocvu import settings as s; print(json.dumps({'aliases': "
        "sorted(s.DATABASES), 'mirror': s.DATABASES.get('replica', {}).get('TEST'), "
        "'routers': getattr(s, 'DATABASE_ROUTERS', [])}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "HOCVU_REPLICA_DATABASE_URL"}
    plain = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, check=True
    )
    assert json.loads(plain.stdout) == {"aliases": ["default"], "mirror": None, "routers": []}
    env["HOCVU_REPLICA_DATABASE_URL"] = "postgres://reader:secret@replica.internal:5432/hocvu"
    configured = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, check=True
    )
    assert json.loads(configured.stdout) == {
        "aliases": ["default", "replica"],
        "mirror": {"MIRROR": "default"},
        "routers": ["hocvu.replicas.ReplicaRouter"],
    }


def test_dashboards_reports_and_exports_read_from_the_replica(world: World) -> None:
    campaign = campaign_over(world, world.province_p)
    add_people(world.commune_a, 6, "a")
    manager = client_for(world.province_manager)
    unit = world.province_p.pk
    pages = [
        reverse("manage") + "?all=1",
        reverse("manage-unit", args=[unit]) + f"?campaign={campaign.pk}",
        reverse("manage-people", args=[unit]) + "?status=not_certified&q=pham",
        reverse("manage-report-xlsx", args=[unit]),
        reverse("manage-report-pdf", args=[unit]),
        reverse("manage-quality", args=[unit]),
        reverse("manage-quality-people", args=[unit]) + "?issue=no_national_id",
    ]
    for page in pages:
        seen = queries(page, manager)
        assert seen["response"].status_code == 200, page
        assert seen["replica"], page
        assert not [q for q in seen["replica"] if WRITES.match(q)], page
        assert any(FIGURES.search(q) for q in seen["replica"]), page
        primary = {t for q in seen["primary"] for t in TABLES.findall(q)}
        assert primary <= PRIMARY_TABLES, (page, primary)
    # The exports were audited, on the primary, with the chain's last link read there
    # (inside the write's transaction): the chain still verifies.
    from hocvu.audit.models import AuditEvent
    from hocvu.audit.services import verify_chain

    exports = AuditEvent.objects.filter(actor=world.province_manager, action__contains="export")
    assert exports.count() == 2
    assert verify_chain() is None


def test_the_learners_pages_use_the_primary_only(world: World) -> None:
    learner = client_for(world.learner)
    lesson = world.lesson.pk
    steps = [
        ("get", reverse("learn")),
        ("get", reverse("path")),
        ("get", reverse("lesson", args=[lesson])),
        ("post", reverse("lesson-done", args=[lesson])),
        ("get", reverse("path")),
        ("get", reverse("proficiency")),
        ("get", reverse("practice", args=[world.attempt.pk])),
    ]
    for method, page in steps:
        seen = queries(page, learner, method)
        assert seen["response"].status_code in {200, 302}, page
        assert seen["primary"], page
        assert seen["replica"] == [], page


def test_a_manager_writing_is_served_by_the_primary(world: World) -> None:
    """A POST to a report view reads nothing from the replica (the decorator lets only
    safe methods through), and so does a campaign page read right after its creation."""
    request = RequestFactory()
    seen: list[bool] = []

    @replica_reads
    def view(request: Any) -> None:
        seen.append(reading_from_replica())

    view(request.get("/"))
    view(request.head("/"))
    view(request.post("/"))
    assert seen == [True, True, False]
    campaign = campaign_over(world, world.province_p)
    detail = queries(reverse("campaign", args=[campaign.pk]), client_for(world.province_manager))
    assert detail["response"].status_code == 302
    assert detail["replica"] == []


def test_the_router_sends_writes_and_reads_in_a_transaction_to_the_primary(world: World) -> None:
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        with replica_scope():
            unit = Unit.objects.get(pk=world.commune_a.pk)
            assert unit._state.db == REPLICA
            assert unit.parent is not None and unit.parent._state.db == REPLICA
            # A write, even of an object read from the replica, goes to the primary.
            unit.name_en = "Commune A"
            unit.save(update_fields=["name_en"])
            with transaction.atomic():
                # Read-modify-write inside a transaction: the primary's rows.
                locked = Unit.objects.get(pk=unit.pk)
                assert locked._state.db == DEFAULT_DB_ALIAS
                UnitDay.objects.filter(unit=locked).count()
        # Outside the scope an object read from the replica no longer pulls reads there.
        province = unit.parent  # read from the replica (the unit itself was saved since)
        assert province._state.db == REPLICA
        province.refresh_from_db()
        assert province._state.db == DEFAULT_DB_ALIAS
        assert province.children.filter(name_en="Commune A").count() == 1
        # A relation between objects read from the two aliases is allowed.
        fresh = Unit.objects.get(pk=world.commune_b.pk)
        with replica_scope():
            fresh.parent = Unit.objects.get(pk=world.province_p.pk)
    assert not [q for q in replica.captured_queries if WRITES.match(q["sql"])]
    assert len(replica.captured_queries) == 3  # the unit, its parent, the province
    assert any(WRITES.match(q["sql"]) for q in primary.captured_queries)
    assert any('"campaigns_unitday"' in q["sql"] for q in primary.captured_queries)


def test_a_write_sent_through_the_replica_fails(world: World) -> None:
    """The alias is opened read-only here, as a standby is: a routing mistake is an error,
    not a silent write."""
    from django.db import DatabaseError

    with pytest.raises(DatabaseError):
        Unit.objects.using(REPLICA).filter(pk=world.commune_a.pk).update(name_en="x")
    assert Unit.objects.get(pk=world.commune_a.pk).name_en != "x"
