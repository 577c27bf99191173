from __future__ import annotations

from typing import Any

import pytest

from hocvu.framework import services
from hocvu.framework.models import (
    Competence,
    CompetenceLevel,
    FrameworkVersion,
    PublishedVersionError,
    RoleTarget,
)


def counts() -> tuple[int, int, int]:
    return (
        FrameworkVersion.objects.count(),
        Competence.objects.count(),
        CompetenceLevel.objects.count(),
    )


@pytest.mark.django_db
def test_the_shipped_framework_is_complete() -> None:
    version = services.install_default()
    assert version.is_published
    assert version.areas.count() == 6
    assert version.competences.count() == 24
    assert CompetenceLevel.objects.filter(competence__version=version).count() == 96
    codes = {p.code for p in version.role_profiles.all()}
    assert codes == {
        "na_deputy",
        "na_official",
        "provincial_council",
        "commune_council",
        "civil_servant",
        "citizen",
        "digital_transformation_officer",
        "unit_leader",
        "research_officer",
    }
    for profile in version.role_profiles.all():
        assert profile.targets.count() == 24, profile.code
    assert version.levels.get(number=4).name == "Chuyên sâu"
    assert services.install_default() == version  # idempotent


@pytest.mark.django_db
def test_a_published_version_is_immutable(published_framework: FrameworkVersion) -> None:
    competence = published_framework.competences.first()
    assert competence is not None
    competence.title = "Đổi tên"
    with pytest.raises(PublishedVersionError):
        competence.save()
    level = CompetenceLevel.objects.filter(competence=competence).first()
    assert level is not None
    with pytest.raises(PublishedVersionError):
        level.delete()
    published_framework.title = "x"
    with pytest.raises(PublishedVersionError):
        published_framework.save()
    with pytest.raises(PublishedVersionError):
        services.publish(published_framework)


@pytest.mark.django_db
def test_a_new_draft_is_compared_then_published(published_framework: FrameworkVersion) -> None:
    draft = services.new_draft(published_framework.framework, label="1.1")
    assert draft.based_on == published_framework and not draft.is_published
    # The same concepts keep their identifiers across versions.
    old = {c.code: c.uuid for c in published_framework.competences.all()}
    new = {c.code: c.uuid for c in draft.competences.all()}
    assert old == new
    assert {r.code: r.uuid for r in draft.role_profiles.all()} == {
        r.code: r.uuid for r in published_framework.role_profiles.all()
    }
    assert {lv.number: lv.uuid for lv in draft.levels.all()} == {
        lv.number: lv.uuid for lv in published_framework.levels.all()
    }
    assert services.compare(published_framework, draft) == []

    level3 = CompetenceLevel.objects.get(competence__version=draft, competence__code="1.2", level=3)
    level3.statement = "Đánh giá độ tin cậy của dữ liệu thống kê trong báo cáo thẩm tra"
    level3.save()
    target = RoleTarget.objects.get(
        profile__version=draft, profile__code="na_deputy", competence__code="4.2"
    )
    target.level = 4
    target.save()
    changes = services.compare(published_framework, draft)
    subjects = {(c.kind, c.subject, c.field) for c in changes}
    assert subjects == {
        ("changed", "competence 1.2 level 3", "statement"),
        ("changed", "role na_deputy target 4.2", "level"),
    }
    services.publish(draft)
    assert services.current_version("test-fw") == draft
    # What was measured against version 1 still points at version 1's rows.
    assert (
        CompetenceLevel.objects.get(
            competence__version=published_framework, competence__code="1.2", level=3
        ).statement
        == "Đánh giá mức 3"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["areas"][0]["competences"][1].pop("title"), "competence 1.2: missing 'title'"),
        (lambda d: d["areas"][0]["competences"][0]["statements"].pop(), "one statement per level"),
        (lambda d: d["roles"][0]["targets"].update({"9.9": 2}), "unknown competence 9.9"),
        (lambda d: d["roles"][0]["targets"].update({"1.1": 5}), "level must be 1, 2, 3 or 4"),
        (
            lambda d: d["prerequisites"].append(
                {"competence": "1.1", "level": 2, "requires_competence": "1.2", "requires_level": 2}
            ),
            "cycle",
        ),
        (lambda d: d["levels"].pop(), "exactly the four levels"),
    ],
)
def test_a_bad_definition_names_the_problem_and_changes_nothing(
    small_definition: dict[str, Any], mutate: Any, message: str
) -> None:
    before = counts()
    mutate(small_definition)
    with pytest.raises(services.DefinitionError, match=message):
        services.create_version_from_definition(small_definition)
    assert counts() == before
