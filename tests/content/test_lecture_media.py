"""Lecture recordings: upload, the low-bandwidth rendition (real ffmpeg), playing, seeking,
bad uploads, and study time that follows from the text and the recording."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from hocvu.content import media
from hocvu.content.models import Lesson, LessonKind, MediaStatus
from tests.conftest import World
from tests.identity.test_admin_privileges import form_data

needs_ffmpeg = pytest.mark.skipif(
    not media.ffmpeg_available(), reason="ffmpeg is installed by `make system-deps`"
)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_recording(path: Path, *, video: bool, seconds: int = 4) -> Path:
    """A real recording made by ffmpeg: a test picture at 720p and a tone."""
    picture = ["-f", "lavfi", "-i", f"testsrc=size=1280x720:rate=25:duration={seconds}"]
    tone = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    codecs = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-b:v", "2M"] if video else []
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
        + (picture if video else [])
        + tone
        + codecs
        + ["-c:a", "aac", "-b:a", "128k", "-shortest", str(path)],
        check=True,
    )
    return path


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
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
        check=True,
        capture_output=True,
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.fixture
def lecture(world: World, settings: Any, tmp_path: Path) -> Lesson:
    settings.MEDIA_ROOT = tmp_path / "media"
    lesson: Lesson = world.lesson
    lesson.kind = LessonKind.LECTURE
    lesson.save(update_fields=["kind"])
    assert lesson.published is not None
    lesson.published.transcript = "Xin chào các bạn. Hôm nay chúng ta học tìm kiếm."
    lesson.published.save()
    return lesson


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def upload(world: World, lesson: Lesson, name: str, data: bytes, captured: Any) -> Any:
    author = client_for(world.author)
    url = reverse("admin:content_lesson_change", args=[lesson.pk])
    fields = form_data(author, url)
    fields["video"] = SimpleUploadedFile(name, data)
    with captured(execute=False) as callbacks:
        response = author.post(url, fields)
    return response, callbacks


def test_study_time_follows_the_text_and_the_recording() -> None:
    text = " ".join(["chữ"] * 900)  # 900 syllables: 5 minutes of study reading
    assert media.study_minutes(text) == 5
    assert media.study_minutes(text, media_seconds=125) == 8  # + 2 min 5 s, rounded up
    assert media.study_minutes(text, transcript=" ".join(["lời"] * 360)) == 7
    assert media.study_minutes("") == 1
    # Markdown marks are not words.
    assert media.syllables("## Ví dụ\n\n| a | b |\n|---|---|\n**đậm** `mã`") == 6


@needs_ffmpeg
@pytest.mark.django_db
def test_a_video_upload_gets_a_360p_rendition_and_plays_on_the_lesson_page(
    world: World, lecture: Lesson, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    source = make_recording(tmp_path / "bai-giang.mp4", video=True)
    response, callbacks = upload(
        world, lecture, "bai-giang.mp4", source.read_bytes(), django_capture_on_commit_callbacks
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    lecture.refresh_from_db()
    assert lecture.media_status == MediaStatus.PROCESSING and lecture.video
    assert len(callbacks) == 1  # the conversion is enqueued after the upload commits
    # Learners see no player before the rendition exists.
    learner = client_for(world.learner)
    page = learner.get(reverse("lesson", args=[lecture.pk])).content.decode()
    assert "<video" not in page

    assert media.process_lesson_media(lecture.pk) == MediaStatus.READY
    lecture.refresh_from_db()
    low = probe(Path(lecture.media_low.path))
    video = next(s for s in low["streams"] if s["codec_type"] == "video")
    audio = next(s for s in low["streams"] if s["codec_type"] == "audio")
    assert (video["codec_name"], video["height"], video["width"]) == ("h264", 360, 640)
    assert (audio["codec_name"], audio["channels"]) == ("aac", 1)
    assert lecture.media_kind == "video" and abs(float(lecture.media_seconds or 0) - 4) < 0.3
    assert lecture.media_low.size < source.stat().st_size / 2
    # The size is kept on the lesson: its page never asks the storage for it.
    assert lecture.media_low_bytes == lecture.media_low.size
    assert int(low["format"]["bit_rate"]) < 450_000
    # Study time now counts the recording.
    assert lecture.published is not None
    lecture.published.refresh_from_db()
    assert lecture.published.minutes == media.study_minutes(
        lecture.published.body, lecture.published.transcript, lecture.media_seconds
    )

    page = learner.get(reverse("lesson", args=[lecture.pk])).content.decode()
    low_url = reverse("lesson-media", args=[lecture.pk, "low"])
    assert f'<source src="{low_url}" type="video/mp4">' in page
    assert 'preload="none"' in page and 'kind="captions"' in page
    assert reverse("lesson-media", args=[lecture.pk, "full"]) in page
    # The player seeks with byte ranges.
    whole = learner.get(low_url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    body = streamed(whole)
    part = learner.get(low_url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Length"] == "100"
    assert part["Content-Range"] == f"bytes 100-199/{len(body)}"
    assert streamed(part) == body[100:200]
    tail = learner.get(low_url, HTTP_RANGE="bytes=-10")
    assert streamed(tail) == body[-10:]
    assert learner.get(low_url, HTTP_RANGE=f"bytes={len(body)}-").status_code == 416
    # Signed-in learners only; no other variant.
    assert Client().get(low_url).status_code == 302
    assert learner.get(reverse("lesson-media", args=[lecture.pk, "x"])).status_code == 404


@needs_ffmpeg
@pytest.mark.django_db
def test_an_audio_lecture_becomes_mono_speech_at_32_kbits(
    world: World, lecture: Lesson, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    source = make_recording(tmp_path / "loi-giang.m4a", video=False, seconds=6)
    upload(world, lecture, "loi-giang.m4a", source.read_bytes(), django_capture_on_commit_callbacks)
    assert media.process_lesson_media(lecture.pk) == MediaStatus.READY
    lecture.refresh_from_db()
    low = probe(Path(lecture.media_low.path))
    assert [s["codec_type"] for s in low["streams"]] == ["audio"]
    assert low["streams"][0]["channels"] == 1 and int(low["format"]["bit_rate"]) < 48_000
    page = client_for(world.learner).get(reverse("lesson", args=[lecture.pk])).content.decode()
    assert "<audio controls" in page and "<video" not in page


@needs_ffmpeg
@pytest.mark.django_db
def test_a_file_that_is_not_a_recording_fails_clearly_and_shows_nothing(
    world: World, lecture: Lesson, django_capture_on_commit_callbacks: Any
) -> None:
    response, _ = upload(
        world, lecture, "bai-giang.mp4", b"not a video at all", django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    assert media.process_lesson_media(lecture.pk) == MediaStatus.FAILED
    lecture.refresh_from_db()
    assert lecture.media_error and not lecture.media_low
    author_page = client_for(world.author).get(
        reverse("admin:content_lesson_change", args=[lecture.pk])
    )
    assert author_page.status_code == 200
    learner = client_for(world.learner)
    assert "<video" not in learner.get(reverse("lesson", args=[lecture.pk])).content.decode()
    assert learner.get(reverse("lesson-media", args=[lecture.pk, "full"])).status_code == 404


@pytest.mark.django_db
def test_uploads_other_than_audio_or_video_are_refused_in_the_form(
    world: World, lecture: Lesson, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    response, callbacks = upload(
        world, lecture, "setup.exe", b"MZ...", django_capture_on_commit_callbacks
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not callbacks
    settings.LECTURE_MEDIA_MAX_MB = 0
    response, callbacks = upload(
        world, lecture, "bai.mp3", b"ID3" + b"\0" * 10, django_capture_on_commit_callbacks
    )
    assert response.status_code == 200 and not callbacks
    lecture.refresh_from_db()
    assert not lecture.video and lecture.media_status == MediaStatus.NONE


def test_the_shipped_lessons_take_their_reading_time() -> None:
    import tomllib

    from hocvu.content.services import CURRICULUM

    for path in sorted(CURRICULUM.glob("area-*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for module in data["modules"]:
            for lesson in module["lessons"]:
                assert "minutes" not in lesson, f"{path.name} {lesson['title']}: computed now"


def test_ffmpeg_is_what_the_project_installs() -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "system-deps.sh"
    assert "ffmpeg" in script.read_text()
    assert shutil.which("ffmpeg") is None or media.ffmpeg_available()
