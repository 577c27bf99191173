"""The installable web app: manifest, service worker and the offline fallback page.

The service worker lives in ``static/hocvu/sw.js`` but is served from ``/sw.js`` so that
its scope is the whole site. The server prepends a small ``CONFIG`` object to it: the
URLs to precache and a version derived from the content of the app shell, so that a
changed stylesheet or script installs a new worker, which drops the old shell cache.
See docs/offline.md.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static" / "hocvu"
THEME_COLOR = "#b3261e"
ZERO = uuid.UUID(int=0)

#: Files whose content makes up the shell; any change to them gives a new worker version.
SHELL_FILES = (
    STATIC / "sw.js",
    STATIC / "app.js",
    STATIC / "site.css",
    HERE / "templates" / "web" / "offline.html",
    HERE / "templates" / "web" / "base.html",
)


@cache
def shell_version() -> str:
    digest = hashlib.sha256()
    for path in SHELL_FILES:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def _worker_source() -> str:
    return (STATIC / "sw.js").read_text(encoding="utf-8")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    icons = [
        {
            "src": static(f"hocvu/icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any maskable",
        }
        for size in (192, 512)
    ]
    data = {
        "name": "Bình dân học vụ số",
        "short_name": "Học vụ số",
        "description": _("Digital skills for deputies, officials and People’s Council members"),
        "lang": "vi",
        "id": "/learn/",
        "start_url": reverse("learn"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": icons,
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    static_root = settings.STATIC_URL
    config = {
        "version": shell_version(),
        "offline": reverse("offline"),
        "shell": [
            reverse("offline"),
            reverse("offline-saved"),
            static("hocvu/site.css"),
            static("hocvu/app.js"),
        ],
        "static": [f"{static_root}hocvu/", f"{static_root}vendor/"],
        "media": reverse("content-media", kwargs={"name": "x.png"}).rsplit("/", 1)[0] + "/",
        # URLPattern of the practice answers (static route to the network, sw.js install).
        "answers": reverse("practice-answer", kwargs={"attempt_id": ZERO, "item_uid": ZERO})
        .replace(str(ZERO), ":attempt", 1)
        .replace(str(ZERO), ":item", 1),
        "path": reverse("path"),
        # Never kept on the device nor answered from a cache (docs/offline.md): the
        # certification exam's pages, answers and the pictures they show, and the API.
        "never": [reverse("exam-home"), reverse("api:openapi-json").rsplit("/", 1)[0] + "/"],
        "login": reverse("login"),
        "logout": reverse("logout"),
    }
    source = f"const CONFIG = {json.dumps(config)};\n{_worker_source()}"
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    # The browser checks for a new worker on navigation; it must always ask the server.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What a page shows when it is neither reachable nor saved on the device."""
    return render(request, "web/offline.html", {})
