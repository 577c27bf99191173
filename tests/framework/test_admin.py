from __future__ import annotations

import pytest
from django.test import Client

from hocvu.framework.models import CompetenceLevel, FrameworkVersion
from tests.conftest import World


@pytest.mark.django_db
def test_an_author_drafts_changes_and_publishes_through_the_admin(world: World) -> None:
    client = Client()
    client.force_login(world.author)
    published = FrameworkVersion.objects.get()
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Khung năng lực" in index.content.decode()  # the admin speaks Vietnamese
    assert "/admin/identity/user/" not in index.content.decode()  # authors don't manage people

    response = client.post(
        "/admin/framework/frameworkversion/",
        {"action": "start_new_draft", "_selected_action": [published.pk]},
    )
    assert response.status_code == 302
    draft = FrameworkVersion.objects.get(status="draft")

    level = CompetenceLevel.objects.get(competence__version=draft, competence__code="1.1", level=1)
    level.statement = "Tìm văn bản trên Cổng thông tin điện tử Quốc hội"
    level.save()
    page = client.get(f"/admin/framework/frameworkversion/{draft.pk}/change/").content.decode()
    assert "competence 1.1 level 1" in page and "Cổng thông tin điện tử Quốc hội" in page

    # The published version cannot be edited in the admin.
    page = client.get(f"/admin/framework/frameworkversion/{published.pk}/change/").content.decode()
    assert 'name="_save"' not in page

    client.post(
        "/admin/framework/frameworkversion/",
        {"action": "publish_versions", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.is_published


@pytest.mark.django_db
def test_a_unit_manager_cannot_enter_the_admin(world: World) -> None:
    client = Client()
    client.force_login(world.province_manager)
    assert client.get("/admin/").status_code == 302
    assert client.get(f"/admin/identity/user/{world.learner.pk}/change/").status_code == 302
