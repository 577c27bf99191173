from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from hocvu.settings import database_from_url
from tests.conftest import World


@pytest.mark.django_db
def test_healthz_answers_when_the_database_does(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.django_db
def test_the_framework_is_shown_in_vietnamese_then_english(client: Client, world: World) -> None:
    page = client.get("/framework/").content.decode()
    assert '<html lang="vi">' in page
    assert "Khung năng lực" in page and "Khai thác dữ liệu và thông tin" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/framework/"})
    page = client.get("/framework/").content.decode()
    assert '<html lang="en">' in page
    assert "Data and information" in page and "Framework" in page


@pytest.mark.django_db
def test_the_competence_page_lists_four_levels(client: Client, world: World) -> None:
    page = client.get("/framework/competences/1.2/").content.decode()
    for level in range(1, 5):
        assert f"Đánh giá mức {level}" in page
    assert "/framework/competences/1.1/" in page  # its prerequisite
    assert client.get("/framework/competences/9.9/").status_code == 404


@pytest.mark.django_db
def test_a_learner_sees_their_target_profile(client: Client, world: World) -> None:
    client.force_login(world.learner)
    page = client.get("/").content.decode()
    assert "Đại biểu HĐND cấp xã" in page


def test_database_urls_are_understood() -> None:
    pg = database_from_url("postgres://u:p%40ss@db.example:5433/hocvu?sslmode=require")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "u",
        "p@ss",
        "db.example",
        "5433",
        "hocvu",
    )
    assert pg["OPTIONS"] == {"sslmode": "require"}
    assert database_from_url("sqlite:////srv/hocvu.db")["NAME"] == "/srv/hocvu.db"
    with pytest.raises(ValueError, match="unsupported"):
        database_from_url("mysql://x/y")


def test_the_vietnamese_catalog_is_complete() -> None:
    po = Path(settings.BASE_DIR) / "hocvu" / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
