"""Load the shipped framework, the national unit tree and demo accounts."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from hocvu.content.services import default_program, install_curriculum, install_exam_pool
from hocvu.credentials.services import active_key
from hocvu.credentials.setup import install_achievements
from hocvu.framework import services as framework
from hocvu.identity import services as identity
from hocvu.identity.models import Role, User
from hocvu.organizations import services as units
from hocvu.organizations.models import Unit, UnitKind

DEMO_PASSWORD = "hocvu-demo-2026"  # noqa: S105 - printed for the demo, never used in production  # nosec B105

# Common commune names; the demo gives each provincial council a few communes.
COMMUNE_NAMES = [
    "Tân Lập",
    "Hòa Bình",
    "Phú Mỹ",
    "An Phú",
    "Bình Minh",
    "Thành Công",
    "Quyết Thắng",
    "Đoàn Kết",
    "Hưng Đạo",
    "Thống Nhất",
    "Tân Tiến",
    "Quang Trung",
]

# username, full name, job role, unit code, position, roles (role, unit code)
DEMO_PEOPLE: list[tuple[str, str, str, str, str, list[tuple[str, str]]]] = [
    (
        "quantri",
        "Trần Quốc Bảo",
        "civil_servant",
        "QH-VPQH",
        "Chuyên viên quản trị hệ thống",
        [(Role.ADMINISTRATOR, "VN")],
    ),
    ("tacgia", "Lê Thu Hà", "na_official", "QH-VNCLP", "Nghiên cứu viên", [(Role.AUTHOR, "VN")]),
    (
        "daibieu",
        "Nguyễn Minh Châu",
        "na_deputy",
        "DDBQH-HNI",
        "Đại biểu Quốc hội",
        [(Role.LEARNER, "DDBQH-HNI")],
    ),
    (
        "chuyenvien",
        "Phạm Văn Dũng",
        "na_official",
        "QH-VPQH",
        "Chuyên viên",
        [(Role.LEARNER, "QH-VPQH")],
    ),
    (
        "quanlytinh",
        "Hoàng Thị Lan",
        "provincial_council",
        "HDND-NAN",
        "Chánh Văn phòng Đoàn ĐBQH và HĐND tỉnh",
        [(Role.UNIT_MANAGER, "HDND-NAN")],
    ),
    (
        "quanlyxa",
        "Vũ Đức Thắng",
        "commune_council",
        "HDND-NAN-X01",
        "Phó Chủ tịch HĐND xã",
        [(Role.UNIT_MANAGER, "HDND-NAN-X01")],
    ),
    (
        "hocvien",
        "Đặng Thị Mai",
        "commune_council",
        "HDND-NAN-X01",
        "Đại biểu HĐND xã",
        [(Role.LEARNER, "HDND-NAN-X01")],
    ),
    (
        "hocvien2",
        "Bùi Văn Nam",
        "commune_council",
        "HDND-NAN-X02",
        "Đại biểu HĐND xã",
        [(Role.LEARNER, "HDND-NAN-X02")],
    ),
]


# National ID numbers of the demo people (province code, century and gender digit, year of
# birth, serial), the accounts of the demo's stand-in national e-ID provider. The last one has
# no roster record: its e-ID login is refused.
DEMO_NATIONAL_IDS = {
    "quantri": "001080000101",
    "tacgia": "001185000102",
    "daibieu": "001178000103",
    "chuyenvien": "001090000104",
    "quanlytinh": "040182000105",
    "quanlyxa": "040088000106",
    "hocvien": "040195000107",
    "hocvien2": "040201000108",
}
DEMO_EID_STRANGER = {
    "sub": "demo-no-record",
    "name": "Người chưa có hồ sơ",
    "national_id": "079190000999",
}
#: Where seed_demo writes the stand-in provider's accounts (scripts/demo.sh reads it).
EID_ACCOUNTS_FILE = "eid-standin-accounts.json"


class Command(BaseCommand):
    help = "Load the default framework, the national unit tree and demo accounts (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--communes", type=int, default=3, help="communes per province")
        parser.add_argument("--no-people", action="store_true", help="skip demo accounts")
        parser.add_argument(
            "--population",
            type=int,
            default=4000,
            help="generated people with a campaign history, for the dashboards (0: none)",
        )

    @transaction.atomic
    def handle(
        self, *args: Any, communes: int, no_people: bool, population: int, **options: Any
    ) -> None:
        version = framework.install_default()
        report = install_curriculum(version)
        exam_pool = install_exam_pool(version)
        program = default_program()
        assert program is not None
        achievements = install_achievements(program)
        active_key()  # the issuer's signing key, published in /.well-known/did.json
        units.install_national_tree()
        for council in Unit.objects.filter(kind=UnitKind.PROVINCIAL_COUNCIL).order_by("path"):
            if council.children.exists():
                continue
            province = council.code.removeprefix("HDND-")
            units.bulk_create_children(
                council,
                [
                    (
                        f"{council.code}-X{i + 1:02d}",
                        f"Hội đồng nhân dân xã {COMMUNE_NAMES[i % len(COMMUNE_NAMES)]}",
                        f"People's Council of {COMMUNE_NAMES[i % len(COMMUNE_NAMES)]} commune"
                        f" ({province})",
                        UnitKind.COMMUNE_COUNCIL,
                    )
                    for i in range(communes)
                ],
            )
        self.stdout.write(f"Framework: {version} ({version.competences.count()} competences)")
        self.stdout.write(
            f"Curriculum: {report.modules} modules, {report.lessons} lessons, {report.items} items"
        )
        self.stdout.write(f"Secure exam pool: {exam_pool.items} items ({exam_pool.directory})")
        self.stdout.write(f"Certificates: {len(achievements)} achievements, one per role profile")
        self.stdout.write(f"Units: {Unit.objects.count()}")
        if no_people:
            return
        for username, name, job, unit_code, position, roles in DEMO_PEOPLE:
            unit = Unit.objects.get(code=unit_code)
            person = User.objects.filter(username=username).first()
            if person is None:
                person = identity.create_person(
                    username=username,
                    full_name=name,
                    unit=unit,
                    password=DEMO_PASSWORD,
                    job_role=job,
                    position=position,
                    national_id=DEMO_NATIONAL_IDS[username],
                )
            elif not person.national_id_index:
                identity.set_national_id(person, DEMO_NATIONAL_IDS[username])
            for role, scope in roles:
                identity.assign_role(person, role, Unit.objects.get(code=scope))
        if population > 0:
            self.generate_population(population, communes)
        self.write_eid_accounts()
        self.stdout.write("")
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for username, name, _job, _unit, _pos, roles in DEMO_PEOPLE:
            role_text = ", ".join(f"{r} @ {u}" for r, u in roles)
            national_id = DEMO_NATIONAL_IDS[username]
            self.stdout.write(f"  {username:<12} {name:<20} {national_id}  {role_text}")
        self.write_second_factor()

    def write_second_factor(self) -> None:
        """Demo staff get an authenticator key (for a phone app) and fresh recovery codes:
        staff logins ask for one of them after the password (docs/operations.md)."""
        from base64 import b32encode

        from django_otp.plugins.otp_totp.models import TOTPDevice

        from hocvu.identity import second_factor

        self.stdout.write("")
        self.stdout.write(
            "Two-step login of the demo staff: add the key to an authenticator app, or type"
            " one recovery code (each works once; new ones at every seed_demo):"
        )
        for username, *_rest in DEMO_PEOPLE:
            person = User.objects.get(username=username)
            if not second_factor.needs_second_factor(person):
                continue
            device = second_factor.app_device(person) or TOTPDevice.objects.create(
                user=person, name=second_factor.APP_DEVICE, confirmed=True
            )
            key = b32encode(device.bin_key).decode()
            codes = " ".join(second_factor.new_recovery_codes(person))
            self.stdout.write(f"  {username:<12} key {key}")
            self.stdout.write(f"  {'':<12} recovery codes {codes}")

    def write_eid_accounts(self) -> None:
        """The demo people as accounts of the stand-in national e-ID provider (make demo)."""
        accounts = [
            {"sub": f"demo-{username}", "name": name, "national_id": DEMO_NATIONAL_IDS[username]}
            for username, name, *_rest in DEMO_PEOPLE
        ]
        accounts.append(DEMO_EID_STRANGER)
        path = settings.VAR_DIR / EID_ACCOUNTS_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(accounts, ensure_ascii=False, indent=1), encoding="utf-8")
        self.stdout.write(f"National e-ID stand-in accounts: {path}")

    def generate_population(self, people: int, communes: int) -> None:
        """People with a campaign history since 2025-09 (progress tables only, see
        hocvu/campaigns/generator.py) and the National Assembly and councils campaigns."""
        from hocvu.campaigns.generator import PREFIX, ensure_campaigns, generate

        if not User.objects.filter(username__startswith=f"{PREFIX}1-").exists():
            report = generate(people=people, seed=1, communes=max(34, communes * 34))
            self.stdout.write(f"Population: {report.people} people with a campaign history")
        campaigns = ensure_campaigns(actor=User.objects.get(username="quantri"))
        self.stdout.write(f"Campaigns: {', '.join(c.title for c in campaigns)}")
