"""Shared fixtures: a small framework, a unit tree and the personas every web test uses.

Personas (as in every web test): ``learner`` in commune A; ``manager_a`` manages commune A;
``manager_b`` manages commune B (same province); ``province_manager`` manages province P
(communes A and B); ``other_province_manager`` manages province Q; ``admin`` is a national
administrator; ``author`` edits the framework; ``outsider`` has no role at all.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SMALL_FRAMEWORK: dict[str, Any] = {
    "framework": {"code": "test-fw", "version": "1.0", "title": "Khung thử", "title_en": "Test"},
    "levels": [
        {"number": n, "name": name, "name_en": en}
        for n, name, en in [
            (1, "Cơ bản", "Basic"),
            (2, "Trung cấp", "Intermediate"),
            (3, "Nâng cao", "Advanced"),
            (4, "Chuyên sâu", "Specialized"),
        ]
    ],
    "areas": [
        {
            "code": "1",
            "title": "Khai thác dữ liệu và thông tin",
            "title_en": "Data and information",
            "competences": [
                {
                    "code": "1.1",
                    "title": "Tìm kiếm thông tin",
                    "title_en": "Searching",
                    "statements": [f"Tìm kiếm mức {i}" for i in range(1, 5)],
                    "statements_en": [f"Search level {i}" for i in range(1, 5)],
                },
                {
                    "code": "1.2",
                    "title": "Đánh giá thông tin",
                    "title_en": "Evaluating",
                    "statements": [f"Đánh giá mức {i}" for i in range(1, 5)],
                    "statements_en": [f"Evaluate level {i}" for i in range(1, 5)],
                },
            ],
        },
        {
            "code": "4",
            "title": "An toàn",
            "title_en": "Safety",
            "competences": [
                {
                    "code": "4.2",
                    "title": "Bảo vệ dữ liệu cá nhân",
                    "title_en": "Protecting personal data",
                    "statements": [f"Bảo vệ mức {i}" for i in range(1, 5)],
                    "statements_en": [f"Protect level {i}" for i in range(1, 5)],
                }
            ],
        },
    ],
    "prerequisites": [
        {"competence": "1.2", "level": 2, "requires_competence": "1.1", "requires_level": 2}
    ],
    "roles": [
        {
            "code": "na_deputy",
            "title": "Đại biểu Quốc hội",
            "title_en": "National Assembly deputy",
            "targets": {"1.1": 3, "1.2": 3, "4.2": 3},
        },
        {
            "code": "commune_council",
            "title": "Đại biểu HĐND cấp xã",
            "title_en": "Commune People's Council delegate",
            "targets": {"1.1": 2, "1.2": 1, "4.2": 2},
        },
    ],
}


@pytest.fixture
def small_definition() -> dict[str, Any]:
    return copy.deepcopy(SMALL_FRAMEWORK)


@pytest.fixture
def published_framework(db: Any, small_definition: dict[str, Any]) -> Any:
    from hocvu.framework import services

    return services.publish(services.create_version_from_definition(small_definition))


@dataclass
class World:
    root: Any
    assembly: Any
    province_p: Any
    province_q: Any
    commune_a: Any
    commune_b: Any
    commune_q: Any
    learner: Any
    learner_b: Any
    learner_q: Any
    manager_a: Any
    manager_b: Any
    province_manager: Any
    other_province_manager: Any
    admin: Any
    author: Any
    outsider: Any
    module: Any = None
    lesson: Any = None
    items: Any = None
    attempt: Any = None
    help_request: Any = None
    data_request: Any = None  # a privacy request (tests/identity/test_access_walk.py)
    # Set by fixtures that build on the world (exam_world, the mentoring tests' mentors).
    achievement: Any = None
    achievements: Any = None
    comp: Any = None

    def personas(self) -> dict[str, Any]:
        return {
            "anonymous": None,
            "outsider": self.outsider,
            "learner": self.learner,
            "manager_a": self.manager_a,
            "manager_b": self.manager_b,
            "province_manager": self.province_manager,
            "other_province_manager": self.other_province_manager,
            "author": self.author,
            "admin": self.admin,
        }


PASSWORD = "mat-khau-thu-nghiem-2026"


@pytest.fixture
def world(db: Any, published_framework: Any) -> World:
    from hocvu.identity.models import Role
    from hocvu.identity.services import assign_role, create_person
    from hocvu.organizations.models import UnitKind
    from hocvu.organizations.services import create_unit

    root = create_unit(code="VN", name="Toàn quốc", kind=UnitKind.NATIONAL)
    assembly = create_unit(code="QH", name="Quốc hội", kind=UnitKind.ASSEMBLY, parent=root)
    councils = create_unit(code="HDND", name="HĐND các cấp", kind=UnitKind.COUNCILS, parent=root)
    p = create_unit(
        code="HDND-P", name="HĐND tỉnh P", kind=UnitKind.PROVINCIAL_COUNCIL, parent=councils
    )
    q = create_unit(
        code="HDND-Q", name="HĐND tỉnh Q", kind=UnitKind.PROVINCIAL_COUNCIL, parent=councils
    )
    a = create_unit(code="HDND-P-A", name="HĐND xã A", kind=UnitKind.COMMUNE_COUNCIL, parent=p)
    b = create_unit(code="HDND-P-B", name="HĐND xã B", kind=UnitKind.COMMUNE_COUNCIL, parent=p)
    cq = create_unit(code="HDND-Q-C", name="HĐND xã C", kind=UnitKind.COMMUNE_COUNCIL, parent=q)

    def person(username: str, name: str, unit: Any, roles: list[tuple[str, Any]], **kw: Any) -> Any:
        user = create_person(username=username, full_name=name, unit=unit, password=PASSWORD, **kw)
        for role, scope in roles:
            assign_role(user, role, scope)
        return user

    world = World(
        root=root,
        assembly=assembly,
        province_p=p,
        province_q=q,
        commune_a=a,
        commune_b=b,
        commune_q=cq,
        learner=person(
            "learner",
            "Đặng Thị Mai",
            a,
            [(Role.LEARNER, a)],
            job_role="commune_council",
            national_id="001190000001",
        ),
        learner_b=person(
            "learner_b", "Bùi Văn Nam", b, [(Role.LEARNER, b)], national_id="001190000002"
        ),
        learner_q=person("learner_q", "Lý Thị Hoa", cq, [(Role.LEARNER, cq)]),
        manager_a=person("manager_a", "Vũ Đức Thắng", a, [(Role.UNIT_MANAGER, a)]),
        manager_b=person("manager_b", "Ngô Văn Bình", b, [(Role.UNIT_MANAGER, b)]),
        province_manager=person("province_manager", "Hoàng Thị Lan", p, [(Role.UNIT_MANAGER, p)]),
        other_province_manager=person("q_manager", "Đỗ Văn Quang", q, [(Role.UNIT_MANAGER, q)]),
        admin=person("admin", "Trần Quốc Bảo", assembly, [(Role.ADMINISTRATOR, root)]),
        author=person("author", "Lê Thu Hà", assembly, [(Role.AUTHOR, root)]),
        outsider=person("outsider", "Người Ngoài", None, []),
    )
    _add_content(world, published_framework)
    return world


def _add_content(world: World, version: Any) -> None:
    """A one-module program with a lesson and three questions, and a practice attempt."""
    from hocvu.assessment.services import start_practice
    from hocvu.content.models import Item, ItemStatus, Lesson, LessonRevision, Module, Program

    program = Program.objects.create(code="p", title="Chương trình thử", framework_version=version)
    comp = version.competences.get(code="1.1")
    module = Module.objects.create(program=program, code="M-1.1", competence=comp, title="Tìm kiếm")
    lesson = Lesson.objects.create(module=module, level=1, kind="text")
    revision = LessonRevision.objects.create(
        lesson=lesson, number=1, status="published", title="Bài 1", body="**Tìm** kiếm", minutes=8
    )
    lesson.published = revision
    lesson.save()
    items = [
        Item.objects.create(
            code=f"Q-1.1-1-0{n}",
            competence=comp,
            level=1,
            kind="single",
            status=ItemStatus.OPERATIONAL,
            stem=f"Câu hỏi {n}?",
            options=["Một", "Hai", "Ba"],
            answer=[n % 3],
            explanation=f"Giải thích {n}.",
            b=-1.0,
        )
        for n in range(1, 4)
    ]
    world.module, world.lesson, world.items = module, lesson, items
    world.attempt = start_practice(world.learner, module, [1], size=3)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Production hashes with Argon2id (tens of ms per login); tests need speed, not strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate limits, spent login states and the bank cache live in the cache: each test
    # starts with none of the previous test's counters.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# Two-step login. Staff (managers, administrators, authors) must pass a second factor before
# any page (hocvu.identity.second_factor). Tests that log a person in with ``client.login``
# or ``client.force_login`` get a session verified with the person's authenticator device,
# as after a real login with a code; ``login_without_second_factor`` gives the session a
# person has between the password and the code.
def verified_device(user: Any) -> Any:
    """The person's confirmed authenticator device (made on first use), ready for a code."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    # A code may be used once per 30 s step: let each test log the person in again.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    return device


def current_code(device: Any) -> str:
    """The 6-digit code the person's authenticator app shows now."""
    from django_otp.oath import totp

    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


_PLAIN_CLIENT_LOGIN: Any = None


def login_without_second_factor(client: Any, user: Any) -> None:
    """Log ``user`` in with the password step only (the code not entered yet)."""
    assert _PLAIN_CLIENT_LOGIN is not None
    _PLAIN_CLIENT_LOGIN(client, user, "django.contrib.auth.backends.ModelBackend")


@pytest.fixture(autouse=True)
def _client_logins_pass_the_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    global _PLAIN_CLIENT_LOGIN
    from django.test import Client

    plain = Client._login  # type: ignore[attr-defined]
    _PLAIN_CLIENT_LOGIN = plain

    def _login(self: Any, user: Any, backend: Any = None) -> None:
        plain(self, user, backend)
        from hocvu.identity.second_factor import needs_second_factor

        if needs_second_factor(user):
            from django.contrib.sessions.backends.base import SessionBase
            from django.http import HttpRequest
            from django_otp import DEVICE_ID_SESSION_KEY

            request = HttpRequest()
            session: SessionBase = self.session
            request.session = session
            session[DEVICE_ID_SESSION_KEY] = verified_device(user).persistent_id
            session.save()
            self._set_login_cookies(request)

    monkeypatch.setattr(Client, "_login", _login)


@pytest.fixture(autouse=True)
def _privacy_notice_agreed(settings: Any) -> None:
    # The privacy notice asks every person once per version (hocvu.privacy); tests of other
    # features run as people who agreed. tests/privacy turns the gate back on.
    settings.HOCVU_PRIVACY_CONSENT_GATE = False
