"""Keeping a module for offline use: what the server tells the device to keep, and what
the service worker is told never to keep."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client

from hocvu.assessment.models import Attempt, AttemptKind, AttemptStatus
from tests.conftest import World


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_module_kept_is_its_lessons_a_practice_set_and_the_path(world: World) -> None:
    client = client_for(world.learner)
    url = f"/learn/modules/{world.module.pk}/offline/"
    response = client.post(url)
    assert response.status_code == 200
    kept = response.json()
    practice = f"/learn/practice/{world.attempt.pk}/"
    assert kept == {
        "module": world.module.pk,
        "title": "1.1 Tìm kiếm",
        "start": f"/learn/lessons/{world.lesson.pk}/",
        "practice": practice,  # the set already open is kept, no new one is drawn
        "urls": ["/learn/", "/learn/path/", f"/learn/lessons/{world.lesson.pk}/", practice],
    }
    assert Attempt.objects.filter(learner=world.learner, kind=AttemptKind.PRACTICE).count() == 1
    # Once that set is finished, keeping the module again opens a new one.
    Attempt.objects.filter(pk=world.attempt.pk).update(status=AttemptStatus.FINISHED)
    again = client.post(url).json()
    assert again["practice"] and again["practice"] != practice
    assert again["practice"] in again["urls"]


def test_keeping_needs_a_logged_in_post_and_a_real_module(world: World) -> None:
    url = f"/learn/modules/{world.module.pk}/offline/"
    assert Client().post(url).status_code == 302  # to the login page
    client = client_for(world.learner)
    assert client.get(url).status_code == 405
    assert client.post("/learn/modules/999999/offline/").status_code == 404
    # Someone else's practice set is never handed out.
    other = client_for(world.learner_b).post(url).json()
    assert other["practice"] != f"/learn/practice/{world.attempt.pk}/"


def test_the_list_of_kept_modules_is_the_same_page_for_everyone(world: World) -> None:
    anonymous = Client().get("/learn/saved/")
    mine = client_for(world.learner).get("/learn/saved/")
    assert anonymous.status_code == mine.status_code == 200
    for response in (anonymous, mine):
        html = response.content.decode()
        header = re.search(r"<header.*?</header>", html, re.S)
        assert header is not None
        assert "/accounts/login/" not in header.group(0)
        assert "data-logout" not in header.group(0)
        assert 'id="kept-modules"' in html


def test_the_offline_page_never_offers_to_log_in_or_out(world: World) -> None:
    for client in (Client(), client_for(world.learner)):
        html = client.get("/offline/").content.decode()
        header = re.search(r"<header.*?</header>", html, re.S)
        assert header is not None
        assert "/accounts/login/" not in header.group(0)
        assert "data-logout" not in header.group(0)
        assert "Đăng nhập" not in header.group(0) and "Log in" not in header.group(0)


def test_the_service_worker_never_keeps_the_exam_or_the_api(world: World) -> None:
    source = Client().get("/sw.js").content.decode()
    config = json.loads(re.match(r"const CONFIG = (\{.*?\});\n", source).group(1))  # type: ignore[union-attr]
    assert config["never"] == ["/learn/exam/", "/api/v1/"]
    # The rule is applied before anything is cached or answered from a cache.
    fetch_handler = source[source.index('addEventListener("fetch"') :]
    assert fetch_handler.index("never(url, request)") < fetch_handler.index("cacheFirst")
    assert config["shell"][:2] == ["/offline/", "/learn/saved/"]
    # What a module keeps never includes an exam page.
    kept = client_for(world.learner).post(f"/learn/modules/{world.module.pk}/offline/").json()
    assert not [u for u in kept["urls"] if u.startswith("/learn/exam/")]


def test_a_lesson_read_offline_is_recorded_once_when_sent_again(world: World) -> None:
    from hocvu.learning.models import LessonProgress

    client = client_for(world.learner)
    url = f"/learn/lessons/{world.lesson.pk}/done/"
    for _ in range(2):  # the device may send it twice
        response = client.post(url, {"next": "/learn/path/"}, headers={"HX-Request": "true"})
        assert response.status_code == 204
    progress = LessonProgress.objects.filter(learner=world.learner, lesson=world.lesson)
    assert progress.count() == 1 and progress.get().completed_at is not None
    # A plain form still goes on to the next page.
    assert client.post(url, {"next": "/learn/path/"})["Location"] == "/learn/path/"
