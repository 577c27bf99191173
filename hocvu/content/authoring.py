"""Authoring helpers outside the admin's own views: the live Markdown preview.

The lesson-revision form in the admin posts the text it holds to :func:`preview` as the
author types and shows the answer beside the text area. The preview renders exactly as a
lesson page does (``render_markdown``: raw HTML is escaped, never run).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from hocvu.content.rendering import render_markdown
from hocvu.identity import access

#: Longest text the preview renders (a long lesson is about 20,000 characters).
MAX_PREVIEW_CHARS = 200_000


@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """Markdown in (form field ``body``), lesson HTML out; for authors and administrators.

    A POST, so Django's CSRF check applies; nothing is stored.
    """
    if not access.can(request.user, "framework.edit", None):
        raise PermissionDenied
    text = request.POST.get("body", "")
    if len(text) > MAX_PREVIEW_CHARS:
        return HttpResponse("text too long to preview", status=413, content_type="text/plain")
    response = HttpResponse(render_markdown(text), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
