"""Files of the content: the shipped pictures (public) and lecture recordings (signed in)."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase

from hocvu.content.media import local_path
from hocvu.content.models import Lesson, MediaStatus
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


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


def _ranged(path: Path, content_type: str, header: str) -> HttpResponseBase:
    """The file, or the one byte range asked for (players seek with Range requests)."""
    size = path.stat().st_size
    match = _RANGE.match(header.strip()) if header else None
    if match is None or match.groups() == ("", ""):
        response = FileResponse(path.open("rb"), content_type=content_type)
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = match.groups()
    if first == "":  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            handle.seek(start)
            left = end - start + 1
            while left > 0:
                block = handle.read(min(_CHUNK, left))
                if not block:
                    return
                left -= len(block)
                yield block

    partial = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
    partial["Content-Range"] = f"bytes {start}-{end}/{size}"
    partial["Content-Length"] = str(end - start + 1)
    partial["Accept-Ranges"] = "bytes"
    return partial


@login_required
def lesson_media(request: HttpRequest, lesson_id: int, variant: str) -> HttpResponseBase:
    """A lecture's recording for a signed-in learner: the low-bandwidth rendition, or the
    original ("full"), with byte ranges so the player can seek. On an object store, a
    redirect to an address signed for a few minutes: the store serves the bytes and the
    ranges, and the app servers do not carry hours of video."""
    lesson = Lesson.objects.filter(pk=lesson_id, published__isnull=False).first()
    if lesson is None or lesson.media_status != MediaStatus.READY:
        raise Http404("no recording")
    stored = lesson.media_low if variant == "low" else lesson.video if variant == "full" else None
    if not stored:
        raise Http404("no recording")
    path = local_path(stored)
    if path is None:
        moved = HttpResponseRedirect(stored.url)
        moved["Cache-Control"] = "private, no-store"  # the signed address expires
        return moved
    if not path.is_file():
        raise Http404("no recording")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = _ranged(path, kind, request.headers.get("Range", ""))
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
