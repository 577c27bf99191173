"""Public files of the shipped content (scenario images, lesson figures)."""

from __future__ import annotations

import re

from django.http import FileResponse, Http404, HttpRequest

from hocvu.content.services import MEDIA

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.(svg|png|jpg|jpeg|webp)$")
_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}


def media(request: HttpRequest, name: str) -> FileResponse:
    match = _NAME.match(name)
    path = MEDIA / name
    if match is None or not path.is_file():
        raise Http404("file not found")
    response = FileResponse(path.open("rb"), content_type=_TYPES[match.group(1)])
    response["Cache-Control"] = "public, max-age=86400"
    # An SVG opened directly must not run anything: ours have no scripts, and this makes sure.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response
