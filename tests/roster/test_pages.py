"""The manager's roster pages: who reaches them, upload, preview, decide, store."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hocvu.identity.models import User
from hocvu.roster import services
from hocvu.roster.models import ImportStatus, RosterImport
from tests.conftest import World
from tests.roster.conftest import person, text, xlsx

pytestmark = pytest.mark.django_db

INDEX = "/manage/roster/"


def client_for(user: object) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def upload(
    client: Client, data: bytes, name: str = "danh-sach.xlsx", unit: str = "HDND-P-A"
) -> Any:
    return client.post(INDEX, {"unit": unit, "file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize("persona", ["learner", "outsider", "author"])
def test_people_who_manage_nobody_get_404(world: World, persona: str) -> None:
    client = client_for(getattr(world, persona))
    for url in (INDEX, reverse("roster-template-xlsx"), reverse("roster-template-csv")):
        assert client.get(url).status_code == 404
    assert upload(client, text([person(1)])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(world: World) -> None:
    assert Client().get(INDEX).status_code == 302


def test_a_file_with_errors_is_shown_with_rows_and_columns_and_stores_nothing(
    world: World,
) -> None:
    client = client_for(world.manager_a)
    before = User.objects.count()
    bad = [person(1), person(2, id="041185000002", dob="31/12/85"), person(3, phone="12345")]
    response = upload(client, xlsx(bad))
    assert response.status_code == 302
    imp = RosterImport.objects.get()
    assert imp.status == ImportStatus.INVALID
    page = client.get(response["Location"]).content.decode()
    assert "Số CCCD" in page and "Ngày sinh" in page and "Số điện thoại" in page
    assert 'id="row-3"' in page and 'id="row-4"' in page
    assert "Viết năm đủ bốn chữ số" in page or "bốn chữ số" in page
    assert 'value="commit"' not in page  # no store button while there are errors
    refused = client.post(reverse("roster-commit", args=[imp.pk]), {"action": "commit"})
    assert refused.status_code == 302
    assert User.objects.count() == before
    report = client.get(reverse("roster-report", args=[imp.pk]))
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines[0] == ["row", "column", "level", "message"]
    assert ["3", "Số CCCD", "error"] in [line[:3] for line in lines]
    assert ["4", "Số điện thoại", "error"] in [line[:3] for line in lines]


def test_upload_fix_upload_and_store(world: World) -> None:
    client = client_for(world.manager_a)
    upload(client, text([person(1, gender="Nam")]))
    fixed = upload(client, text([person(1), person(2, name="LÊ THỊ HOA")]), name="ds.csv")
    imp = RosterImport.objects.order_by("-pk").first()
    assert imp is not None and imp.status == ImportStatus.PREVIEW
    page = client.get(fixed["Location"]).content.decode()
    assert "Lê Thị Hoa" in page  # the normalised value is shown
    assert 'value="commit"' in page
    done = client.post(reverse("roster-commit", args=[imp.pk]), {"action": "commit"})
    assert done.status_code == 302
    assert User.objects.filter(full_name="Lê Thị Hoa", unit=world.commune_a).exists()
    page = client.get(done["Location"]).content.decode()
    assert "2 mới" in page or "2 new" in page


def test_the_citizen_id_never_appears_in_plain_text(world: World) -> None:
    client = client_for(world.manager_a)
    rows = [person(1), person(2, gender="Nam")]  # row 3 has an error mentioning the ID
    response = upload(client, text(rows))
    imp = RosterImport.objects.get()
    detail = response["Location"] + "?show=all"
    for url in (detail, reverse("roster-report", args=[imp.pk]), INDEX):
        body = client.get(url).content.decode("utf-8-sig")
        for row in rows:
            assert row[3] not in body
            assert row[3][-3:] in body or url != detail


def test_duplicates_are_decided_on_the_page(world: World) -> None:
    client = client_for(world.manager_a)
    rows = [person(1), person(2, name=person(1)[0], dob=person(1)[1])]
    upload(client, text(rows))
    imp = RosterImport.objects.get()
    page = client.get(reverse("roster-import", args=[imp.pk])).content.decode()
    assert 'name="decision-3"' in page and 'value="create"' in page
    client.post(reverse("roster-commit", args=[imp.pk]), {"decision-3": "create", "action": "save"})
    assert imp.rows.get(row=3).decision == "create"
    # A choice that is not offered is ignored.
    client.post(reverse("roster-commit", args=[imp.pk]), {"decision-3": "update", "action": "save"})
    assert imp.rows.get(row=3).decision == "create"
    client.post(reverse("roster-commit", args=[imp.pk]), {"action": "commit"})
    assert User.objects.filter(full_name=person(1)[0]).count() == 2


def test_another_units_manager_cannot_see_or_store_an_import(world: World) -> None:
    upload(client_for(world.manager_a), text([person(1)]))
    imp = RosterImport.objects.get()
    for persona in ("manager_b", "other_province_manager", "learner", "outsider"):
        client = client_for(getattr(world, persona))
        for url in (
            reverse("roster-import", args=[imp.pk]),
            reverse("roster-report", args=[imp.pk]),
        ):
            assert client.get(url).status_code == 404, persona
        commit = client.post(reverse("roster-commit", args=[imp.pk]), {"action": "commit"})
        assert commit.status_code == 404
        assert person(1)[0] not in client.get(INDEX).content.decode()
    imp.refresh_from_db()
    assert imp.status == ImportStatus.PREVIEW
    assert not User.objects.filter(full_name=person(1)[0]).exists()
    # The province above commune A sees it.
    assert (
        client_for(world.province_manager).get(reverse("roster-import", args=[imp.pk])).status_code
        == 200
    )


def test_a_manager_cannot_upload_for_a_unit_outside_their_scope(world: World) -> None:
    client = client_for(world.manager_a)
    response = upload(client, text([person(1, unit="")]), unit="HDND-P-B")
    assert response.status_code == 200  # the form again, with an error
    assert "errorlist" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_the_xlsx_template_offers_lists_and_reads_back(world: World) -> None:
    client = client_for(world.manager_a)
    response = client.get(reverse("roster-template-xlsx"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header == [vi for _k, vi, _en in services.COLUMNS]
    assert sheet["G2"].value == "HDND-P-A"
    lists = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert any("$A$2:$A$3" in f for f in lists)  # gender
    assert any("$B$2" in f for f in lists)  # role
    assert book["Danh mục"].sheet_state == "hidden"
    assert {"HDND-P-A"} == {c.value for c in book["Danh mục"]["D"][1:] if c.value}
    # The untouched template stores nobody: its example row is recognised.
    before = User.objects.count()
    imp = services.stage(response.content, "t.xlsx", actor=world.manager_a, unit=world.commune_a)
    assert imp.status == ImportStatus.PREVIEW
    assert services.commit(imp, actor=world.manager_a).created == 0
    assert User.objects.count() == before


def test_the_csv_template_is_excels_csv_utf8(world: World) -> None:
    response = client_for(world.province_manager).get(reverse("roster-template-csv"))
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][0] == "Họ và tên" and lines[1][6] == "HDND-P"


def test_the_page_lists_earlier_imports_in_scope_only(world: World) -> None:
    services.stage(text([person(1)]), "cua-xa-a.csv", actor=world.manager_a, unit=world.commune_a)
    services.stage(
        text([person(2, unit="HDND-P-B")]),
        "cua-xa-b.csv",
        actor=world.manager_b,
        unit=world.commune_b,
    )
    page = client_for(world.manager_a).get(INDEX).content.decode()
    assert "cua-xa-a.csv" in page and "cua-xa-b.csv" not in page
    page = client_for(world.province_manager).get(INDEX).content.decode()
    assert "cua-xa-a.csv" in page and "cua-xa-b.csv" in page


def test_an_oversized_upload_is_refused_without_reading_it(world: World) -> None:
    client = client_for(world.manager_a)
    response = client.post(
        INDEX,
        {"unit": "HDND-P-A", "file": SimpleUploadedFile("a.csv", text([person(1)]))},
        CONTENT_LENGTH=str(500 * 1024 * 1024),
    )
    assert response.status_code == 200
    assert "40 MB" in response.content.decode()
    assert not RosterImport.objects.exists()


def test_a_tampered_return_address_is_ignored(world: World) -> None:
    upload(client_for(world.manager_a), text([person(1)]))
    imp = RosterImport.objects.get()
    response = client_for(world.manager_a).post(
        reverse("roster-commit", args=[imp.pk]),
        {"action": "save", "query": "x=1\r\nSet-Cookie: a=b"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("roster-import", args=[imp.pk])
