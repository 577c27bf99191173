"""Backup and restore drill (database + keys + media), on the database the tests run on.

After a disaster (every table emptied, the media gone) ``manage.py restore`` brings back
the backup; then every issued certificate still verifies (the revoked one as revoked), the
audit chains verify, ID numbers decrypt and the media come back byte for byte. A damaged
archive, another database vendor and a database that already holds people are refused.
"""

from __future__ import annotations

import io
import json
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from hocvu.audit.models import AuditEvent
from hocvu.credentials import services as credentials
from hocvu.credentials.models import Credential
from hocvu.identity.models import User
from tests.certification.test_exam import exam_world
from tests.conftest import World

__all__ = ["exam_world"]

RECORDING = b"ID3" + bytes(range(256)) * 40


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def test_uploaded_media_are_private(media: Path) -> None:
    name = default_storage.save("lectures/low/bai-1.mp3", ContentFile(RECORDING))
    path = media / name
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    assert mode(media) == 0o700  # the media root itself, made by the first upload


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_after_a_disaster(
    exam_world: World, media: Path, tmp_path: Path, capsys: Any
) -> None:
    world = exam_world
    kept = credentials.issue_credential(world.learner, world.achievement)
    revoked = credentials.issue_credential(world.learner_b, world.achievement)
    credentials.revoke_credential(revoked, reason="cấp nhầm", actor=world.admin)
    recording = default_storage.save("lectures/bai-1.mp3", ContentFile(RECORDING))
    events = AuditEvent.objects.count()
    assert events > 0

    archive = tmp_path / "backups" / "hocvu.tar.gz"
    call_command("backup", str(archive))
    assert mode(archive) == 0o600
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["vendor"] == connection.vendor
    assert {"manifest.json", "keys.json", manifest["database"], f"media/{recording}"} <= names

    # Refused: a database that holds people, unless forced.
    with pytest.raises(CommandError, match="--force"):
        call_command("restore", str(archive))

    # The disaster: every table emptied, the media gone.
    call_command("flush", interactive=False, verbosity=0)
    (media / recording).unlink()
    assert not Credential.objects.exists() and not User.objects.exists()

    call_command("restore", str(archive))
    out = capsys.readouterr().out
    assert "drill passed: 2 certificates verify" in out
    assert (media / recording).read_bytes() == RECORDING
    assert mode(media / recording) == 0o600
    assert credentials.verify(str(kept.pk)).status == "valid"
    assert credentials.verify(str(revoked.pk)).status == "revoked"
    assert User.objects.get(pk=world.learner.pk).national_id == "001190000001"
    # The events of the backup (written after its dump) + the restore's own event.
    assert AuditEvent.objects.count() == events + 1
    call_command("verify_audit")
    # A certificate can still be issued: the signing key decrypts with the restored keys.
    assert credentials.issue_credential(world.learner_q, world.achievement).pk


@pytest.mark.django_db(transaction=True)
def test_a_damaged_or_foreign_backup_is_refused(world: World, media: Path, tmp_path: Path) -> None:
    archive = tmp_path / "hocvu.tar.gz"
    call_command("backup", str(archive))
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    manifest = json.loads(members["manifest.json"])

    def rewrite(target: Path, changes: dict[str, bytes]) -> Path:
        with tarfile.open(target, "w:gz") as tar:
            for name, data in {**members, **changes}.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return target

    damaged = rewrite(tmp_path / "damaged.tar.gz", {"keys.json": b"{}"})
    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(damaged), "--force")
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    foreign = rewrite(
        tmp_path / "foreign.tar.gz",
        {"manifest.json": json.dumps({**manifest, "vendor": other}).encode()},
    )
    with pytest.raises(CommandError, match=other):
        call_command("restore", str(foreign), "--force")
    sneaky = rewrite(tmp_path / "sneaky.tar.gz", {"../../etc/evil": b"x"})
    with pytest.raises(CommandError, match="unexpected member"):
        call_command("restore", str(sneaky), "--force")
    assert User.objects.filter(pk=world.learner.pk).exists()
