"""Lecture media on an S3-compatible object store, against a real local S3 server.

moto's server (``moto_server``, a test requirement) runs as a process on a loopback port;
the storage is configured from ``HOCVU_S3_*`` by the same function the settings use. A
recording uploaded on the lesson's admin page, its low-bandwidth rendition made by ffmpeg,
and the learner's player all go through the object store; nothing lands on the local disk.
Certificate PDFs are not stored anywhere: they are drawn from the credential on each
download (``hocvu.credentials.pdf``), so every app server can serve them as they are.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from hocvu.content import media
from hocvu.content.models import Lesson, LessonKind, MediaStatus
from hocvu.settings import object_storage
from tests.conftest import World
from tests.content.test_lecture_media import client_for, make_recording, needs_ffmpeg, probe, upload

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "hocvu-media"
KEYS = {"HOCVU_S3_ACCESS_KEY_ID": "hocvu-test", "HOCVU_S3_SECRET_ACCESS_KEY": "hocvu-test-secret"}


@dataclass
class S3Server:
    endpoint: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=KEYS["HOCVU_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=KEYS["HOCVU_S3_SECRET_ACCESS_KEY"],
        )

    def objects(self) -> dict[str, int]:
        listed = self.client().list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {o["Key"]: o["Size"] for o in listed}


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, for this module (it starts in ~1 s)."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    started = log.read()[-2000:]
                    raise RuntimeError(f"moto_server did not start: {started!r}") from None
                time.sleep(0.1)
        server = S3Server(f"http://127.0.0.1:{port}")
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def s3_media(
    s3_server: S3Server, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> S3Server:
    """The default storage is the object store, configured as HOCVU_S3_* configures it."""
    for name, value in {
        "HOCVU_S3_BUCKET": BUCKET,
        "HOCVU_S3_ENDPOINT_URL": s3_server.endpoint,
        "HOCVU_S3_REGION": "us-east-1",
        **KEYS,
    }.items():
        monkeypatch.setenv(name, value)
    found = object_storage()
    assert found is not None
    storage, origin = found
    assert origin == s3_server.endpoint  # what the settings add to the CSP's media-src
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.MEDIA_ROOT = tmp_path / "local-media"  # must stay empty
    return s3_server


def test_the_object_store_is_configured_only_with_a_bucket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HOCVU_S3_BUCKET", "HOCVU_S3_ENDPOINT_URL", "HOCVU_S3_ADDRESSING_STYLE"):
        monkeypatch.delenv(name, raising=False)
    assert object_storage() is None  # the local disk, as before
    monkeypatch.setenv("HOCVU_S3_BUCKET", "hocvu")
    monkeypatch.setenv("HOCVU_S3_REGION", "ap-southeast-1")
    found = object_storage()
    assert found is not None
    storage, origin = found
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options: Any = storage["OPTIONS"]
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False and options["endpoint_url"] is None
    assert origin == "https://hocvu.s3.ap-southeast-1.amazonaws.com"
    monkeypatch.setenv("HOCVU_S3_ENDPOINT_URL", "https://s3.example.vn/")
    configured = object_storage()
    assert configured is not None and configured[1] == "https://s3.example.vn"  # path style
    monkeypatch.setenv("HOCVU_S3_ADDRESSING_STYLE", "sideways")
    with pytest.raises(ImproperlyConfigured):
        object_storage()
    # The settings module itself: the default storage and the players' CSP follow.
    monkeypatch.delenv("HOCVU_S3_ADDRESSING_STYLE")
    probe_settings = (
        "import json; from hocvu import settings as s; print(json.dumps(["
        "s.STORAGES['default']['BACKEND'], s.CONTENT_SECURITY_POLICY['DIRECTIVES']['media-src']]))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe_settings], cwd=ROOT, capture_output=True, check=True
    )
    assert json.loads(loaded.stdout) == [
        "storages.backends.s3.S3Storage",
        ["'self'", "https://s3.example.vn"],
    ]


@needs_ffmpeg
@pytest.mark.django_db
def test_a_lecture_recording_is_stored_converted_and_played_from_the_object_store(
    world: World,
    s3_media: S3Server,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    lesson: Lesson = world.lesson
    lesson.kind = LessonKind.LECTURE
    lesson.save(update_fields=["kind"])
    before = set(s3_media.objects())
    source = make_recording(tmp_path / "loi-giang.m4a", video=False, seconds=3)
    response, callbacks = upload(
        world, lesson, "loi-giang.m4a", source.read_bytes(), django_capture_on_commit_callbacks
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(callbacks) == 1
    lesson.refresh_from_db()
    original = str(lesson.video.name)
    assert s3_media.objects()[original] == source.stat().st_size

    # The background step reads the upload from the store and writes the rendition there.
    assert media.process_lesson_media(lesson.pk) == MediaStatus.READY
    lesson.refresh_from_db()
    low = str(lesson.media_low.name)
    stored = s3_media.objects()
    assert set(stored) - before == {original, low}
    assert low.startswith("lectures/low/") and stored[low] < stored[original]
    fetched = tmp_path / "low.m4a"
    s3_media.client().download_file(BUCKET, low, str(fetched))
    found = probe(fetched)
    assert [s["codec_type"] for s in found["streams"]] == ["audio"]
    assert found["streams"][0]["channels"] == 1
    assert lesson.media_kind == "audio" and abs(float(lesson.media_seconds or 0) - 3) < 0.3
    assert not any((tmp_path / "local-media").rglob("*"))  # nothing on the local disk

    # The learner's page reads the size from the store; the player is redirected to a
    # signed address there, where it seeks with byte ranges.
    learner = client_for(world.learner)
    page = learner.get(reverse("lesson", args=[lesson.pk]))
    assert page.status_code == 200 and "<audio controls" in page.content.decode()
    played = learner.get(reverse("lesson-media", args=[lesson.pk, "low"]))
    assert played.status_code == 302 and played["Cache-Control"] == "private, no-store"
    target = played["Location"]
    assert target.startswith(f"{s3_media.endpoint}/{BUCKET}/{low}?")
    query = parse_qs(urlsplit(target).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"]
    whole = fetched.read_bytes()
    ranged = urllib.request.Request(target, headers={"Range": "bytes=10-109"})  # noqa: S310
    with urllib.request.urlopen(ranged, timeout=10) as answer:  # noqa: S310 - loopback
        assert answer.status == 206
        assert answer.read() == whole[10:110]
    full = learner.get(reverse("lesson-media", args=[lesson.pk, "full"]))
    assert full.status_code == 302 and f"/{BUCKET}/{original}?" in full["Location"]
    # Signed-in learners only, as on the local disk.
    anonymous = client_for(world.learner)
    anonymous.logout()
    assert anonymous.get(reverse("lesson-media", args=[lesson.pk, "low"]))["Location"].startswith(
        reverse("login")
    )


@needs_ffmpeg
@pytest.mark.django_db
def test_a_recording_missing_from_the_store_fails_with_a_reason(
    world: World, s3_media: S3Server, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    lesson: Lesson = world.lesson
    source = make_recording(tmp_path / "mat.m4a", video=False, seconds=1)
    upload(world, lesson, "mat.m4a", source.read_bytes(), django_capture_on_commit_callbacks)
    lesson.refresh_from_db()
    s3_media.client().delete_object(Bucket=BUCKET, Key=str(lesson.video.name))
    assert media.process_lesson_media(lesson.pk) == MediaStatus.FAILED
    lesson.refresh_from_db()
    assert lesson.media_error and not lesson.media_low
