"""Content that stays current: the registry of cited documents and the flags it raises."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from hocvu.audit.models import AuditEvent
from hocvu.content import services
from hocvu.content.models import Item, LegalDocument, Lesson
from tests.conftest import World


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_shipped_content_cites_no_replaced_document() -> None:
    from hocvu.framework.services import install_default

    version = install_default()
    services.install_curriculum(version)
    replaced = services.replaced_documents()
    # The registry knows the superseded texts, so a citation of one would be caught ...
    assert set(replaced.values_list("number", flat=True)) >= {"13/2023/NĐ-CP", "24/2018/QH14"}
    old = LegalDocument.objects.get(number="13/2023/NĐ-CP")
    assert old.replaced_by is not None and old.replaced_by.number == "356/2025/NĐ-CP"
    # ... and nothing shipped cites one.
    citing = [str(x) for x in services.outdated_lessons()] + [
        x.code for x in services.outdated_items()
    ]
    assert citing == [], f"shipped content cites replaced documents: {citing}"
    # The personal-data lessons cite the law in force, and every lesson has review dates.
    law = LegalDocument.objects.get(number="91/2025/QH15")
    assert law.lessons.count() >= 4 and law.items.count() >= 2
    assert not Lesson.objects.filter(review_by__isnull=True).exists()
    assert not Lesson.objects.filter(reviewed_on__isnull=True).exists()
    # Installing again changes nothing (documents included).
    before = LegalDocument.objects.count()
    services.install_curriculum(version)
    assert LegalDocument.objects.count() == before


@pytest.mark.django_db
def test_a_citation_of_an_unknown_document_is_refused(tmp_path: Path) -> None:
    from hocvu.framework.services import install_default

    version = install_default()
    bad = tmp_path / "area-9.toml"
    bad.write_text(
        '[[items]]\ncompetence = "1.1"\nlevel = 1\nkind = "true_false"\n'
        'stem = "x"\nanswer = true\nexplanation = "y"\ncites = ["1/2099/QH99"]\n',
        encoding="utf-8",
    )
    with pytest.raises(services.CurriculumError, match="1/2099/QH99"):
        services.install_curriculum(version, files=[bad], code="broken")
    assert not Item.objects.filter(stem="x").exists()


@pytest.mark.django_db
def test_marking_a_document_replaced_in_the_admin_flags_its_citing_content(
    world: World,
) -> None:
    old = LegalDocument.objects.create(
        number="13/2023/NĐ-CP",
        title="Nghị định về bảo vệ dữ liệu cá nhân",
        issuer="Chính phủ",
        kind="decree",
    )
    new = LegalDocument.objects.create(
        number="356/2025/NĐ-CP",
        title="Nghị định hướng dẫn Luật",
        issuer="Chính phủ",
        kind="decree",
    )
    item = world.items[0]
    world.lesson.cites.add(old)
    item.cites.add(old)
    author = client_for(world.author)
    lessons = "/admin/content/lesson/?outdated=yes"
    items = "/admin/content/item/?outdated=yes"
    assert "Bài 1" not in author.get(lessons).content.decode()
    assert item.code not in author.get(items).content.decode()

    form = {
        "number": old.number,
        "title": old.title,
        "issuer": old.issuer,
        "kind": "decree",
        "in_force_from": "2023-07-01",
        "source_url": "",
        "replaced_by": str(new.pk),
        "replaced_on": "2026-01-01",
    }
    url = f"/admin/content/legaldocument/{old.pk}/change/"
    # Personas without the author role change nothing.
    for who in (world.learner, world.manager_a, world.outsider):
        client_for(who).post(url, form)
        old.refresh_from_db()
        assert old.replaced_by_id is None, who
    assert author.post(url, form).status_code == 302
    old.refresh_from_db()
    assert old.replaced_by == new and old.replaced_on == datetime.date(2026, 1, 1)
    assert old.in_force_from == datetime.date(2023, 7, 1)
    event = AuditEvent.objects.get(action="document.replace")
    assert event.data["lessons"] == 1 and event.data["items"] == 1

    assert "Bài 1" in author.get(lessons).content.decode()
    listed = author.get(items).content.decode()
    assert item.code in listed and world.items[1].code not in listed
    dashboard = author.get("/admin/content/legaldocument/").content.decode()
    assert 'id="currency-dashboard"' in dashboard
    assert services.outdated_lessons().count() == 1
    assert services.outdated_items().count() == 1


@pytest.mark.django_db
def test_the_list_action_marks_replaced_and_a_document_cannot_replace_itself(
    world: World,
) -> None:
    doc = LegalDocument.objects.create(
        number="24/2018/QH14", title="Luật An ninh mạng", issuer="Quốc hội", kind="law"
    )
    world.lesson.cites.add(doc)
    author = client_for(world.admin)
    response = author.post(
        "/admin/content/legaldocument/",
        {"action": "mark_replaced_today", "_selected_action": [doc.pk]},
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.is_replaced and list(services.outdated_lessons()) == [world.lesson]
    with pytest.raises(ValueError):
        services.mark_replaced(doc, replaced_by=doc, replaced_on=None)
    # Documents are never deleted: lessons point at them.
    assert author.post(f"/admin/content/legaldocument/{doc.pk}/delete/", {"post": "yes"})
    assert LegalDocument.objects.filter(pk=doc.pk).exists()


def test_every_competence_has_a_role_that_needs_its_level_4_material() -> None:
    import tomllib

    from hocvu.framework import services as framework

    with framework.DEFAULT_FRAMEWORK.open("rb") as handle:
        data = tomllib.load(handle)
    codes = [c["code"] for a in data["areas"] for c in a["competences"]]
    needing_4 = {c for r in data["roles"] for c, level in r["targets"].items() if level == 4}
    assert needing_4 == set(codes)
    # The commune council guides residents in VNeID and online services (2.3, level 3).
    commune = next(r for r in data["roles"] if r["code"] == "commune_council")
    assert commune["targets"]["2.3"] == 3


def test_content_that_names_a_document_by_number_cites_it() -> None:
    """A number in the text without a citation would escape the replaced-document flags."""
    import tomllib

    with services.DOCUMENTS.open("rb") as handle:
        documents = tomllib.load(handle)["documents"]
    # Only what the learner is told applies: a replaced text may be named in passing.
    numbers = [d["number"] for d in documents if not d.get("replaced_by")]
    missing = []
    for path in sorted(services.CURRICULUM.glob("area-*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        texts = [
            (lesson["title"], lesson["body"] + lesson.get("transcript", ""), lesson)
            for module in data.get("modules", [])
            for lesson in module.get("lessons", [])
        ] + [
            (item["stem"][:60], " ".join([item["stem"], *item.get("options", [])]), item)
            for item in data.get("items", [])
        ]
        for name, text, raw in texts:
            named = {n for n in numbers if n in text}
            if named - set(raw.get("cites", [])):
                missing.append(f"{path.name}: {name}: {sorted(named - set(raw.get('cites', [])))}")
    assert missing == []
