"""The manager's pages under /manage/: figures, scope, links, search, campaign assignment.

Personas (tests/conftest.py): ``learner`` in commune A; ``manager_a`` manages commune A;
``manager_b`` manages commune B; ``province_manager`` manages province P (A and B);
``other_province_manager`` manages province Q; ``admin`` is national; ``outsider`` has no role.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hocvu.campaigns.models import Campaign, PersonStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # the login itself is tested with the login page
    return client


def campaign_over(world: World, unit: Any, **kw: Any) -> Campaign:
    from hocvu.campaigns.services import TargetSpec, create_campaign

    today = timezone.localdate()
    return create_campaign(
        actor=world.admin,
        program=world.module.program,
        unit=unit,
        title=kw.pop("title", "Chiến dịch thử"),
        starts_on=today - timedelta(days=60),
        deadline=today + timedelta(days=kw.pop("days_left", 120)),
        targets=[
            TargetSpec(by_date=today + timedelta(days=10), share=Decimal("0.4")),
            TargetSpec(by_date=today + timedelta(days=120), share=Decimal("1")),
        ],
        **kw,
    )


def add_people(unit: Any, n: int, prefix: str) -> None:
    """``n`` people in ``unit`` with a history, through the bulk path a roster import uses."""
    from hocvu.campaigns.progress import sync_people
    from hocvu.identity.models import User

    made = User.objects.bulk_create(
        User(username=f"{prefix}{i}", full_name=f"Phạm Văn {prefix}{i}", unit=unit, password="!")
        for i in range(n)
    )
    sync_people(u.pk for u in made)
    today = timezone.localdate()
    PersonStatus.objects.filter(pk__in=[u.pk for u in made[: n // 2]]).update(
        activated_on=today, certified_on=today
    )
    from hocvu.campaigns.rebuild import rebuild_unit_days_fast

    rebuild_unit_days_fast()


def test_a_manager_sees_the_figures_of_their_unit(world: World) -> None:
    campaign_over(world, world.province_p)
    response = client_for(world.manager_a).get(reverse("manage-unit", args=[world.commune_a.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "HĐND xã A" in body
    # learner and manager_a are the commune's people, both activated (they have passwords).
    people_link = reverse("manage-people", args=[world.commune_a.pk]) + "?status=people"
    assert f'<a href="{people_link}">2</a>' in body
    assert "<svg" in body and "<title" in body  # the trend chart, with its accessible title
    assert "40%" in body and "100%" in body  # the targets


def test_manage_home_sends_a_single_unit_manager_to_their_dashboard(world: World) -> None:
    response = client_for(world.manager_a).get(reverse("manage"))
    assert response.status_code == 302
    assert response["Location"] == reverse("manage-unit", args=[world.commune_a.pk])


def test_the_province_sees_its_communes_and_who_lags(world: World) -> None:
    campaign = campaign_over(world, world.province_p)
    add_people(world.commune_b, 10, "b")  # half certified: ahead of commune A
    response = client_for(world.province_manager).get(
        reverse("manage-unit", args=[world.province_p.pk]) + f"?campaign={campaign.pk}"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "HĐND xã A" in body and "HĐND xã B" in body
    lagging = body.split("<ol>")[1].split("</ol>")[0]
    assert "HĐND xã A" in lagging  # 0% certified against an expected share above 0


def test_every_page_and_link_is_404_for_a_manager_of_another_unit(world: World) -> None:
    campaign = campaign_over(world, world.commune_a)
    own = client_for(world.manager_a)
    start = [
        reverse("manage-unit", args=[world.commune_a.pk]),
        reverse("manage-people", args=[world.commune_a.pk]),
    ]
    links: set[str] = set(start)
    for url in start:
        page = own.get(url).content.decode()
        links |= {
            href.replace("&amp;", "&") for href in re.findall(r'href="(/manage/[^"]+)"', page)
        }
    links.add(reverse("campaign", args=[campaign.pk]))
    assert len(links) > 10
    for persona in (world.manager_b, world.other_province_manager):
        other = client_for(persona)
        for url in sorted(links):
            if url.split("?")[0].rstrip("/") in ("/manage", "/manage/roster"):
                continue  # the navigation's pages: each manager's own, not this unit's
            assert own.get(url).status_code in (200, 302), url
            assert other.get(url).status_code == 404, (persona.username, url)


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "learner"])
def test_people_without_a_unit_to_manage_are_sent_to_log_in(world: World, persona: str) -> None:
    user = world.personas()[persona]
    client = client_for(user)
    for url in (
        reverse("manage"),
        reverse("manage-unit", args=[world.commune_a.pk]),
        reverse("manage-people", args=[world.commune_a.pk]),
        reverse("campaign-new"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_people_list_filters_and_finds_names_without_diacritics(world: World) -> None:
    client = client_for(world.province_manager)
    url = reverse("manage-people", args=[world.province_p.pk])
    found = client.get(url, {"q": "dang thi mai"}).content.decode()
    assert "Đặng Thị Mai" in found and "Bùi Văn Nam" not in found
    assert "Đặng Thị Mai" in client.get(url, {"q": "ĐẶNG THỊ"}).content.decode()
    certified = client.get(url, {"status": "certified"}).content.decode()
    assert "Đặng Thị Mai" not in certified
    # Hostile input: an unknown filter, a huge page number, a very long query.
    for params in ({"status": "drop table"}, {"page": "999999"}, {"q": "x" * 5000}):
        assert client.get(url, params).status_code == 200
    # Someone in province Q never appears.
    assert "Lý Thị Hoa" not in client.get(url).content.decode()


def test_the_dashboard_costs_the_same_queries_at_10_and_1000_people(world: World) -> None:
    campaign = campaign_over(world, world.province_p)
    client = client_for(world.province_manager)
    url = reverse("manage-unit", args=[world.province_p.pk]) + f"?campaign={campaign.pk}"
    counts = []
    for n, prefix in ((10, "s"), (990, "m")):
        add_people(world.commune_b, n, prefix)
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert PersonStatus.objects.filter(unit_path__startswith=world.province_p.path).count() > 1000
    assert counts[0] == counts[1], counts
    assert counts[0] <= 15


def test_a_manager_assigns_a_program_to_their_unit(world: World) -> None:
    from hocvu.audit.models import AuditEvent

    client = client_for(world.province_manager)
    form = {
        "program": world.module.program.pk,
        "unit_code": "HDND-P-A",
        "title": "Xã A về đích",
        "starts_on": "2026-01-01",
        "deadline": "2026-12-31",
        "remind_days_before": "14",
        "stall_days": "10",
        "target_0_date": "2026-06-30",
        "target_0_percent": "40",
        "target_1_date": "2026-12-31",
        "target_1_percent": "100",
    }
    response = client.post(reverse("campaign-new"), form)
    assert response.status_code == 302
    campaign = Campaign.objects.get(title="Xã A về đích")
    assert campaign.unit == world.commune_a and campaign.stall_days == 10
    assert [(t.by_date, t.share) for t in campaign.targets.all()] == [
        (date(2026, 6, 30), Decimal("0.400")),
        (date(2026, 12, 31), Decimal("1.000")),
    ]
    assert AuditEvent.objects.filter(action="campaigns.create", object_id=str(campaign.pk)).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"unit_code": "HDND-Q"},  # another province
        {"unit_code": "NOPE"},
        {"deadline": "2025-01-01"},  # before the start
        {"target_0_percent": "500"},
        {"target_0_date": "2030-01-01"},  # after the deadline
        {"target_1_percent": "10"},  # later target asks less
        {"target_0_date": "not a date"},
        {"remind_days_before": "-3"},
        {"program": "999999"},
    ],
)
def test_a_bad_campaign_is_refused_and_nothing_is_stored(
    world: World, change: dict[str, str]
) -> None:
    form = {
        "program": world.module.program.pk,
        "unit_code": "HDND-P-A",
        "starts_on": "2026-01-01",
        "deadline": "2026-12-31",
        "remind_days_before": "14",
        "stall_days": "14",
        "target_0_date": "2026-06-30",
        "target_0_percent": "40",
        "target_1_date": "2026-12-31",
        "target_1_percent": "100",
        **change,
    }
    response = client_for(world.province_manager).post(reverse("campaign-new"), form)
    assert response.status_code == 200
    assert not Campaign.objects.exists()


def test_a_commune_manager_cannot_assign_to_the_province(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    from hocvu.campaigns.services import TargetSpec, create_campaign

    with pytest.raises(PermissionDenied):
        create_campaign(
            actor=world.manager_a,
            program=world.module.program,
            unit=world.province_p,
            title="x",
            starts_on=date(2026, 1, 1),
            deadline=date(2026, 12, 31),
            targets=[TargetSpec(by_date=date(2026, 12, 31), share=Decimal(1))],
        )
    assert not Campaign.objects.exists()


def test_a_campaign_link_opens_the_callers_part_of_it(world: World) -> None:
    campaign = campaign_over(world, world.root)
    response = client_for(world.manager_a).get(reverse("campaign", args=[campaign.pk]))
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("manage-unit", args=[world.commune_a.pk]) + f"?campaign={campaign.pk}"
    )
    page = client_for(world.manager_a).get(response["Location"]).content.decode()
    assert "Chiến dịch thử" in page


@pytest.mark.parametrize("threshold", [0, 10**9])
def test_a_large_unit_counts_its_people_from_the_totals(
    world: World, threshold: int, monkeypatch: Any
) -> None:
    from hocvu.campaigns import services

    monkeypatch.setattr(services, "COUNT_FROM_TOTALS", threshold)
    client = client_for(world.province_manager)
    url = reverse("manage-people", args=[world.province_p.pk])
    # Province P: learner, learner_b, manager_a, manager_b, province_manager.
    assert "5 người" in client.get(url).content.decode()
    assert "0 người" in client.get(url, {"status": "certified"}).content.decode()
    assert "5 người" in client.get(url, {"status": "not_certified"}).content.decode()


def test_a_higher_unit_sees_the_campaigns_below_it_against_their_targets(world: World) -> None:
    campaign = campaign_over(world, world.province_p)
    add_people(world.commune_b, 10, "c")  # 5 of P's 15 people certified
    page = client_for(world.admin).get(reverse("manage-unit", args=[world.root.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    table = body.split("Chiến dịch của các đơn vị trực thuộc")[1].split("</table>")[0]
    assert reverse("campaign", args=[campaign.pk]) in table
    assert "(33%)" in table and "40%" in table  # 5 of 15 now; the next target 40 %
