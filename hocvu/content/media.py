"""Lecture recordings: what an upload is, its low-bandwidth rendition, and study time.

An author uploads the recording of a lecture (audio or video) on the lesson's admin page.
A background task probes it with ``ffprobe`` and converts it with ``ffmpeg`` (Debian's
packages) into a rendition small enough for a slow mobile network: mono AAC speech at
32 kbit/s for audio; 360p H.264 at about 300 kbit/s with 48 kbit/s mono audio for video,
both "fast start" so playback begins before the file is complete. Learners get the
rendition first and the original on request; a lesson without a recording stays as light
as before (nothing is loaded until "play").

Study time is computed, not typed: text read at ``READING_SYLLABLES_PER_MINUTE`` and the
recording's length (or, without one, the transcript read at the same pace).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _
from django_tasks import task

#: Vietnamese words are syllables; an adult studies instructional text (tables, steps,
#: terms to remember) at about 180 syllables a minute — slower than reading for pleasure
#: (~250) and faster than speech (~140, the pace the captions assume).
READING_SYLLABLES_PER_MINUTE = 180

AUDIO_EXTENSIONS = ("mp3", "m4a", "aac", "wav", "ogg", "oga", "opus", "flac")
VIDEO_EXTENSIONS = ("mp4", "m4v", "webm", "mov", "mkv")
UPLOAD_EXTENSIONS = AUDIO_EXTENSIONS + VIDEO_EXTENSIONS
#: What a lesson page may play: up to 3 hours, as long as a recorded plenary session.
MAX_SECONDS = 3 * 3600

_MARKUP = re.compile(r"[`*_#>|\-\[\]()!]+")


def syllables(text: str) -> int:
    """Words of a Vietnamese text (its syllables), Markdown marks left out."""
    return len(_MARKUP.sub(" ", text).split())


def study_minutes(body: str, transcript: str = "", media_seconds: float | None = None) -> int:
    """Minutes to study a lesson: its text, then its recording or (without one) transcript."""
    seconds = syllables(body) / READING_SYLLABLES_PER_MINUTE * 60
    if media_seconds:
        seconds += media_seconds
    elif transcript:
        seconds += syllables(transcript) / READING_SYLLABLES_PER_MINUTE * 60
    return max(1, math.ceil(seconds / 60))


class MediaError(ValueError):
    """An upload that is not a playable recording (said in words for the author)."""


@dataclass(frozen=True)
class Probe:
    kind: str  # "audio" or "video"
    seconds: float
    width: int | None
    height: int | None


def ffmpeg_available() -> bool:
    return bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, capture_output=True, timeout=timeout, check=False)  # noqa: S603  # nosec B603
    except subprocess.TimeoutExpired as exc:
        raise MediaError(_("The conversion took too long and was stopped.")) from exc


def probe(path: Path) -> Probe:
    """What ``path`` holds, by ``ffprobe``; MediaError when it is not audio or video."""
    result = _run(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        timeout=60,
    )
    if result.returncode != 0:
        raise MediaError(_("This file is not an audio or video recording that can be read."))
    info: dict[str, Any] = json.loads(result.stdout or b"{}")
    streams = info.get("streams", [])
    # A cover picture inside an MP3 or M4A is a "video" stream of one frame: not a video.
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise MediaError(_("The file has neither sound nor picture."))
    try:
        seconds = float(info.get("format", {}).get("duration", "nan"))
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise MediaError(_("The length of the recording cannot be read."))
    if seconds > MAX_SECONDS:
        raise MediaError(_("The recording is longer than 3 hours: split it into lessons."))
    if video is not None:
        return Probe("video", seconds, int(video.get("width", 0)), int(video.get("height", 0)))
    return Probe("audio", seconds, None, None)


def rendition_args(source: Path, target: Path, kind: str) -> list[str]:
    """The ffmpeg command for the low-bandwidth rendition of ``source``."""
    common = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source)]
    if kind == "audio":
        speech = ["-vn", "-ac", "1", "-ar", "44100", "-c:a", "aac", "-b:a", "32k"]
        return [*common, *speech, "-movflags", "+faststart", str(target)]
    return [
        *common,
        # 360 lines high at most (never enlarged), even width for H.264.
        "-vf",
        "scale=-2:'min(360,ih)'",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-profile:v",
        "main",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        "30",
        "-maxrate",
        "300k",
        "-bufsize",
        "600k",
        "-c:a",
        "aac",
        "-ac",
        "1",
        "-b:a",
        "48k",
        "-movflags",
        "+faststart",
        str(target),
    ]


def make_rendition(source: Path, kind: str, seconds: float) -> Path:
    """Convert ``source``; the caller moves (and deletes) the returned temporary file."""
    suffix = ".m4a" if kind == "audio" else ".mp4"
    handle, name = tempfile.mkstemp(suffix=suffix)
    os.close(handle)
    target = Path(name)
    # Converting runs at many times real time; a generous budget, bounded all the same.
    result = _run(rendition_args(source, target, kind), timeout=max(120.0, seconds * 2))
    if result.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        target.unlink(missing_ok=True)
        raise MediaError(_("The recording could not be converted for slow networks."))
    return target


def local_path(stored: FieldFile) -> Path | None:
    """The file's path on this machine; None on an object store (no path here)."""
    try:
        return Path(stored.path)
    except NotImplementedError:
        return None


@contextmanager
def readable_copy(stored: FieldFile) -> Iterator[Path]:
    """A path ffmpeg can read: the file itself on the local disk, else a temporary copy
    read through the storage (an S3-compatible object store), deleted afterwards."""
    path = local_path(stored)
    if path is not None:
        yield path
        return
    name = str(stored.name)
    handle, temporary = tempfile.mkstemp(suffix=Path(name).suffix)
    copy = Path(temporary)
    try:
        try:
            with os.fdopen(handle, "wb") as out, stored.storage.open(name, "rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
        except OSError as exc:
            raise MediaError(
                _("This file is not an audio or video recording that can be read.")
            ) from exc
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def process_lesson_media(lesson_id: int) -> str:
    """Probe and convert a lesson's uploaded recording; the lesson's new media status."""
    from hocvu.content.models import Lesson, MediaStatus

    lesson = Lesson.objects.select_related("published").get(pk=lesson_id)
    if not lesson.video:
        Lesson.objects.filter(pk=lesson.pk).update(
            media_status=MediaStatus.NONE, media_error="", media_seconds=None, media_kind=""
        )
        return MediaStatus.NONE
    source = lesson.video.name
    try:
        if not ffmpeg_available():
            raise MediaError(_("The converter (ffmpeg) is not installed on the server."))
        with readable_copy(lesson.video) as path:
            found = probe(path)
            low = make_rendition(path, found.kind, found.seconds)
    except MediaError as exc:
        Lesson.objects.filter(pk=lesson.pk).update(
            media_status=MediaStatus.FAILED, media_error=str(exc)
        )
        return MediaStatus.FAILED
    with transaction.atomic():
        lesson = Lesson.objects.select_for_update().get(pk=lesson_id)
        if lesson.video.name and lesson.video.name != source:
            low.unlink(missing_ok=True)  # a newer upload arrived meanwhile: its task decides
            return str(lesson.media_status)
        if lesson.media_low:
            lesson.media_low.delete(save=False)
        with low.open("rb") as handle:
            lesson.media_low.save(f"{Path(source).stem}-low{low.suffix}", File(handle), save=False)
        # Kept on the row: the lesson page shows it without asking the storage (a request
        # per page view with an object store).
        lesson.media_low_bytes = low.stat().st_size
        low.unlink(missing_ok=True)
        lesson.media_kind = found.kind
        lesson.media_seconds = found.seconds
        lesson.media_status = MediaStatus.READY
        lesson.media_error = ""
        lesson.save(
            update_fields=[
                "media_low",
                "media_low_bytes",
                "media_kind",
                "media_seconds",
                "media_status",
                "media_error",
            ]
        )
        if lesson.published is not None:
            revision = lesson.published
            type(revision).objects.filter(pk=revision.pk).update(
                minutes=study_minutes(revision.body, revision.transcript, found.seconds)
            )
    return MediaStatus.READY


@task()
def render_lesson_media(lesson_id: int) -> str:
    """The background step after an upload (``process_lesson_media``)."""
    return process_lesson_media(lesson_id)


def max_upload_bytes() -> int:
    return int(getattr(settings, "LECTURE_MEDIA_MAX_MB", 500)) * 1024 * 1024
