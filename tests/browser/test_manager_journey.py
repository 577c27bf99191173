"""A unit manager's whole journey in a real browser: roster in, campaign, progress out.

As a commune manager and as a provincial manager: download the roster template, upload a
roster with errors (nothing is stored, every error is shown with its row as Excel numbers
it and its column), fix the file, upload it, commit, and see the people; assign a program
to the unit; one of the imported people activates their account with the letter the
manager printed (PDF) and takes the placement test; the manager's dashboard moves; the
unit's report is exported as .xlsx and PDF from the dashboard, and both files are opened
and their figures checked against the database.

The key pages are photographed at the phone and the desktop size
(``test-artifacts/screenshots/manager-<persona>-*.png``), and any Content-Security-Policy
violation on a visited page fails the test (the listener of ``test_csp.py``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.utils import timezone, translation
from playwright.sync_api import FilePayload, Page, expect
from pypdf import PdfReader

from tests.browser.conftest import VIEWPORTS, Shoot
from tests.browser.test_csp import LISTEN
from tests.browser.test_journey import MAX_QUESTIONS, answer_placement_question
from tests.conftest import World

pytestmark = pytest.mark.browser

HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số CCCD",
    "Số điện thoại",
    "Thư điện tử",
    "Mã đơn vị",
    "Chức vụ",
    "Vai trò",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEW_PASSWORD = "Hoc-vu-2026-kich-hoat"


def cccd(year: int, gender: str, serial: int, province: str = "001") -> str:
    """A citizen ID that agrees with the year of birth and the gender."""
    digit = (year // 100 - 19) * 2 + (1 if gender == "female" else 0)
    return f"{province}{digit}{year % 100:02d}{serial:06d}"


def workbook(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Case:
    """Who manages what: the unit the roster is loaded into, the codes inside and outside."""

    def __init__(self, persona: str, world: World) -> None:
        self.persona = persona
        if persona == "manager_a":
            self.unit = world.commune_a
            self.codes = ["HDND-P-A", "", "HDND-P-A", "HDND-P-A"]
            self.outside = "HDND-P-B"  # the neighbouring commune
        else:
            self.unit = world.province_p
            self.codes = ["HDND-P-A", "HDND-P-B", "HDND-P-A", "HDND-P-B"]
            self.outside = "HDND-Q-C"  # a commune of another province
        self.serial = 1000 if persona == "manager_a" else 2000

    def people(self) -> list[dict[str, Any]]:
        s = self.serial
        return [
            {
                "name": "Phạm Thị Hồng Nhung",
                "dob": "12/04/1985",
                "gender": "Nữ",
                "id": cccd(1985, "female", s + 1),
                "phone": "0912 345 601",
                "email": f"nhung{s}@example.vn",
                "unit": self.codes[0],
            },
            {
                "name": "Lương Văn Tuấn",
                "dob": "03/11/1990",
                "gender": "Nam",
                "id": cccd(1990, "male", s + 2),
                "phone": "0987654602",
                "email": "",
                "unit": self.codes[1],
            },
            {
                "name": "Hà Thị Thanh Tâm",
                "dob": "28/02/1988",
                "gender": "Nữ",
                "id": cccd(1988, "female", s + 3),
                "phone": "",
                "email": f"tam{s}@example.vn",
                "unit": self.codes[2],
            },
            {
                "name": "Trịnh Quốc Việt",
                "dob": "07/07/1979",
                "gender": "Nam",
                "id": cccd(1979, "male", s + 4),
                "phone": "+84 903 111 604",
                "email": "",
                "unit": self.codes[3],
            },
        ]

    @staticmethod
    def row(p: dict[str, Any]) -> list[Any]:
        return [
            p["name"],
            p["dob"],
            p["gender"],
            p["id"],
            p["phone"],
            p["email"],
            p["unit"],
            "Đại biểu HĐND xã",
            "commune_council",
        ]

    def broken(self) -> tuple[bytes, dict[int, str]]:
        """The roster with one error on each of rows 3-6 (row 2 is right); the expected
        column of each error, by the row number Excel shows."""
        people = self.people()
        bad = [dict(p) for p in people]
        # Row 3: a man born in 1990 with the century digit of a man born in the 2000s.
        bad[1]["id"] = bad[1]["id"][:3] + "2" + bad[1]["id"][4:]
        # Row 4: 31 February does not exist (day first).
        bad[2]["dob"] = "31/02/1988"
        # Row 5: a unit outside the manager's subtree.
        bad[3]["unit"] = self.outside
        # Row 6: a US phone number.
        extra = {**people[3], "name": "Đinh Thị Lan Anh", "dob": "19/05/1992", "gender": "Nữ"}
        extra["id"] = cccd(1992, "female", self.serial + 5)
        extra["phone"] = "+1 415 555 0100"
        extra["unit"] = self.codes[0]
        rows = [self.row(p) for p in [*bad, extra]]
        return workbook(rows), {3: "Số CCCD", 4: "Ngày sinh", 5: "Mã đơn vị", 6: "Số điện thoại"}

    def fixed(self) -> bytes:
        people = self.people()
        extra = {**people[3], "name": "Đinh Thị Lan Anh", "dob": "19/05/1992", "gender": "Nữ"}
        extra["id"] = cccd(1992, "female", self.serial + 5)
        extra["phone"] = "0903 222 605"
        extra["unit"] = self.codes[0]
        return workbook([self.row(p) for p in [*people, extra]])

    def names(self) -> list[str]:
        return [p["name"] for p in self.people()] + ["Đinh Thị Lan Anh"]


class Csp:
    """Collects Content-Security-Policy violations across the pages a browser visits."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.found: list[str] = []
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda msg: (
                self.found.append(f"{page.url}: {msg.text}")
                if "Content Security Policy" in msg.text
                else None
            ),
        )

    def check(self) -> None:
        """Read the listener on the current page; fail on anything seen so far."""
        seen: Any = self.page.evaluate("window.__csp || []")
        self.found += [f"{self.page.url}: {v}" for v in seen]
        assert self.found == [], "\n".join(self.found)


@pytest.fixture
def learner_page(browser: Any, browser_context_args: dict[str, Any]) -> Iterator[Page]:
    """Another person's phone: the imported learner activates and takes placement on it."""
    context = browser.new_context(
        **{**browser_context_args, "viewport": VIEWPORTS["phone"], "has_touch": True}
    )
    page = context.new_page()
    yield page
    context.close()


def xlsx_file(name: str, data: bytes) -> FilePayload:
    return {"name": name, "mimeType": XLSX, "buffer": data}


def saved(download: Any, extension: str) -> bytes:
    """The bytes of a finished download, after checking the file name the server gave."""
    assert download.suggested_filename.endswith(extension), download.suggested_filename
    return Path(download.path()).read_bytes()


def counted(unit: Any, step: str) -> int:
    """The unit subtree's figure ``step`` from the people's statuses (not the totals)."""
    from hocvu.campaigns.models import PersonStatus

    rows = PersonStatus.objects.filter(counted=True, unit_path__startswith=unit.path)
    if step != "people":
        rows = rows.filter(**{f"{step}_on__isnull": False})
    return rows.count()


def funnel_figure(page: Page, step: str) -> int:
    link = page.locator(f"main table.funnel a[href$='?status={step}']")
    return int(link.inner_text().strip())


@pytest.mark.parametrize("persona", ["manager_a", "province_manager"])
def test_a_manager_loads_a_roster_runs_a_campaign_and_exports_the_report(
    persona: str,
    page: Page,
    learner_page: Page,
    site: str,
    world: World,
    login: Any,
    shoot: Shoot,
) -> None:
    from hocvu.campaigns.models import MEASURES, Campaign
    from hocvu.campaigns.reports import LABELS
    from hocvu.content.services import default_program
    from hocvu.identity.models import User
    from hocvu.roster.models import ImportStatus, Level, RosterImport

    program = default_program()  # the world's small program: placement runs on it
    assert program is not None
    case = Case(persona, world)
    unit = case.unit
    manager = getattr(world, persona)
    shot = f"manager-{persona}"
    csp = Csp(page)
    learner_csp = Csp(learner_page)

    # 0. The navigation offers the manager's pages.
    login(manager.username)
    nav = page.locator("header nav.main")
    expect(nav.locator("a[href='/manage/']")).to_be_visible()
    expect(nav.locator("a[href='/manage/roster/']")).to_be_visible()
    nav.locator("a[href='/manage/roster/']").click()
    expect(page).to_have_url(f"{site}/manage/roster/")
    csp.check()
    shoot(f"{shot}-01-roster")

    # 1. The template: an .xlsx with the expected header row.
    with page.expect_download() as download:
        page.locator("main a[href$='/manage/roster/template.xlsx']").click()
    template = openpyxl.load_workbook(io.BytesIO(saved(download.value, ".xlsx")))
    first = template.worksheets[0]
    header = [c.value for c in next(first.iter_rows(min_row=1, max_row=1))]
    assert header[: len(HEADER)] == HEADER

    # 2. A roster with errors: nothing stored, every error shown with its row and column.
    people_before = User.objects.count()
    data, expected = case.broken()
    page.fill("#id_unit", unit.code)
    page.set_input_files("#id_file", files=[xlsx_file("danh-sach-loi.xlsx", data)])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert re.fullmatch(rf"{site}/manage/roster/\d+/", page.url), page.url
    csp.check()
    broken = RosterImport.objects.latest("pk")
    assert broken.status == ImportStatus.INVALID
    assert User.objects.count() == people_before, "a file with errors stored people"
    errors = {(p.row, p.column) for p in broken.problems.filter(level=Level.ERROR)}
    for row, column in expected.items():
        assert (row, column) in errors, f"no error on row {row}, column {column}: {errors}"
        line = page.locator(f"main tr#row-{row}")
        expect(line).to_be_visible()
        expect(line.locator("td").first).to_have_text(str(row))
        expect(line).to_contain_text(f"{column}:")
    assert {row for row, _column in errors} == set(expected), "an error on the right row 2"
    expect(page.locator("main button[value=commit]")).to_have_count(0)
    shoot(f"{shot}-02-upload-errors")
    # On a phone the problems stay on the screen (not in a box scrolled sideways).
    page.set_viewport_size(VIEWPORTS["phone"])
    for row, column in expected.items():
        box = page.locator(f"main tr#row-{row} li", has_text=f"{column}:").bounding_box()
        assert box is not None and box["x"] >= 0, (row, box)
        assert box["x"] + box["width"] <= VIEWPORTS["phone"]["width"], (row, box)
    page.set_viewport_size(VIEWPORTS["desktop"])

    # 3. The corrected file: a preview, then everything stored at once.
    page.goto(f"{site}/manage/roster/")
    page.fill("#id_unit", unit.code)
    page.set_input_files("#id_file", files=[xlsx_file("danh-sach.xlsx", case.fixed())])
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    csp.check()
    fixed = RosterImport.objects.latest("pk")
    assert fixed.status == ImportStatus.PREVIEW and fixed.error_rows == 0
    assert User.objects.count() == people_before, "the preview stored people"
    shoot(f"{shot}-03-preview")  # rows with something to look at: the warnings
    with page.expect_navigation():
        page.locator("main a[href='?show=all']").click()
    csp.check()
    for name in case.names():
        expect(page.locator("main table")).to_contain_text(name)
    shoot(f"{shot}-03-preview-all")
    with page.expect_navigation():
        page.locator("main button[value=commit]").click()
    csp.check()
    fixed.refresh_from_db()
    assert fixed.status == ImportStatus.COMMITTED and fixed.created_count == len(case.names())
    assert User.objects.count() == people_before + len(case.names())
    imported = {u.full_name: u for u in User.objects.filter(full_name__in=case.names())}
    assert set(imported) == set(case.names())
    for p in case.people():
        stored = imported[p["name"]].unit
        assert stored is not None and stored.code == (p["unit"] or unit.code)
    shoot(f"{shot}-04-committed")

    # ... and the people are in the unit's people list.
    page.goto(f"{site}/manage/units/{unit.pk}/people/")
    csp.check()
    for name in case.names():
        expect(page.locator("main")).to_contain_text(name)

    # ... and on the page of the commune they were put in.
    commune = world.commune_a
    page.goto(f"{site}/units/{commune.pk}/")
    csp.check()
    for p in case.people():
        if (p["unit"] or unit.code) == commune.code:
            expect(page.locator("main")).to_contain_text(p["name"])

    # 4. Assign the program to the unit.
    today = timezone.localdate()
    page.goto(f"{site}/manage/")
    csp.check()
    page.goto(f"{site}/manage/units/{unit.pk}/")
    with page.expect_navigation():
        page.locator(f"main a[href^='/manage/campaigns/new/?unit={unit.pk}']").click()
    csp.check()
    page.select_option("#id_program", str(program.pk))
    page.fill("#id_unit_code", unit.code)
    page.fill("#id_title", f"Chiến dịch {unit.name}")
    page.fill("#id_starts_on", (today - timedelta(days=1)).isoformat())
    page.fill("#id_deadline", (today + timedelta(days=365)).isoformat())
    page.fill("#id_target_0_date", (today + timedelta(days=120)).isoformat())
    page.fill("#id_target_0_percent", "40")
    page.fill("#id_target_1_date", (today + timedelta(days=365)).isoformat())
    page.fill("#id_target_1_percent", "100")
    shoot(f"{shot}-05-campaign-form")
    with page.expect_navigation():
        page.locator("main form button").last.click()
    csp.check()
    campaign = Campaign.objects.get(unit=unit)
    assert campaign.program_id == program.pk
    assert [float(t.share) for t in campaign.targets.order_by("by_date")] == [0.4, 1.0]

    # 5. The dashboard before anyone is placed.
    page.goto(f"{site}/manage/units/{unit.pk}/?campaign={campaign.pk}")
    csp.check()
    placed_before = funnel_figure(page, "placed")
    assert placed_before == counted(unit, "placed")
    assert funnel_figure(page, "people") == counted(unit, "people")

    # 6. A learner of the import activates with the printed letter and takes placement.
    learner = imported["Phạm Thị Hồng Nhung"]
    home = learner.unit
    assert home is not None
    page.goto(f"{site}/units/{home.pk}/activation/")
    csp.check()
    expect(page.locator("main")).to_contain_text(learner.username)
    with page.expect_download() as download:
        page.locator(f"main form[action='/units/{home.pk}/activation/letters.pdf'] button").click()
    letters = PdfReader(io.BytesIO(saved(download.value, ".pdf")))
    pages = [p.extract_text() for p in letters.pages]
    mine = [text for text in pages if learner.username in text]
    assert len(mine) == 1, pages
    assert learner.full_name in mine[0]
    for p in case.people():
        assert p["id"] not in "".join(pages), "a citizen ID in the letters"
    found = re.search(r"Mã kích hoạt:\s*([A-Z0-9]{4}-?[A-Z0-9]{4})", mine[0])
    assert found, mine[0]
    code = found.group(1)

    learner_page.goto(f"{site}/activate/")
    learner_page.fill("#id_username", learner.username)
    learner_page.fill("#id_code", code)
    learner_page.fill("#id_new_password1", NEW_PASSWORD)
    learner_page.fill("#id_new_password2", NEW_PASSWORD)
    with learner_page.expect_navigation():
        learner_page.locator("main form button[type=submit]").click()
    learner_csp.check()
    assert learner_page.url == f"{site}/", learner_page.url
    learner.refresh_from_db()
    assert learner.has_usable_password() and learner.check_password(NEW_PASSWORD)

    learner_page.goto(f"{site}/learn/placement/")
    with learner_page.expect_navigation():
        learner_page.locator("main form button[type=submit]").click()
    learner_csp.check()
    answered = 0
    while "/learn/profile/" not in learner_page.url:
        assert answered < MAX_QUESTIONS, "more than 60 questions"
        answer_placement_question(learner_page)
        answered += 1
    learner_csp.check()

    # 7. The dashboard moved: one more person placed, on the page and in the database.
    page.goto(f"{site}/manage/units/{unit.pk}/?campaign={campaign.pk}")
    csp.check()
    assert counted(unit, "placed") == placed_before + 1
    assert funnel_figure(page, "placed") == placed_before + 1
    assert funnel_figure(page, "activated") == counted(unit, "activated")
    shoot(f"{shot}-06-dashboard")
    exports = page.locator("main a[href*='/report.']").first.locator("xpath=..")
    exports.scroll_into_view_if_needed()
    for label, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        exports.screenshot(path=f"test-artifacts/screenshots/{shot}-07-export-links-{label}.png")
    page.set_viewport_size(VIEWPORTS["desktop"])

    # 8. The report as .xlsx and PDF, from the dashboard's links, against the database.
    figures = {m: counted(unit, m) for m in MEASURES}
    with translation.override("vi"):
        labels = {m: str(LABELS[m]) for m in MEASURES}

    with page.expect_download() as download:
        page.locator(f"main a[href^='/manage/units/{unit.pk}/report.xlsx']").click()
    book = openpyxl.load_workbook(io.BytesIO(saved(download.value, ".xlsx")))
    summary, people_sheet = book.worksheets[0], book.worksheets[-1]
    values = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row and len(row) > 1}
    for m in MEASURES:
        assert values.get(labels[m]) == figures[m], (m, values)
    rows = list(people_sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == figures["people"]
    listed = {r[0] for r in rows}
    assert set(case.names()) <= listed
    assert learner.full_name in listed

    with page.expect_download() as download:
        page.locator(f"main a[href^='/manage/units/{unit.pk}/report.pdf']").click()
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(saved(download.value, ".pdf"))).pages
    )
    for m in MEASURES:
        found = re.search(rf"^{re.escape(labels[m])}\s+(\d+)\b", text, re.MULTILINE)
        assert found, (labels[m], text[:2000])
        assert int(found.group(1)) == figures[m], (m, found.group(0))
    for name in case.names():
        assert name in text
    for p in case.people():
        assert p["id"] not in text, "a citizen ID in the PDF report"
    csp.check()
    learner_csp.check()


def test_the_manage_links_are_only_for_managers(
    page: Page, site: str, world: World, login: Any
) -> None:
    login("learner")
    expect(page.locator("header nav.main a[href='/manage/']")).to_have_count(0)
    expect(page.locator("header nav.main a[href='/manage/roster/']")).to_have_count(0)
    page.context.clear_cookies()
    login("manager_a")
    expect(page.locator("header nav.main a[href='/manage/']")).to_have_count(1)
    expect(page.locator("header nav.main a[href='/manage/roster/']")).to_have_count(1)
