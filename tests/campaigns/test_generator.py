"""The population generator: a plausible history, and aggregates equal to a rebuild."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from hocvu.campaigns.models import PersonStatus, UnitDay
from hocvu.campaigns.rebuild import (
    rebuild_unit_days,
    rebuild_unit_days_fast,
    snapshot,
    statuses_as_changes,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 1)


@pytest.fixture
def population(settings: Any) -> Any:
    from hocvu.campaigns.generator import generate

    return generate(people=3000, seed=5, communes=68, today=TODAY)


def test_it_spreads_people_over_the_national_tree_with_s_curves(population: Any) -> None:
    from hocvu.identity.models import User
    from hocvu.organizations.models import Unit, UnitKind

    assert population.people == 3000
    assert User.objects.filter(username__startswith="dan5-").count() == 3000
    assert not any(u.has_usable_password() for u in User.objects.all()[:50])
    assert Unit.objects.filter(kind=UnitKind.COMMUNE_COUNCIL).count() == 68
    statuses = PersonStatus.objects.filter(counted=True)
    assert statuses.count() == 3000
    roles = set(statuses.values_list("job_role", flat=True))
    assert roles == {"na_deputy", "na_official", "provincial_council", "commune_council"}
    # Each step is reached later, and by fewer people, than the one before.
    steps = ["activated_on", "placed_on", "learning_on", "at_target_on", "certified_on"]
    counts = [statuses.filter(**{f"{s}__isnull": False}).count() for s in steps]
    assert counts == sorted(counts, reverse=True) and counts[-1] > 0
    for person in statuses[:300]:
        reached = [getattr(person, s) for s in steps if getattr(person, s) is not None]
        assert reached == sorted(reached)
        assert all(date(2025, 9, 1) <= d <= TODAY for d in reached)
    # The National Assembly is ahead of the communes.
    na = statuses.filter(job_role__startswith="na_")
    communes = statuses.filter(job_role="commune_council")

    def share(rows: Any) -> float:
        return float(rows.filter(certified_on__isnull=False).count() / rows.count())

    assert share(na) > share(communes)
    # Vietnamese names, searchable without diacritics.
    first = statuses.first()
    assert first is not None and first.name_folded.isascii()


def test_its_aggregates_equal_a_rebuild_from_the_statuses(population: Any) -> None:
    from hocvu.organizations.models import Unit

    generated = snapshot()
    assert len(generated) == population.unit_days > 0
    root = Unit.objects.get(code="VN")
    last = UnitDay.objects.filter(unit=root).order_by("-day").first()
    assert last is not None and last.people == 3000
    rebuild_unit_days(statuses_as_changes())  # the plain-Python stage 2
    assert snapshot_values(snapshot()) == snapshot_values(generated)
    rebuild_unit_days_fast()
    assert snapshot_values(snapshot()) == snapshot_values(generated)
    call_command("rebuild_progress", "--aggregates-only", verbosity=0)
    assert snapshot_values(snapshot()) == snapshot_values(generated)


def snapshot_values(rows: dict[Any, Any]) -> list[Any]:
    return sorted(rows.items())


def test_the_national_dashboard_shows_the_generated_campaign(population: Any) -> None:
    from hocvu.campaigns.generator import ensure_campaigns
    from hocvu.identity.models import Role
    from hocvu.identity.services import assign_role, create_person
    from hocvu.organizations.models import Unit

    root = Unit.objects.get(code="VN")
    admin = create_person(username="qt", full_name="Quản Trị", unit=root, password="x-x-x-x-9")
    assign_role(admin, Role.ADMINISTRATOR, root)
    # Without a curriculum there is no program: nothing is created, nothing fails.
    assert ensure_campaigns() == []
    client = Client()
    client.force_login(admin)
    assembly = Unit.objects.get(code="QH")
    response = client.get(reverse("manage-unit", args=[assembly.pk]))
    assert response.status_code == 200
    assert "<svg" in response.content.decode()


def test_the_same_seed_twice_is_refused(population: Any) -> None:
    with pytest.raises(CommandError):
        call_command("generate_population", "--people", "10", "--seed", "5", verbosity=0)
    with pytest.raises(CommandError):
        call_command("generate_population", "--people", "0", verbosity=0)
