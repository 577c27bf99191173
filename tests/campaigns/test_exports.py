"""A unit's report for the annual review, as .xlsx and PDF: figures, people, scope.

Personas (tests/conftest.py): ``learner`` in commune A; ``manager_a`` manages commune A;
``manager_b`` manages commune B; ``province_manager`` manages province P (A and B);
``other_province_manager`` manages province Q; ``outsider`` has no role.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from hocvu.audit.models import AuditEvent
from hocvu.campaigns.models import Campaign, PersonStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db

#: ID numbers given to generated people: none may appear in any export.
ID_BASE = 1_190_000_100


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def campaign_over(world: World, unit: Any) -> Campaign:
    from hocvu.campaigns.services import TargetSpec, create_campaign

    today = timezone.localdate()
    return create_campaign(
        actor=world.admin,
        program=world.module.program,
        unit=unit,
        title="Chiến dịch thử",
        starts_on=today - timedelta(days=60),
        deadline=today + timedelta(days=120),
        targets=[
            TargetSpec(by_date=today + timedelta(days=10), share=Decimal("0.4")),
            TargetSpec(by_date=today + timedelta(days=120), share=Decimal("1")),
        ],
    )


def add_people(unit: Any, n: int, prefix: str, *, certified: int = 0) -> list[str]:
    """``n`` people with known ID numbers in ``unit`` (the roster import's bulk path);
    the first ``certified`` are activated and certified. Returns their ID numbers."""
    from hocvu.campaigns.rebuild import rebuild_unit_days_fast
    from hocvu.identity.bulk import PersonData, bulk_create_people

    ids = [f"{ID_BASE + i + hash(prefix) % 1000 * 1000:012d}" for i in range(n)]
    made = bulk_create_people(
        [
            (
                f"{prefix}{i}",
                PersonData(
                    full_name=f"Phạm Văn {prefix}{i}",
                    unit_id=unit.pk,
                    national_id=ids[i],
                    date_of_birth=date(1980, 1, 1) + timedelta(days=i),
                    position="Đại biểu",
                    job_role="commune_council",
                ),
            )
            for i in range(n)
        ]
    )
    today = timezone.localdate()
    PersonStatus.objects.filter(pk__in=[u.pk for u in made[:certified]]).update(
        activated_on=today, certified_on=today, last_activity=today
    )
    rebuild_unit_days_fast()
    return ids


@pytest.fixture
def achievement(world: World) -> Any:
    from hocvu.credentials.setup import install_achievements

    return next(
        a
        for a in install_achievements(world.module.program)
        if a.role_profile.code == "commune_council"
    )


@pytest.fixture
def certified(world: World, achievement: Any) -> Any:
    """The learner holds a valid certificate; a revoked one must not show."""
    from hocvu.credentials import services as credentials

    old = credentials.issue_credential(world.learner, achievement)
    credentials.revoke_credential(old, reason="test")
    return credentials.issue_credential(world.learner, achievement)


def xlsx_of(response: Any) -> Any:
    data = response.getvalue()
    return load_workbook(io.BytesIO(data), read_only=True), data


def summary_values(book: Any) -> dict[str, Any]:
    sheet = book.worksheets[0]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if len(row) > 1 and row[0]}


def xml_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def test_the_xlsx_carries_the_figures_and_people_of_the_database(
    world: World, certified: Any
) -> None:
    campaign = campaign_over(world, world.province_p)
    ids = add_people(world.commune_a, 12, "a", certified=5)
    response = client_for(world.province_manager).get(
        reverse("manage-report-xlsx", args=[world.province_p.pk]) + f"?campaign={campaign.pk}"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    book, data = xlsx_of(response)
    figures = summary_values(book)
    rows = PersonStatus.objects.filter(counted=True, unit_path__startswith=world.province_p.path)
    assert figures["Số người"] == rows.count() == 17  # 12 + learner, learner_b, 3 managers
    assert figures["Đã được chứng nhận"] == rows.filter(certified_on__isnull=False).count() == 6
    assert figures["Đã kích hoạt"] == rows.filter(activated_on__isnull=False).count()
    assert figures["Tỷ lệ đã được chứng nhận"] == pytest.approx(6 / 17)
    assert figures["Đơn vị"] == "HĐND tỉnh P"
    people = list(book.worksheets[1].iter_rows(values_only=True))
    header, body = people[0], people[1:]
    assert header[0] == "Họ và tên" and len(body) == 17
    mai = next(r for r in body if r[0] == "Đặng Thị Mai")
    assert mai[1] == "HĐND xã A"
    assert mai[5] == str(certified.id)  # the valid certificate, not the revoked one
    assert mai[6].date() == timezone.localdate(certified.issued_at)
    assert mai[7] == "có"
    assert sum(1 for r in body if r[7] == "có") == 6
    text = xml_text(data)
    for number in [*ids, "001190000001", "001190000002"]:
        assert number not in text
        assert number[-4:] + "<" not in text  # not even masked tails


def test_the_pdf_carries_the_figures_title_people_and_signatures(
    world: World, certified: Any
) -> None:
    campaign = campaign_over(world, world.province_p)
    ids = add_people(world.commune_b, 8, "b", certified=3)
    from hocvu.mentoring.models import HelpRequest, MentoringSession

    request = HelpRequest.objects.create(
        learner=world.learner, competence=world.module.competence, level=2, mentor=world.manager_a
    )
    MentoringSession.objects.create(request=request, held_on=timezone.localdate(), minutes=45)
    MentoringSession.objects.create(request=request, held_on=timezone.localdate(), minutes=30)
    response = client_for(world.province_manager).get(
        reverse("manage-report-pdf", args=[world.province_p.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "BÁO CÁO KẾT QUẢ" in flat
    assert "HĐND tỉnh P" in flat
    assert campaign.title in flat
    people = PersonStatus.objects.filter(counted=True, unit_path__startswith=world.province_p.path)
    assert f"Số người {people.count()} 100%" in flat
    cert = people.filter(certified_on__isnull=False).count()
    assert cert == 4
    assert f"Đã được chứng nhận {cert} {round(cert / people.count() * 100, 1)}%" in flat
    assert "40%" in flat and "100%" in flat  # the targets
    assert "Số buổi hỗ trợ Số phút Số người được hỗ trợ 2 75 1" in flat
    assert "Đặng Thị Mai" in flat and "Phạm Văn b7" in flat
    assert str(certified.id)[:20] in flat.replace(" ", "")
    assert "NGƯỜI LẬP BIỂU" in flat and "THỦ TRƯỞNG ĐƠN VỊ" in flat
    raw = response.content
    for number in [*ids, "001190000001", "001190000002"]:
        assert number not in text and number.encode() not in raw


def test_each_export_is_audited_with_the_unit_and_the_row_count(world: World) -> None:
    add_people(world.commune_a, 4, "a")
    client = client_for(world.manager_a)
    response = client.get(reverse("manage-report-xlsx", args=[world.commune_a.pk]))
    response.getvalue()
    client.get(reverse("manage-report-pdf", args=[world.commune_a.pk]))
    events = list(AuditEvent.objects.filter(action="campaigns.export").order_by("pk"))
    assert [e.data["format"] for e in events] == ["xlsx", "pdf"]
    for event in events:
        assert event.data["rows"] == 6  # 4 + learner + manager_a
        assert event.data["unit"] == "HDND-P-A"
        assert event.unit_path == world.commune_a.path
        assert event.object_id == str(world.commune_a.pk)


def test_a_commune_export_holds_only_the_commune(world: World) -> None:
    add_people(world.commune_b, 3, "b")
    response = client_for(world.manager_a).get(
        reverse("manage-report-xlsx", args=[world.commune_a.pk])
    )
    book, _ = xlsx_of(response)
    names = [r[0] for r in list(book.worksheets[1].iter_rows(values_only=True))[1:]]
    assert sorted(names) == ["Vũ Đức Thắng", "Đặng Thị Mai"]


EXPORTS = ("manage-report-xlsx", "manage-report-pdf", "manage-quality")


@pytest.mark.parametrize("name", EXPORTS)
def test_managers_of_other_units_get_404(world: World, name: str) -> None:
    url = reverse(name, args=[world.commune_a.pk])
    for persona in (world.manager_b, world.other_province_manager):
        assert client_for(persona).get(url).status_code == 404, persona.username
    province = reverse(name, args=[world.province_p.pk])
    assert client_for(world.manager_a).get(province).status_code == 404
    assert client_for(world.manager_a).get(url).status_code == 200
    assert (
        not AuditEvent.objects.filter(action="campaigns.export")
        .exclude(unit_path=world.commune_a.path)
        .exists()
    )


@pytest.mark.parametrize("name", EXPORTS)
@pytest.mark.parametrize("persona", ["anonymous", "outsider", "learner"])
def test_people_without_a_unit_to_see_are_sent_to_log_in(
    world: World, name: str, persona: str
) -> None:
    response = client_for(world.personas()[persona]).get(reverse(name, args=[world.commune_a.pk]))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]
    assert not AuditEvent.objects.filter(action="campaigns.export").exists()


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?campaign=abc", 400),
        ("?campaign=-1", 400),
        ("?campaign=1%27%20OR%201=1", 400),
        ("?campaign=99999999999999999999", 400),
        ("?campaign=999999", 404),
    ],
)
@pytest.mark.parametrize("name", ["manage-report-xlsx", "manage-report-pdf"])
def test_hostile_parameters_are_refused_cleanly(
    world: World, name: str, query: str, status: int
) -> None:
    client = client_for(world.manager_a)
    assert client.get(reverse(name, args=[world.commune_a.pk]) + query).status_code == status
    assert client.get(reverse(name, args=[999_999_999])).status_code == 404
    assert client.post(reverse(name, args=[world.commune_a.pk])).status_code == 405
    assert not AuditEvent.objects.filter(action="campaigns.export").exists()


def test_a_campaign_of_another_subtree_is_not_found(world: World) -> None:
    other = campaign_over(world, world.province_q)
    url = reverse("manage-report-xlsx", args=[world.commune_a.pk]) + f"?campaign={other.pk}"
    assert client_for(world.manager_a).get(url).status_code == 404


def test_a_name_that_looks_like_a_formula_stays_text(world: World) -> None:
    from hocvu.identity.services import create_person

    create_person(username="f", full_name='=HYPERLINK("http://x","y")', unit=world.commune_a)
    response = client_for(world.manager_a).get(
        reverse("manage-report-xlsx", args=[world.commune_a.pk])
    )
    book, data = xlsx_of(response)
    names = [r[0] for r in list(book.worksheets[1].iter_rows(values_only=True))[1:]]
    assert '=HYPERLINK("http://x","y")' in names
    assert "<f>" not in xml_text(data)


def _export_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body = response.getvalue()
    assert response.status_code == 200 and body
    return len(captured)


@pytest.mark.parametrize("name", ["manage-report-xlsx", "manage-report-pdf"])
def test_an_export_costs_the_same_queries_at_10_and_200_people(
    world: World, certified: Any, name: str
) -> None:
    campaign_over(world, world.province_p)
    client = client_for(world.province_manager)
    url = reverse(name, args=[world.province_p.pk])
    add_people(world.commune_a, 5, "a", certified=2)
    small = _export_queries(client, url)
    assert PersonStatus.objects.filter(counted=True).count() < 20
    add_people(world.commune_b, 195, "b", certified=50)
    large = _export_queries(client, url)
    assert small == large, (small, large)
    assert large <= 25


def test_the_streamed_sheet_holds_the_same_cells_as_openpyxl_writes(
    world: World, certified: Any
) -> None:
    from hocvu.campaigns import reports
    from hocvu.identity.services import create_person

    campaign_over(world, world.province_p)
    add_people(world.province_p, 30, "p", certified=7)
    for i, name in enumerate(
        ["A & B <c> \"d\" 'e'", "  Lê  Văn\tTám ", "=1+2", "Hồ\x07 Thị\nChín", "@cmd|x"]
    ):
        create_person(username=f"odd{i}", full_name=name, unit=world.commune_b, position="<b>")
    report = reports.build(world.province_p, None)
    fast, slow = io.BytesIO(), io.BytesIO()
    assert reports.write_xlsx(report, fast) == reports.write_xlsx_openpyxl(report, slow) == 40

    def cells(data: io.BytesIO) -> list[list[Any]]:
        book = load_workbook(io.BytesIO(data.getvalue()))
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book]

    streamed, reference = cells(fast), cells(slow)
    assert streamed[0] == reference[0]  # the summary
    assert len(streamed[1]) == 41
    for mine, theirs in zip(streamed[1], reference[1], strict=True):
        assert [v if v != "" else None for v in mine] == [
            (v.replace("\t", " ").replace("\n", " ") if isinstance(v, str) else v) or None
            for v in theirs
        ]
    names = {row[0] for row in streamed[1]}
    assert "=1+2" in names and "A & B <c> \"d\" 'e'" in names and "Hồ Thị Chín" in names
    book = load_workbook(io.BytesIO(fast.getvalue()))
    dated = [row[6] for row in book.worksheets[1].iter_rows(min_row=2) if row[6].value]
    assert dated and all(c.is_date for c in dated)


def test_postgresql_builds_the_same_sheet_xml_as_python(world: World, certified: Any) -> None:
    from hocvu.campaigns import reports
    from hocvu.identity.services import create_person

    if connection.vendor != "postgresql":
        pytest.skip("the SQL-built rows are PostgreSQL's")
    campaign_over(world, world.province_p)
    add_people(world.province_p, 30, "p", certified=7)
    PersonStatus.objects.filter(full_name="Phạm Văn p3").update(last_activity=None)
    for i, name in enumerate(
        ["A & B <c> \"d\" 'e'", "  Lê  Văn\tTám ", "=1+2", "Hồ\x07 Thị\nChín", "\x01", "x\u200b"]
    ):
        create_person(username=f"odd{i}", full_name=name, unit=world.commune_b, position=" <b>")
    for language in ("vi", "en"):
        with translation.override(language):
            report = reports.build(world.province_p, None)
            by_python, by_sql = io.BytesIO(), io.BytesIO()
            n = reports._write_people_python(report, by_python, ' s="1"')
            assert reports._write_people_postgresql(report, by_sql, ' s="1"') == n == 41
            assert by_sql.getvalue() == by_python.getvalue()
            assert str(certified.id).encode() in by_sql.getvalue()
