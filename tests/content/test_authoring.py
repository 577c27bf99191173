"""Authors edit lessons as drafts with a live preview, publish them, and curate items."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from hocvu.audit.models import AuditEvent
from hocvu.content.models import Item, ItemStatus, LessonRevision, RevisionStatus
from hocvu.content.services import provisional_parameters
from hocvu.learning.models import LessonProgress
from tests.conftest import World

PREVIEW = "/admin-tools/preview/"


def client_for(user: Any, **kw: Any) -> Client:
    client = Client(**kw)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_an_author_drafts_previews_and_publishes_and_progress_survives(world: World) -> None:
    lesson = world.lesson
    first = lesson.published
    learner = client_for(world.learner)
    assert (
        "<strong>Tìm</strong> kiếm" in learner.get(f"/learn/lessons/{lesson.pk}/").content.decode()
    )
    learner.post(f"/learn/lessons/{lesson.pk}/done/")
    progress = LessonProgress.objects.get(learner=world.learner, lesson=lesson)
    assert progress.completed_at is not None

    # "New draft" starts a copy of the published text and opens it.
    author = client_for(world.author)
    response = author.post(
        "/admin/content/lesson/", {"action": "new_draft", "_selected_action": [lesson.pk]}
    )
    draft = LessonRevision.objects.get(lesson=lesson, status=RevisionStatus.DRAFT)
    assert response.status_code == 302 and response["Location"].endswith(
        f"/admin/content/lessonrevision/{draft.pk}/change/"
    )
    assert (draft.number, draft.body) == (2, first.body)
    page = author.get(response["Location"]).content.decode()
    assert 'id="hocvu-preview"' in page and 'name="_publish"' in page
    assert f'data-url="{PREVIEW}"' in page

    # The preview renders Markdown like a lesson page and escapes raw HTML.
    csrf = client_for(world.author, enforce_csrf_checks=True)
    token = csrf.get(response["Location"]).cookies["csrftoken"].value
    text = "## Tra cứu\n\n**Cổng** thông tin <script>alert(1)</script>\n\n> **Lưu ý:** kiểm tra"
    assert csrf.post(PREVIEW, {"body": text}).status_code == 403  # no CSRF token
    shown = csrf.post(PREVIEW, {"body": text}, HTTP_X_CSRFTOKEN=token)
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "<h2>Tra cứu</h2>" in html and "<strong>Cổng</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'class="callout note"' in html
    assert author.get(PREVIEW).status_code == 405

    # Learners read the published text while the draft changes.
    new_body = "Bản mới: **tìm kiếm nâng cao** trên Cổng thông tin điện tử Quốc hội."
    form = {
        "title": "Bài 1 (bản mới)",
        "title_en": "",
        "minutes": "9",
        "body": new_body,
        "transcript": "",
    }
    assert author.post(response["Location"], {**form, "_continue": "1"}).status_code == 302
    assert "nâng cao" not in learner.get(f"/learn/lessons/{lesson.pk}/").content.decode()

    # Publish from the form: the old revision is archived, learners get the new text.
    done = author.post(response["Location"], {**form, "_publish": "1"})
    assert done.status_code == 302
    lesson.refresh_from_db()
    first.refresh_from_db()
    assert lesson.published_id == draft.pk and first.status == RevisionStatus.ARCHIVED
    assert AuditEvent.objects.filter(action="lesson.publish").exists()
    page = learner.get(f"/learn/lessons/{lesson.pk}/").content.decode()
    assert "<strong>tìm kiếm nâng cao</strong>" in page and "Bài 1 (bản mới)" in page

    # The learner's progress belongs to the lesson and survived the new version.
    again = LessonProgress.objects.get(learner=world.learner, lesson=lesson)
    assert again.pk == progress.pk and again.completed_at == progress.completed_at

    # Published and archived revisions are read-only.
    for revision in (draft, first):
        change = author.get(f"/admin/content/lessonrevision/{revision.pk}/change/").content
        assert b'name="_save"' not in change and b'name="_publish"' not in change
        refused = author.post(
            f"/admin/content/lessonrevision/{revision.pk}/change/", {**form, "body": "x"}
        )
        assert refused.status_code == 403
    assert LessonRevision.objects.get(pk=first.pk).body == first.body


@pytest.mark.django_db
def test_the_new_draft_button_and_publishing_through_the_list_action(world: World) -> None:
    author = client_for(world.admin)
    button = f"/admin/content/lesson/{world.lesson.pk}/new-draft/"
    assert button.encode() in author.get(f"/admin/content/lesson/{world.lesson.pk}/change/").content
    assert author.get(button).status_code == 405
    opened = author.post(button)
    draft = LessonRevision.objects.get(status=RevisionStatus.DRAFT)
    assert opened["Location"].endswith(f"/admin/content/lessonrevision/{draft.pk}/change/")
    assert author.post(button)["Location"] == opened["Location"]  # one draft at a time
    author.post(
        "/admin/content/lessonrevision/", {"action": "publish", "_selected_action": [draft.pk]}
    )
    world.lesson.refresh_from_db()
    assert world.lesson.published_id == draft.pk


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "learner", "manager_a", "outsider"])
def test_learners_and_others_cannot_reach_authoring(world: World, persona: str) -> None:
    user = world.personas()[persona]
    client = client_for(user)
    assert client.post(PREVIEW, {"body": "**x**"}).status_code == 403
    revision = world.lesson.published
    for url in (
        "/admin/content/lesson/",
        f"/admin/content/lessonrevision/{revision.pk}/change/",
        "/admin/content/item/",
        f"/admin/content/item/{world.items[0].pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url
    response = client.post(
        "/admin/content/lesson/", {"action": "new_draft", "_selected_action": [world.lesson.pk]}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.post(f"/admin/content/lesson/{world.lesson.pk}/new-draft/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not LessonRevision.objects.filter(status=RevisionStatus.DRAFT).exists()


@pytest.mark.django_db
def test_items_move_through_their_statuses_with_checks(world: World) -> None:
    author = client_for(world.author)
    comp = world.items[0].competence
    base = {
        "competence": comp.pk,
        "level": "2",
        "kind": "single",
        "stem": "Khi nhận thư lạ có đính kèm, việc nên làm trước tiên là gì?",
        "options": '["Mở ngay", "Kiểm tra người gửi", "Chuyển tiếp"]',
        "explanation": "Kiểm tra người gửi trước khi mở tệp đính kèm.",
        "image": "",
    }
    # The key is checked when the item is saved.
    bad = author.post("/admin/content/item/add/", {**base, "code": "Q-NEW-1", "answer": "[5]"})
    assert bad.status_code == 200 and not Item.objects.filter(code="Q-NEW-1").exists()
    ok = author.post("/admin/content/item/add/", {**base, "code": "Q-NEW-1", "answer": "[1]"})
    assert ok.status_code == 302
    item = Item.objects.get(code="Q-NEW-1")
    assert item.status == ItemStatus.DRAFT
    assert (item.a, item.b, item.c) == provisional_parameters(2, "single", 3)
    assert item.b == 0.0 and item.c == 0.333

    changelist = "/admin/content/item/"

    def move(action: str, target: Item) -> None:
        author.post(changelist, {"action": action, "_selected_action": [target.pk]})
        target.refresh_from_db()

    move("to_operational", item)  # a draft is piloted first
    assert item.status == ItemStatus.DRAFT
    Item.objects.filter(pk=item.pk).update(answer=[7])  # e.g. a broken import
    move("to_pilot", item)
    assert item.status == ItemStatus.DRAFT
    Item.objects.filter(pk=item.pk).update(answer=[1])
    move("to_pilot", item)
    assert item.status == ItemStatus.PILOT
    page = author.get(f"/admin/content/item/{item.pk}/change/").content.decode()
    assert 'name="answer"' in page  # the key can still be corrected while piloting

    Item.objects.filter(pk=item.pk).update(flags=["negative_discrimination"])
    move("to_operational", item)
    assert item.status == ItemStatus.PILOT
    Item.objects.filter(pk=item.pk).update(flags=[])
    move("to_operational", item)
    assert item.status == ItemStatus.OPERATIONAL
    page = author.get(f"/admin/content/item/{item.pk}/change/").content.decode()
    assert 'name="answer"' not in page and 'name="explanation"' in page
    move("retire", item)
    assert item.status == ItemStatus.RETIRED
    moves = AuditEvent.objects.filter(action="item.status").values_list("data", flat=True)
    assert [(d["from"], d["to"]) for d in moves] == [
        ("draft", "pilot"),
        ("pilot", "operational"),
        ("operational", "retired"),
    ]
    # Answered or live items are never deleted.
    assert author.get(f"/admin/content/item/{item.pk}/delete/").status_code == 403
    assert reverse("authoring-preview") == PREVIEW
