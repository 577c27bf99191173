"""Data quality per unit: figures against hand-counted fixtures, lists, links, scope.

Personas (tests/conftest.py): ``manager_a`` manages commune A; ``manager_b`` commune B;
``province_manager`` province P (A, B and commune Z made here); ``other_province_manager``
province Q; ``outsider`` has no role.

Commune Z, by hand (✓ present, ✗ missing):

| person | dob | gender | CCCD | e-mail/phone | role | activated | last activity |
|---|---|---|---|---|---|---|---|
| p1 Nguyễn Văn An | 1980-01-01 | ✓ | ✓ | e-mail | ✓ | 200 days ago | 100 days ago |
| p2 Nguyen van  AN | 1980-01-01 | ✗ | ✗ | phone | ✗ | never | – |
| p3 Trần Thị Bé | ✗ | ✗ | ✓ | ✗ | ✓ | 200 days ago | never |
| p4 Trần Thị Bé | ✗ | ✗ | ✗ | e-mail | ✗ | never | – |
| p6 Lê Văn Cường | 1975-05-05 | ✓ | ✗ | contact without phone | ✗ | never | – |
| p7 NGUYỄN VĂN AN | 1990-02-02 | ✓ | ✓ | e-mail | ✓ | today | – |
| p5 (deactivated) Nguyễn Văn An | 1980-01-01 | ✗ | ✗ | ✗ | ✗ | – | – |

and in commune A, ``twin`` Nguyễn Văn An born 1980-01-01 (a duplicate of p1 and p2 seen
from the province, not from Z).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hocvu.campaigns import quality
from hocvu.campaigns.models import PersonStatus
from hocvu.roster.models import Contact, ImportStatus, RosterImport
from tests.conftest import World

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


class Z:
    unit: Any
    people: dict[str, Any]


@pytest.fixture
def z(world: World) -> Z:
    from hocvu.identity.services import create_person
    from hocvu.organizations.models import UnitKind
    from hocvu.organizations.services import create_unit

    today = timezone.localdate()
    unit = create_unit(
        code="HDND-P-Z", name="HĐND xã Z", kind=UnitKind.COMMUNE_COUNCIL, parent=world.province_p
    )
    an = date(1980, 1, 1)

    def person(key: str, name: str, **kw: Any) -> Any:
        return create_person(username=key, full_name=name, unit=kw.pop("unit", unit), **kw)

    people = {
        "p1": person(
            "p1",
            "Nguyễn Văn An",
            date_of_birth=an,
            gender="male",
            national_id="001080000011",
            email="an@example.vn",
            job_role="commune_council",
            password="pw-1-secret",
        ),
        "p2": person("p2", "Nguyen van  AN", date_of_birth=an),
        "p3": person(
            "p3",
            "Trần Thị Bé",
            national_id="001180000012",
            job_role="commune_council",
            password="pw-3-secret",
        ),
        "p4": person("p4", "Trần Thị Bé", email="be@example.vn"),
        "p6": person("p6", "Lê Văn Cường", date_of_birth=date(1975, 5, 5), gender="male"),
        "p7": person(
            "p7",
            "NGUYỄN VĂN AN",
            date_of_birth=date(1990, 2, 2),
            gender="male",
            national_id="001090000013",
            email="an2@example.vn",
            job_role="commune_council",
            password="pw-7-secret",
        ),
        "p5": person("p5", "Nguyễn Văn An", date_of_birth=an),
        "twin": person("twin", "Nguyễn Văn An", date_of_birth=an, unit=world.commune_a),
    }
    Contact.objects.create(person=people["p2"], phone="0912345678")
    Contact.objects.create(person=people["p6"], phone="")
    people["p5"].is_active = False
    people["p5"].save()
    long_ago = today - timedelta(days=200)
    PersonStatus.objects.filter(pk=people["p1"].pk).update(
        activated_on=long_ago, last_activity=today - timedelta(days=100)
    )
    PersonStatus.objects.filter(pk=people["p3"].pk).update(
        activated_on=long_ago, last_activity=None
    )
    PersonStatus.objects.filter(pk=people["p7"].pk).update(activated_on=today, last_activity=None)
    now = timezone.now()
    for days, status, errors in [(5, ImportStatus.INVALID, 3), (3, ImportStatus.COMMITTED, 0)]:
        RosterImport.objects.create(
            unit=unit,
            created_at=now - timedelta(days=days),
            file_name=f"z-{days}.xlsx",
            sha256="0" * 64,
            status=status,
            error_rows=errors,
        )
    RosterImport.objects.create(
        unit=unit,
        created_at=now - timedelta(days=2),
        file_name="z-latest.xlsx",
        sha256="1" * 64,
        status=ImportStatus.INVALID,
        error_rows=4,
    )
    RosterImport.objects.create(
        unit=world.commune_a,
        file_name="a.xlsx",
        sha256="2" * 64,
        status=ImportStatus.INVALID,
        error_rows=7,
    )
    result = Z()
    result.unit, result.people = unit, people
    return result


def test_the_figures_of_a_commune_equal_the_hand_count(z: Z) -> None:
    q = quality.measure(z.unit)
    assert q.people == 6
    assert q.import_error_rows == 4 and q.import_count == 1  # the earlier file was fixed
    assert [i.file_name for i in q.imports_with_errors] == ["z-latest.xlsx"]
    assert q.missing == {
        "no_date_of_birth": 2,
        "no_gender": 3,
        "no_national_id": 3,
        "no_contact": 2,
        "no_role": 3,
    }
    assert q.duplicates == 2
    assert q.never_activated == 3
    assert q.inactive == 2


def test_the_province_sees_the_duplicates_across_its_communes(world: World, z: Z) -> None:
    q = quality.measure(world.province_p)
    assert q.duplicates == 3  # p1, p2 and the twin in commune A
    assert q.import_error_rows == 11 and q.import_count == 2
    twins = quality.people_with(world.province_p, "duplicates")
    assert sorted(p.username for p in twins) == ["p1", "p2", "twin"]


@pytest.mark.parametrize(
    ("issue", "expected"),
    [
        ("no_date_of_birth", ["p3", "p4"]),
        ("no_gender", ["p2", "p3", "p4"]),
        ("no_national_id", ["p2", "p4", "p6"]),
        ("no_contact", ["p3", "p6"]),
        ("no_role", ["p2", "p4", "p6"]),
        ("duplicates", ["p1", "p2"]),
        ("never_activated", ["p2", "p4", "p6"]),
        ("inactive", ["p1", "p3"]),
    ],
)
def test_each_list_holds_the_people_behind_the_figure(
    world: World, z: Z, issue: str, expected: list[str]
) -> None:
    assert sorted(p.username for p in quality.people_with(z.unit, issue)) == expected
    response = client_for(world.province_manager).get(
        reverse("manage-quality-people", args=[z.unit.pk]) + f"?issue={issue}"
    )
    assert response.status_code == 200
    body = response.content.decode()
    for key in expected:
        person = z.people[key]
        assert reverse("person-edit", args=[person.pk]) in body
    shown = set(re.findall(r"/people/(\d+)/edit/", body))
    assert shown == {str(z.people[k].pk) for k in expected}


def test_the_page_shows_each_figure_linked_to_its_people_and_fix(world: World, z: Z) -> None:
    response = client_for(world.province_manager).get(reverse("manage-quality", args=[z.unit.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    base = reverse("manage-quality-people", args=[z.unit.pk])
    assert f'<a href="{base}?issue=no_gender">3</a>' in body
    assert f'<a href="{base}?issue=no_date_of_birth">2</a>' in body
    assert f'<a href="{base}?issue=inactive">2</a>' in body
    never = reverse("manage-people", args=[z.unit.pk]) + "?status=not_activated"
    assert f'<a href="{never}">3</a>' in body
    assert reverse("unit-activation", args=[z.unit.pk]) in body
    assert reverse("roster") in body
    latest = RosterImport.objects.get(file_name="z-latest.xlsx")
    assert reverse("roster-import", args=[latest.pk]) in body
    assert "<strong>4</strong>" in body
    assert "001080000011" not in body


def test_the_campaign_people_list_agrees_with_never_activated(world: World, z: Z) -> None:
    response = client_for(world.province_manager).get(
        reverse("manage-people", args=[z.unit.pk]) + "?status=not_activated"
    )
    assert response.status_code == 200
    body = response.content.decode()
    for key in ("p2", "p4", "p6"):
        assert reverse("person", args=[z.people[key].pk]) in body
    for key in ("p1", "p3", "p7"):
        assert reverse("person", args=[z.people[key].pk]) not in body


@pytest.mark.parametrize("name", ["manage-quality", "manage-quality-people"])
def test_managers_of_other_units_get_404(world: World, z: Z, name: str) -> None:
    url = reverse(name, args=[z.unit.pk]) + "?issue=no_gender"
    for persona in (world.manager_a, world.manager_b, world.other_province_manager):
        assert client_for(persona).get(url).status_code == 404, persona.username
    assert client_for(world.province_manager).get(url).status_code == 200


@pytest.mark.parametrize("name", ["manage-quality", "manage-quality-people"])
@pytest.mark.parametrize("persona", ["anonymous", "outsider", "learner"])
def test_people_without_a_unit_to_see_are_sent_to_log_in(
    world: World, z: Z, name: str, persona: str
) -> None:
    url = reverse(name, args=[z.unit.pk]) + "?issue=no_gender"
    response = client_for(world.personas()[persona]).get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("?issue=", 400),
        ("?issue=%3Cscript%3E", 400),
        ("?issue=no_gender%27%20OR%201=1", 400),
        ("?issue=no_gender&page=abc", 200),
        ("?issue=no_gender&page=999999999999999999999", 200),
        ("?issue=no_gender&page=-3", 200),
    ],
)
def test_hostile_parameters_are_refused_cleanly(
    world: World, z: Z, query: str, status: int
) -> None:
    client = client_for(world.province_manager)
    url = reverse("manage-quality-people", args=[z.unit.pk])
    assert client.get(url + query).status_code == status
    assert client.get(reverse("manage-quality", args=[999_999_999])).status_code == 404
    assert client.post(reverse("manage-quality", args=[z.unit.pk])).status_code == 405


def test_a_manager_without_the_right_to_edit_sees_no_fix_links(world: World, z: Z) -> None:
    from hocvu.identity.models import Role
    from hocvu.identity.services import assign_role, create_person

    mentor = create_person(username="mentor_z", full_name="Người Kèm", unit=z.unit)
    assign_role(mentor, Role.MENTOR, z.unit)
    response = client_for(mentor).get(
        reverse("manage-quality-people", args=[z.unit.pk]) + "?issue=no_gender"
    )
    assert response.status_code == 200
    assert "/edit/" not in response.content.decode()


def test_the_page_costs_the_same_queries_with_more_people(world: World, z: Z) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hocvu.identity.services import create_person

    client = client_for(world.province_manager)
    url = reverse("manage-quality", args=[world.province_p.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for i in range(30):
        create_person(
            username=f"more{i}",
            full_name="Nguyễn Văn An" if i % 2 else f"Người {i}",
            unit=z.unit,
            date_of_birth=date(1980, 1, 1),
        )
    assert quality.measure(world.province_p).duplicates == 3 + 15
    assert queries() == before
