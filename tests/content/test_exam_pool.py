"""The secure exam pool: loaded apart from the curriculum, by code, all or nothing, from
the shipped files or a private directory; never mixed with the learning pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hocvu.content import services
from hocvu.content.models import Item, ItemPool, ItemStatus


def item_toml(competence: str, level: int, topic: str | None, stem: str, **extra: str) -> str:
    lines = [
        "[[items]]",
        f'competence = "{competence}"',
        f"level = {level}",
        'kind = "single"',
        f'stem = "{stem}"',
        'options = ["Một", "Hai", "Ba", "Bốn"]',
        "answer = [2]",
        'explanation = "Vì ba."',
    ]
    if topic is not None:
        lines.append(f'topic = "{topic}"')
    lines += [f"{key} = {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n\n"


def write_pool(directory: Path, name: str, *tables: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("".join(tables), encoding="utf-8")
    return path


@pytest.fixture
def small_pool(tmp_path: Path) -> Path:
    pool = tmp_path / "exam"
    write_pool(
        pool,
        "area-1.toml",
        item_toml("1.1", 1, "tim-theo-so-hieu", "Tìm văn bản theo số hiệu thế nào?"),
        item_toml("1.1", 1, "loc-theo-ngay", "Lọc kết quả theo ngày ban hành thế nào?"),
        item_toml(
            "1.1", 2, "toan-tu-tim-kiem", "Toán tử nào tìm đúng cụm từ?", enemies='["X-1.1-1-01"]'
        ),
    )
    write_pool(pool, "area-4.toml", item_toml("4.2", 2, "mat-khau", "Mật khẩu nào mạnh nhất?"))
    return pool


@pytest.mark.django_db
def test_the_pool_installs_by_code_as_secure_operational_items(
    published_framework: Any, small_pool: Path
) -> None:
    report = services.install_exam_pool(published_framework, directory=small_pool)
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    items = {i.code: i for i in Item.objects.all()}
    assert sorted(items) == ["X-1.1-1-01", "X-1.1-1-02", "X-1.1-2-01", "X-4.2-2-01"]
    assert all(
        i.pool == ItemPool.EXAM and i.status == ItemStatus.OPERATIONAL for i in items.values()
    )
    assert items["X-1.1-1-02"].topic == "loc-theo-ngay"
    # The enemy named in the file is linked both ways.
    assert list(items["X-1.1-1-01"].enemies.values_list("code", flat=True)) == ["X-1.1-2-01"]
    # Nothing of it reaches the learning side.
    assert not services.bank_items(published_framework).exists()
    assert services.exam_items(published_framework).count() == 4


@pytest.mark.django_db
def test_installing_again_changes_nothing_and_an_edit_keeps_status_and_parameters(
    published_framework: Any, small_pool: Path
) -> None:
    services.install_exam_pool(published_framework, directory=small_pool)
    again = services.install_exam_pool(published_framework, directory=small_pool)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert Item.objects.count() == 4
    Item.objects.filter(code="X-4.2-2-01").update(status=ItemStatus.PILOT, b=1.23)
    write_pool(small_pool, "area-4.toml", item_toml("4.2", 2, "mat-khau", "Mật khẩu nào khó đoán?"))
    edited = services.install_exam_pool(published_framework, directory=small_pool)
    assert (edited.created, edited.updated, edited.unchanged) == (0, 1, 3)
    item = Item.objects.get(code="X-4.2-2-01")
    assert item.stem == "Mật khẩu nào khó đoán?"
    assert (item.status, item.b) == (ItemStatus.PILOT, 1.23)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (item_toml("1.1", 1, None, "Không có chủ đề?"), r"area-9\.toml items\[0\]: .*'topic'"),
        (item_toml("9.9", 1, "x", "Năng lực lạ?"), "unknown competence '9.9'"),
        (item_toml("1.1", 5, "x", "Mức lạ?"), "level must be 1..4"),
        (item_toml("1.2", 3, "x", "Kẻ thù lạ?", enemies='["X-7.7-1-01"]'), "unknown enemies"),
        (item_toml("1.2", 3, "x", "Đáp án lạ?", answer="[7]"), "area-9.toml"),
        ("[[items]\nbroken", "area-9.toml"),
    ],
)
@pytest.mark.django_db
def test_bad_input_is_refused_whole_and_named(
    published_framework: Any, small_pool: Path, table: str, message: str
) -> None:
    write_pool(small_pool, "area-9.toml", table)
    with pytest.raises(services.CurriculumError, match=message):
        services.install_exam_pool(published_framework, directory=small_pool)
    assert not Item.objects.exists()  # the good files did not go in either


@pytest.mark.django_db
def test_a_code_held_by_a_learning_item_is_refused(
    published_framework: Any, small_pool: Path
) -> None:
    comp = published_framework.competences.get(code="4.2")
    Item.objects.create(
        code="X-4.2-2-01",
        competence=comp,
        level=2,
        kind="true_false",
        stem="?",
        answer=True,
        explanation="",
    )
    with pytest.raises(services.CurriculumError, match="held by learning items"):
        services.install_exam_pool(published_framework, directory=small_pool)
    assert Item.objects.count() == 1


@pytest.mark.django_db
def test_a_private_directory_replaces_the_shipped_pool(
    published_framework: Any, small_pool: Path, settings: Any, tmp_path: Path
) -> None:
    from hocvu.content.models import Program

    Program.objects.create(code="p", title="P", framework_version=published_framework)
    settings.HOCVU_EXAM_POOL_DIR = str(small_pool)
    assert services.exam_directory() == small_pool
    call_command("install_exam_pool")
    assert services.exam_items(published_framework).count() == 4
    settings.HOCVU_EXAM_POOL_DIR = str(tmp_path / "missing")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("install_exam_pool")
    settings.HOCVU_EXAM_POOL_DIR = ""
    assert services.exam_directory() == services.EXAM


def test_the_linter_proposes_alike_exam_items_as_enemies() -> None:
    from hocvu.content import linter

    stem = "Ông Hùng nhận cuộc gọi video giống giọng chủ tịch xã nhờ chuyển tiền gấp, nên làm gì"
    alike = "Bà Mai nhận cuộc gọi video giống giọng chủ tịch xã nhờ chuyển khoản gấp, cần làm gì"
    other = "Máy in của văn phòng báo hết mực khi in biên bản họp hội đồng nhân dân, xử lý sao"

    def item(code: str, text: str, pool: str = "exam", topic: str = "") -> linter.LintItem:
        return linter.LintItem(code, "4.2", 3, "single", text, ("A", "B"), [0], "", pool, topic)

    items = [item("X-1", stem, topic="deepfake-call"), item("X-2", alike), item("X-3", other)]
    found = linter.propose_enemies(items)
    assert [f.codes for f in found] == [("X-1", "X-2")] and found[0].check == "enemy-proposed"
    assert "link them as enemies" in found[0].fix
    # Already linked, of one topic, or in the learning pool: nothing to propose.
    assert not linter.propose_enemies(items, linked=[("X-2", "X-1")])
    items[1] = item("X-2", alike, topic=" Deepfake-call ")
    assert not linter.propose_enemies(items)
    assert not linter.propose_enemies(
        [item("Q-1", stem, "learning"), item("Q-2", alike, "learning")]
    )
    # Not a finding of lint(): a proposal is a question for an author, not a defect.
    assert not [f for f in linter.lint(items) if f.check == "enemy-proposed"]


@pytest.mark.django_db
def test_the_admin_shows_proposed_enemies_and_links_them(
    world: Any, published_framework: Any, tmp_path: Path
) -> None:
    from django.test import Client
    from django.urls import reverse

    pool = tmp_path / "exam"
    write_pool(
        pool,
        "area-4.toml",
        item_toml(
            "4.2",
            3,
            "goi-video-gia",
            "Ông Hùng nhận cuộc gọi video giống giọng chủ tịch xã nhờ chuyển tiền gấp, nên làm gì?",
        ),
        item_toml(
            "4.2",
            3,
            "cuoc-goi-lua",
            "Bà Mai nhận cuộc gọi video giống giọng chủ tịch xã nhờ chuyển khoản gấp, cần làm gì?",
        ),
    )
    services.install_exam_pool(published_framework, directory=pool)
    first, second = Item.objects.filter(pool=ItemPool.EXAM).order_by("code")
    client = Client()
    client.force_login(world.author)
    page = client.get(reverse("admin:content_item_change", args=[first.pk])).content.decode()
    assert "X-4.2-3-02" in page and "link them as enemies" in page
    done = client.post(
        reverse("admin:content_item_changelist"),
        {"action": "link_proposed_enemies", "_selected_action": [first.pk, second.pk]},
    )
    assert done.status_code == 302
    assert list(first.enemies.all()) == [second]
    from hocvu.content.admin import _enemy_proposals

    assert not _enemy_proposals(published_framework.pk)  # nothing left to propose


ROOT = Path(__file__).resolve().parents[2]


def test_the_counts_in_the_docs_match_the_shipped_files() -> None:
    from hocvu.content import counts

    table = counts.counts_table(
        counts.shipped_counts(
            services.CURRICULUM,
            services.EXAM,
            ROOT / "hocvu/framework/data/default_framework.toml",
        )
    )
    doc = (ROOT / "docs/item-bank.md").read_text(encoding="utf-8")
    assert counts.section(doc) == table, (
        "docs/item-bank.md: the item counts are out of date; run manage.py bank_counts --write"
    )


def test_the_shipped_pools_share_no_code_and_no_question() -> None:
    from hocvu.content import linter

    bank = linter.shipped_bank(services.CURRICULUM, services.EXAM)
    learning = [i for i in bank if i.pool == "learning"]
    secure = [i for i in bank if i.pool == "exam"]
    assert learning and secure
    assert all(i.code.startswith("Q-") for i in learning)
    assert all(i.code.startswith("X-") for i in secure)
    assert len({i.code for i in bank}) == len(bank)
    # A question of the exam that is also a practice question would be answered there.
    asked = {linter.fold(i.stem) for i in learning}
    assert not [i.code for i in secure if linter.fold(i.stem) in asked]
    assert all(i.topic.strip() for i in secure)


@pytest.mark.django_db
def test_no_shipped_exam_item_is_selectable_by_a_learning_activity() -> None:
    from hocvu.assessment import bank
    from hocvu.assessment.models import AttemptKind
    from hocvu.assessment.services import start_practice
    from hocvu.content.models import Module
    from hocvu.framework.services import install_default
    from tests.learning import make_learner

    version = install_default()
    services.install_curriculum(version)
    report = services.install_exam_pool(version)
    assert report.items == report.created > 0
    secure = set(services.exam_items(version).values_list("code", flat=True))
    assert not secure & set(bank.operational_bank(version).bank.index_of)
    learner = make_learner()
    for module in Module.objects.select_related("program__framework_version", "competence"):
        for kind in (AttemptKind.PRACTICE, AttemptKind.MASTERY_CHECK):
            attempt = start_practice(learner, module, [1, 2, 3, 4], size=1000, kind=kind)
            assert attempt.state["items"] and not secure & set(attempt.state["items"])
            attempt.delete()
