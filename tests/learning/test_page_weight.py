"""Every learner page stays light: gzip(HTML) + gzip(each local CSS/JS it loads) ≤ 50 KiB.

Learners connect from commune offices and phones on slow mobile networks, so a page and
the stylesheets and scripts it references must fit in 50 KiB compressed (images aside).
The weight is computed here from the rendered HTML and the static files themselves, so it
does not depend on whether the server compresses responses.
"""

from __future__ import annotations

import gzip
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD

LIMIT = 50 * 1024


class _References(HTMLParser):
    """Stylesheets and scripts a page makes the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        rel = (a.get("rel") or "").lower().split()
        if tag == "script" and a.get("src"):
            self.urls.append(str(a["src"]))
        elif tag == "link" and a.get("href"):
            preload = "preload" in rel and a.get("as") in ("style", "script")
            if preload or "stylesheet" in rel or "modulepreload" in rel:
                self.urls.append(str(a["href"]))


def gz(data: bytes) -> int:
    """Compressed size at the level Django's GZipMiddleware and most servers use."""
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def page_weight(html: bytes) -> tuple[int, dict[str, int]]:
    parser = _References()
    parser.feed(html.decode("utf-8"))
    parts = {"(html)": gz(html)}
    for url in parser.urls:
        path = url.split("?", 1)[0].split("#", 1)[0]
        assert path.startswith(settings.STATIC_URL), f"not a local static file: {url}"
        found = finders.find(path.removeprefix(settings.STATIC_URL))
        assert found, f"referenced static file is missing: {url}"
        with open(found, "rb") as handle:
            parts[path] = gz(handle.read())
    return sum(parts.values()), parts


def _right(item: Any) -> dict[str, Any]:
    assert item.kind in ("single", "scenario"), item.kind
    return {"choice": item.answer[0]}


def _finish_placement(learner: Any, attempt: Any) -> None:
    from hocvu.assessment import services as assessment

    while (item := assessment.next_placement_item(attempt)) is not None:
        assessment.record_answer(
            user=learner,
            attempt_id=attempt.pk,
            item_uid=item.uid,
            answer=_right(item),
            answer_id=uuid.uuid4(),
        )
    attempt.refresh_from_db()
    assert attempt.status == "finished"


def test_every_learner_page_is_under_50_kib_compressed(world: Any) -> None:
    from hocvu.assessment import services as assessment
    from hocvu.learning import services as learning
    from hocvu.learning.models import ReviewCard

    learner = world.learner
    version = world.module.program.framework_version
    client = Client()
    assert client.login(username="learner", password=PASSWORD)
    weights: dict[str, tuple[int, dict[str, int]]] = {}

    def measure(name: str, url: str) -> None:
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        total, parts = page_weight(response.content)
        weights[name] = (total, parts)
        assert total <= LIMIT, f"{name} ({url}) weighs {total} bytes compressed: {parts}"

    measure("dashboard, before the placement test", "/learn/")
    # The placement test in progress, showing a question.
    attempt = assessment.start_placement(learner, version)
    measure("placement", f"/learn/placement/{attempt.pk}/")
    # Finished: the profile and the path have something to show.
    _finish_placement(learner, attempt)
    # Questions due for review today, and a lesson opened.
    for item in world.items[:2]:
        learning.practice_update(learner, item, 1)
    ReviewCard.objects.filter(learner=learner).update(due=timezone.now() - timedelta(days=1))
    learning.open_lesson(learner, world.lesson)
    measure("dashboard", "/learn/")
    measure("profile", "/learn/profile/")
    measure("path", "/learn/path/")
    measure("lesson", f"/learn/lessons/{world.lesson.pk}/")
    measure("practice", f"/learn/practice/{world.attempt.pk}/")
    measure("review", "/learn/review/")
    # The pages really load their stylesheet, and the practice page its htmx.
    assert all(any(p.endswith(".css") for p in parts) for _, parts in weights.values())
    assert any("htmx" in p for p in weights["practice"][1])


def test_the_weight_counts_every_referenced_file() -> None:
    html = (
        b'<html><head><link rel="stylesheet" href="/static/hocvu/site.css">'
        b'<link rel="icon" href="/static/hocvu/icons/icon-192.png">'
        b'<script src="/static/vendor/htmx/htmx-2.0.11.min.js" defer></script></head></html>'
    )
    total, parts = page_weight(html)
    assert set(parts) == {
        "(html)",
        "/static/hocvu/site.css",
        "/static/vendor/htmx/htmx-2.0.11.min.js",
    }
    assert total == sum(parts.values())
    assert parts["/static/vendor/htmx/htmx-2.0.11.min.js"] > 10_000  # compressed, not raw
